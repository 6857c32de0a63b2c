/**
 * Load generator for the benchmark: one process of consumers, publishers or
 * idle clients against a chat server (the real one or the bare baseline, which
 * speak the same chat.proto). Reports JSON lines on stdout; bench/main.ts
 * drives it.
 *
 *   consumers PORT COUNT [TARGET|noack]  subscribe COUNT clients, ack as clients do,
 *                                    report {"received", "at"} every 100 ms and
 *                                    latency percentiles on SIGTERM; with TARGET,
 *                                    report {"done"} once that many have arrived
 *   publishers PORT COUNT RATE SECS [stream] [wait]
 *                                    COUNT concurrent send loops, RATE messages/s
 *                                    in all (0: as fast as acks allow), for SECS;
 *                                    each message a Send call, or with "stream" a
 *                                    message on the loop's own Publish stream; with
 *                                    "wait", each "run RATE SECS" line on stdin is
 *                                    a run instead
 *   idle PORT COUNT                  COUNT clients that register, subscribe and wait
 *
 * PORT may be several ports, `P1,P2,P3`: nodes of one service, which clients
 * take in turn (client i, numbered as its name is, connects to the port i % n).
 *
 * Options after those: "groups=G" puts client i in group g(i % G) by its name
 * (`g3-m13`, publishers `g3-p3`), for a server started with `-group gK=...`;
 * "first=N" numbers a consumers process's clients from N; "rooms=R" is the
 * rooms workload (see `rooms` below); "window=W" lets each publisher keep W
 * messages unanswered; "plain" asks for none of the protocol's batching;
 * "check" makes each consumer check its messages' sequence numbers (see
 * `check` below).
 *
 * A message text is the send time (ms, performance.timeOrigin-based) padded
 * to 100 bytes, so a consumer can tell each message's end-to-end latency.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { AckBatcher } from "../src/client/acks.ts";
import type { Delivery } from "../src/protocol/proto.ts";
import { now, Receipts, report, runLanes, stampedText } from "./load_common.ts";
import { openSubscription, Publisher, rawClient, register, roomCall, send } from "../tests/grpc.ts";

grpc.setLogVerbosity(grpc.logVerbosity.NONE);
const [mode, portText, countText, ...rest] = Deno.args;
/** The port, or the ports of several nodes of one service, which clients take in turn. */
const ports = portText.split(",").map(Number);
const count = Number(countText);
/** `name=value` options after the positional arguments. */
const option = (name: string) => rest.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
/**
 * "groups=G": clients belong to groups g0 .. g(G-1), client i to g(i % G), by name (the server
 * is started with `-group gK=...` listing them); "first=N" numbers this process's clients from N.
 */
const groups = Number(option("groups") ?? 0);
const first = Number(option("first") ?? 0);
/**
 * "rooms=R": the rooms workload. Rooms r0 .. r(R-1), made at run time: publisher i makes the
 * rooms r with r % COUNT == i and sends to them; consumer c joins the ROOMS_PER_CLIENT rooms
 * (c + k * R / ROOMS_PER_CLIENT) % R, so every room has ROOMS_PER_CLIENT consumers as members
 * (and its maker, who sends) and every consumer is in ROOMS_PER_CLIENT rooms.
 */
const rooms = Number(option("rooms") ?? 0);
const ROOMS_PER_CLIENT = 10;
/**
 * "plain": clients that ask for none of the protocol's batching (Open.accept_more,
 * SubscribeFrame.acks, PublishReply.more), as clients made before it: what they save, measured.
 */
const plain = rest.includes("plain");
/** "window=W": each publisher keeps up to W messages unanswered on its Publish stream. */
const window = Number(option("window") ?? 1);
const groupOf = (i: number) => groups > 0 ? `g${i % groups}` : "general";
/** A client's name: `g3-m13` with groups, `rooms-m13` with rooms, else `consumers-13`. */
const nameOf = (role: string, i: number) =>
  groups > 0 ? `${groupOf(i)}-${role}${i}` : rooms > 0 ? `rooms-${role}${i}` : `${role}-${i}`;
/** The rooms consumer `c` joins (see "rooms=R"). */
const roomsOf = (c: number) =>
  Array.from(
    { length: ROOMS_PER_CLIENT },
    (_, k) => `r${(c + k * rooms / ROOMS_PER_CLIENT) % rooms}`,
  );

/**
 * "check": each consumer checks, group by group, that its messages come from the group's first
 * one on, in sequence order, none missing and none twice; the counts go in every report
 * (`gaps`: messages missing, `repeats`: messages that came again or out of order). For the
 * nodes workload, where most messages reach a consumer through another node than the sender's.
 */
const check = rest.includes("check");
let gaps = 0, repeats = 0;

/** Notes the sequence numbers of a delivery's messages, `last` holding each group's last seen. */
function checkSequence(last: Map<string, number>, delivery: Delivery): void {
  let seen = last.get(delivery.group) ?? 0;
  for (const { seq } of delivery.messages) {
    if (seq <= seen) repeats++;
    else {
      gaps += seq - seen - 1;
      seen = seq;
    }
  }
  last.set(delivery.group, seen);
}

/**
 * A channel of its own (its own HTTP/2 connection), as a separate client process would have,
 * to the port of client `index` (of the ports in turn).
 */
const channel = (index: number) => rawClient(ports[index % ports.length], { ownConnection: true });

/** Subscribes `count` clients, each on its own connection; resolves when all streams are open. */
async function subscribeAll(onDelivery: (d: Delivery) => void, ack: boolean): Promise<void> {
  const batch = 100; // Registering thousands at once would only queue in the server.
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, i) => {
        const index = first + start + i;
        const client = channel(index);
        const me = await register(client, nameOf(mode === "idle" ? "idle" : "m", index));
        if (rooms > 0) {
          for (const room of roomsOf(index)) await roomCall(client, me, "JoinRoom", { room });
        }
        // Reads Delivery.more, as the real client does (the bare baseline never sends it).
        const call = await openSubscription(client, me, [], { acceptMore: !plain });
        // Acks as the real client sends them (src/client/acks.ts).
        const acks = new AckBatcher((group, seq) => call.write({ ack: { group, seq } }));
        // The real server takes several groups' acks in one frame (x-chat-acks), as the client
        // learns from its headers.
        if (!plain) acks.batchWith((list) => call.write({ acks: { acks: list } }));
        const last = new Map<string, number>();
        call.on("data", (delivery: Delivery) => {
          for (const d of delivery.more.length ? [delivery, ...delivery.more] : [delivery]) {
            if (check) checkSequence(last, d);
            onDelivery(d);
            if (ack) acks.received(d.group, d.throughSeq);
          }
        });
        call.on("error", () => {});
      }),
    );
  }
}

/** Registers, subscribes as caught up (nothing will be sent) and leaves. */
async function warmUp(): Promise<void> {
  const client = channel(first);
  const me = await register(client, "warm-up");
  const seen = me.groups.map((g) => ({ group: g.name, seq: g.lastSeq }));
  const call = await openSubscription(client, me, seen);
  call.cancel();
  client.close();
}

async function consumers(): Promise<void> {
  // With a target, report {"done"} the moment that many messages have arrived (catch-up).
  const target = /^\d+$/.test(rest[0] ?? "") ? Number(rest[0]) : Infinity;
  // "noack": the baseline's consumers, which a bare broadcast server does not ask to ack.
  const ack = !rest.includes("noack");
  // Catch-up times the server, not this process's first calls (module loading, compiling):
  // one client first goes through the same calls with nothing to receive.
  if (target !== Infinity) await warmUp();
  const started = now();
  const receipts = new Receipts();
  let firstAt = 0;
  await subscribeAll((d) => {
    firstAt ||= now();
    for (const m of d.messages) receipts.take(m.text);
    if (receipts.received >= target) {
      report({ done: now(), started, first: firstAt, received: receipts.received });
      Deno.exit(0);
    }
  }, ack);
  report({ ready: count });
  if (check) receipts.extra = () => ({ gaps, repeats });
  receipts.reportUntilTerm();
}

/** A publisher: posts a message to one of its groups and resolves once it is stored. */
interface Sender {
  client: grpc.Client;
  post: (text: string, group: string) => Promise<void>;
  /** The groups it sends to, one picked at random for each message. */
  targets: string[];
}

async function publishers(): Promise<void> {
  const [rateText, secondsText] = rest;
  // "stream": each publisher sends on a Publish stream; otherwise each message is a Send call.
  const streaming = rest.includes("stream");
  const senders: Sender[] = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const client = channel(i);
    const me = await register(client, nameOf("p", i));
    const targets = rooms > 0 ? [] : [groupOf(i)];
    for (let r = i; r < rooms; r += count) {
      await roomCall(client, me, "CreateRoom", { name: `r${r}` });
      targets.push(`r${r}`);
    }
    const publisher = streaming ? new Publisher(client, me, { acceptMore: !plain }) : undefined;
    const post = publisher
      ? async (text: string, group: string) => {
        const reply = await publisher.send(text, crypto.randomUUID(), group);
        if (reply.code !== grpc.status.OK) throw new Error(`refused: ${reply.details}`);
      }
      : async (text: string, group: string) => {
        await send(client, me, text, crypto.randomUUID(), group);
      };
    return { client, post, targets };
  }));
  report({ ready: count });
  if (rest.includes("wait")) {
    // Runs on command, so that consumers can join the rooms made above first: each
    // "run RATE SECONDS" line on stdin is one run, answered by its "sent" report.
    let buffered = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const [command, r, s] = buffered.slice(0, newline).trim().split(/\s+/);
        buffered = buffered.slice(newline + 1);
        if (command === "run") report(await run(senders, Number(r), Number(s)));
      }
    }
  } else {
    report(await run(senders, Number(rateText), Number(secondsText)));
  }
  for (const { client } of senders) client.close();
  Deno.exit(0);
}

/**
 * Sends for `seconds` at `rate` messages/s in all (0: as fast as replies allow), each sender
 * keeping up to `window` messages unanswered (a lane each); returns the "sent" report.
 */
function run(senders: Sender[], rate: number, seconds: number) {
  return runLanes(senders.length * window, rate, seconds, (lane) => {
    const { post, targets } = senders[lane % senders.length];
    return post(stampedText(), targets[Math.floor(Math.random() * targets.length)]);
  });
}

async function idle(): Promise<void> {
  await subscribeAll(() => {}, true);
  report({ ready: count });
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}

switch (mode) {
  case "consumers":
    await consumers();
    break;
  case "publishers":
    await publishers();
    break;
  case "idle":
    await idle();
    break;
  default:
    console.error(`load: unknown mode ${mode}; use consumers, publishers or idle`);
    Deno.exit(2);
}
