/**
 * Load generator for the NATS JetStream peer of the benchmark (bench/nats.ts
 * drives it): one process of members, publishers or a catching-up reader
 * against a nats-server on 127.0.0.1, the counterpart of bench/load.ts for
 * our server. Reports JSON lines on stdout.
 *
 *   members PORT COUNT               COUNT clients, each on its own connection with its
 *                                    own durable pull consumers; report {"ready",
 *                                    "setup_ms"}, then {"received", "at"} every 100 ms
 *                                    and latency percentiles on SIGTERM
 *   publishers PORT COUNT RATE SECS  COUNT publishers, each on its own connection,
 *                                    RATE messages/s in all (0: as fast as PubAcks
 *                                    allow), for SECS
 *   catchup PORT TOTAL               publish TOTAL messages, then read them all from
 *                                    the start with a new pull consumer fetching
 *                                    batches, then with another consuming; report
 *                                    {"done"} with both times
 *
 * Options after those: "rooms=R" switches members and publishers from the one
 * subject `chat.general` to R rooms `chat.room.<r>` (client c is a member of
 * rooms (c + k*R/10) mod R, k = 0..9; publishers pick a random room per
 * message); "first=N" numbers a members process's clients from N; "window=W"
 * lets each publisher keep W publishes in flight instead of 1.
 *
 * The streams exist already (the driver makes them); a member makes its own
 * consumers, as a client joining would. A message's payload is the send time
 * (ms, performance.timeOrigin-based) padded to 100 bytes, as in bench/load.ts.
 *
 * @module
 */
import {
  AckPolicy,
  connect,
  type ConsumerConfig,
  type JetStreamClient,
  type JsMsg,
  type NatsConnection,
} from "nats";
import { AckBatcher } from "../src/client/acks.ts";
import { DELIVERY_WINDOW } from "../src/shared/limits.ts";
import { STREAMS } from "./nats.ts";
import { now, Receipts, report, runLanes, stampedText } from "./load_common.ts";

const [mode, portText, countText, ...rest] = Deno.args;
const port = Number(portText);
const count = Number(countText);
/** Members of each room in the rooms shape, and so rooms per client. */
const ROOMS_PER_CLIENT = 10;
/** `name=value` options after the positional arguments. */
const option = (name: string) => rest.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
const rooms = Number(option("rooms") ?? 0);
const first = Number(option("first") ?? 0);
const window = Math.max(1, Number(option("window") ?? 1));
const encoder = new TextEncoder();

/**
 * A connection of its own per client, as a separate client process would have. The JetStream API
 * timeout is raised from 5 s: thousands of consumers being made at once queue in the server.
 */
async function open(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
  return { nc, js: nc.jetstream({ timeout: 60_000 }) };
}

/**
 * The consumer a member has for one subject. Durable, so the member's place survives its
 * disconnection as our server's per-member cursor does; AckAll, so one ack covers everything up
 * to it, like our cumulative acks; at most DELIVERY_WINDOW (1,024) unacknowledged deliveries,
 * like our server's per-member window.
 */
function consumerConfig(name: string, subject: string): Partial<ConsumerConfig> {
  return {
    durable_name: name,
    filter_subject: subject,
    ack_policy: AckPolicy.All,
    max_ack_pending: DELIVERY_WINDOW,
  };
}

/**
 * Pull consumers read with `consume()`: nats.js 2.x's newer consumers API (`consumers.get()`)
 * offers only pull consumers, push ones being left to the older `subscribe()`, and the NATS docs
 * recommend pull consumers for new applications. `consume()` keeps a pull request open and tops
 * it up as messages arrive, so messages still flow as they are published. Its default buffer of
 * 100 messages is raised to a quarter of the window, what a member receives between acks at most.
 */
const CONSUME = { max_messages: DELIVERY_WINDOW / 4 };

/**
 * Acks as our client does (src/client/acks.ts, reused): the latest message of a consumer once a
 * quarter of the window has arrived since the last ack, or 100 ms after the first one not yet
 * acked. With AckAll, acking the latest message acks everything before it.
 */
function acker(): (consumer: string, msg: JsMsg) => void {
  const latest = new Map<string, { msg: JsMsg; n: number }>();
  const acks = new AckBatcher((consumer) => latest.get(consumer)!.msg.ack());
  return (consumer, msg) => {
    const entry = latest.get(consumer);
    // The consumer's own count, not the stream sequence: in the rooms stream that counts
    // every room's messages, and the batcher counts this consumer's.
    const n = (entry?.n ?? 0) + 1;
    latest.set(consumer, { msg, n });
    acks.received(consumer, n);
  };
}

/** The subjects client `c` reads: the general subject, or its ten rooms. */
function subjectsOf(c: number): string[] {
  if (!rooms) return ["chat.general"];
  return Array.from(
    { length: ROOMS_PER_CLIENT },
    (_, k) => `chat.room.${(c + (k * rooms) / ROOMS_PER_CLIENT) % rooms}`,
  );
}

async function members(): Promise<void> {
  const stream = rooms ? STREAMS.rooms.name : STREAMS.general.name;
  const receipts = new Receipts();
  const onMessage = (msg: JsMsg) => receipts.take(msg.data);
  const started = performance.now();
  // Clients join a batch at a time: thousands of consumer creations at once only queue.
  const batch = 25;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, i) => {
        const c = first + start + i;
        const { nc, js } = await open();
        const jsm = await nc.jetstreamManager({ timeout: 60_000 });
        const ack = acker();
        await Promise.all(
          subjectsOf(c).map(async (subject) => {
            const name = `m${c}-${subject.replaceAll(".", "_")}`;
            await jsm.consumers.add(stream, consumerConfig(name, subject));
            const consumer = await js.consumers.get(stream, name);
            await consumer.consume({
              ...CONSUME,
              callback: (msg) => {
                onMessage(msg);
                ack(name, msg);
              },
            });
          }),
        );
      }),
    );
  }
  report({ ready: count, setup_ms: Math.round(performance.now() - started) });
  receipts.reportUntilTerm();
}

async function publishers(): Promise<void> {
  const [rateText, secondsText] = rest;
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  const conns = await Promise.all(Array.from({ length: count }, () => open()));
  report({ ready: count });
  // `window` lanes per publisher, each awaiting its PubAck before its next publish, on the
  // publisher's connection: up to `window` publishes in flight per publisher.
  report(
    await runLanes(count * window, rate, seconds, async (lane) => {
      const { js } = conns[Math.floor(lane / window)];
      const subject = rooms ? `chat.room.${Math.floor(Math.random() * rooms)}` : "chat.general";
      await js.publish(subject, encoder.encode(stampedText()));
    }),
  );
  await Promise.all(conns.map(({ nc }) => nc.close()));
  Deno.exit(0);
}

/** Fills the catch-up stream with `total` messages as fast as pipelined publishes go. */
async function fill(total: number): Promise<void> {
  const { nc, js } = await open();
  const lanes = 256;
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < total) {
      next++;
      await js.publish("chat.catchup", encoder.encode(stampedText()));
    }
  }));
  await nc.close();
}

/** A new durable consumer of the catch-up stream, made before the clock starts. */
async function reader(name: string) {
  const { nc, js } = await open();
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(STREAMS.catchup.name, consumerConfig(name, "chat.catchup"));
  return { nc, consumer: await js.consumers.get(STREAMS.catchup.name, name) };
}

/**
 * Reads the whole stream from the start with a new durable pull consumer, `fetch`ing batches of
 * 100 one after the other (each asked for once the last has arrived), acking as a client does.
 * Timed from the first fetch request to the last message received.
 */
async function fetchAll(total: number): Promise<number> {
  const { nc, consumer } = await reader("fetcher");
  const ack = acker();
  let received = 0;
  const started = now();
  while (received < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(100, total - received) });
    for await (const msg of batch) {
      received++;
      ack("fetcher", msg);
    }
  }
  const ms = now() - started;
  await nc.close();
  return ms;
}

/**
 * The same with `consume()` in batches of 100, which asks for more before a batch is used up: a
 * client that reads on after catching up would use it. Timed from the call to the last message.
 */
async function consumeAll(total: number): Promise<number> {
  const { nc, consumer } = await reader("consumer");
  const ack = acker();
  let received = 0;
  const started = now();
  const ms = await new Promise<number>((resolve) => {
    consumer.consume({
      max_messages: 100,
      callback: (msg) => {
        ack("consumer", msg);
        if (++received === total) resolve(now() - started);
      },
    });
  });
  await nc.close();
  return ms;
}

async function catchup(): Promise<void> {
  const filled = now();
  await fill(count);
  report({ filled: count, ms: Math.round(now() - filled) });
  const perS = (ms: number) => Math.round(count / (ms / 1000));
  const fetchMs = await fetchAll(count);
  const consumeMs = await consumeAll(count);
  report({
    done: count,
    ms: +fetchMs.toFixed(1),
    per_s: perS(fetchMs),
    consume_ms: +consumeMs.toFixed(1),
    consume_per_s: perS(consumeMs),
  });
  Deno.exit(0);
}

switch (mode) {
  case "members":
    await members();
    break;
  case "publishers":
    await publishers();
    break;
  case "catchup":
    await catchup();
    break;
  default:
    console.error(`nats_load: unknown mode ${mode}; use members, publishers or catchup`);
    Deno.exit(2);
}
