/**
 * A session given several addresses, over real gRPC: fake nodes of one service (one server
 * id, one store of clients and messages, as nodes on one database are) that the test stops
 * on purpose, to see the session move with the same identity and cursor, resend what was not
 * answered with the same message ids, and print nothing twice. The same with real servers
 * that are not one service is in tests/failover_client_test.ts.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type ChatHandlers,
  CLIENT_ID_HEADER,
  CLIENT_KEY_HEADER,
  type SendRequest,
  type SubscribeFrame,
} from "../protocol/proto.ts";
import type { ClientEvent, OfflineEvent } from "./events.ts";
import { IdentityStore } from "./identity_store.ts";
import { ChatSession } from "./session.ts";
import { fakeHandlers, startFake, until } from "./testing.ts";

const CLIENT_ID = "ab".repeat(16);
const KEY = "the-key";
const EVE = "cd".repeat(16);

/**
 * What nodes on one database share: one server id, one client, one group whose messages
 * are Eve's and this client's, and the client_msg_ids already stored (a retry is answered
 * with its original sequence, as the real server does).
 */
class Cluster {
  readonly serverId = "cluster-1";
  /** Every Register, by node. */
  readonly registers: { node: string; clientId: string; resumed: boolean }[] = [];
  /** The `seen` of every Subscribe's open frame, by node. */
  readonly opens: { node: string; seen: Record<string, number> }[] = [];
  /** Every Send received, by node (retries too). */
  readonly sends: { node: string; text: string; clientMsgId: string }[] = [];
  /** The group's messages, seq = index + 1. */
  readonly messages: { senderId: string; text: string; clientMsgId: string }[] = [];
  /** Open Subscribe streams, to deliver Eve's later messages on. */
  readonly streams = new Set<(seq: number) => void>();
  /** Texts a node stores and leaves unanswered, as a node that dies before answering. */
  readonly unanswered = new Set<string>();

  /** Eve says `text`: stored, and written on every open stream. */
  eveSays(text: string): void {
    this.messages.push({ senderId: EVE, text, clientMsgId: crypto.randomUUID() });
    for (const deliver of this.streams) deliver(this.messages.length);
  }

  /** The handlers of node `node`. */
  node(node: string): ChatHandlers {
    const send: ChatHandlers["Send"] = (call, cb) => {
      const { text, clientMsgId } = call.request as SendRequest;
      this.sends.push({ node, text, clientMsgId });
      const known = this.messages.findIndex((m) => m.clientMsgId === clientMsgId);
      if (known >= 0) return cb(null, { seq: known + 1, sentAtMs: 0, duplicate: true });
      this.messages.push({ senderId: CLIENT_ID, text, clientMsgId });
      if (this.unanswered.has(text)) return; // Stored; the answer never leaves.
      cb(null, { seq: this.messages.length, sentAtMs: 0, duplicate: false });
    };
    return fakeHandlers({
      Register: (call, cb) => {
        const { clientId, key } = call.request;
        const resumed = clientId === CLIENT_ID && key === KEY;
        this.registers.push({ node, clientId, resumed });
        cb(null, {
          clientId: CLIENT_ID,
          key: KEY,
          resumed,
          serverId: this.serverId,
          groups: [{
            name: "general",
            member: true,
            lastSeq: this.messages.length,
            cursor: 0,
            unread: 0,
          }],
        });
      },
      Send: send,
      // One message at a time: each goes by Send, which is what the test counts.
      Publish: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "" }),
      Subscribe: (call) => {
        const id = call.metadata.get(CLIENT_ID_HEADER)[0];
        if (id !== CLIENT_ID || call.metadata.get(CLIENT_KEY_HEADER)[0] !== KEY) {
          call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "unknown client" });
          return;
        }
        // From sequence 1 whatever the client has seen, as a node that lost the cursor
        // would: the client must drop what it printed. Then each new message once.
        let written = 0;
        const deliver = (through: number) => {
          call.write({
            group: "general",
            throughSeq: through,
            messages: this.messages.slice(written, through).flatMap((m, i) =>
              m.senderId === EVE
                ? [{
                  seq: written + i + 1,
                  senderId: EVE,
                  senderName: "Eve",
                  text: m.text,
                  sentAtMs: 0,
                }]
                : []
            ),
          });
          written = through;
        };
        call.once("data", (request: SubscribeFrame) => {
          const seen = Object.fromEntries(
            (request.open?.seen ?? []).map((s) => [s.group, Number(s.seq)]),
          );
          this.opens.push({ node, seen });
          call.sendMetadata(new grpc.Metadata());
          deliver(this.messages.length);
          this.streams.add(deliver);
        });
        call.on("cancelled", () => this.streams.delete(deliver));
        call.on("end", () => {
          this.streams.delete(deliver);
          call.end();
        });
      },
    });
  }
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A session over `addresses`, started, recording its events. */
async function session(stateDir: string, addresses: string[], name = "Luis") {
  const events: ClientEvent[] = [];
  const s = new ChatSession({
    name,
    address: addresses,
    identity: await IdentityStore.open(stateDir, addresses, name),
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 20, maxMs: 200 },
    callTimeoutMs: 3_000,
  });
  await s.start();
  const of = <T extends ClientEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);
  const texts = () => of("message").map((e) => e.message.text);
  return { s, events, of, texts };
}

Deno.test("failover: the first address refuses; the session connects at the second at once", async () => {
  const cluster = new Cluster();
  const { fake, port } = await startFake(cluster.node("b"));
  const dead = `127.0.0.1:${closedPort()}`;
  const live = `127.0.0.1:${port}`;
  const dir = await Deno.makeTempDir({ prefix: "chat-failover-" });
  const c = await session(dir, [dead, live]);
  assert.deepEqual(c.events.map((e) => e.type), ["offline", "online", "connected"]);
  const [offline] = c.of("offline");
  assert.deepEqual(
    offline,
    {
      type: "offline",
      call: "register",
      address: dead,
      details: "connection refused",
      retryMs: 0,
      next: live,
    } satisfies OfflineEvent,
  );
  assert.equal(c.of("connected")[0].address, live);
  assert.deepEqual(cluster.registers, [{ node: "b", clientId: "", resumed: false }]);
  await c.s.close();
  // Only the address that answered is known to reach the service.
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/addresses.json`)), {
    [live]: "cluster-1",
  });
  fake.forceShutdown();
});

Deno.test("failover: a node goes away: same identity and cursor at the next, the unanswered message resent with its id, nothing printed twice", async () => {
  const cluster = new Cluster();
  cluster.eveSays("m1");
  cluster.eveSays("m2");
  const a = await startFake(cluster.node("a"));
  const b = await startFake(cluster.node("b"));
  const addresses = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
  const dir = await Deno.makeTempDir({ prefix: "chat-failover-" });
  const c = await session(dir, addresses);
  await until(() => c.texts().length === 2, "m1 and m2 at a");
  assert.equal((await c.s.send("one")).seq, 3);
  // a stores "two" and goes away before answering it.
  cluster.unanswered.add("two");
  const two = c.s.send("two");
  await until(() => cluster.sends.some((s) => s.text === "two"), "two reaches a");
  cluster.unanswered.clear();
  a.fake.forceShutdown();

  const reply = await two;
  assert.deepEqual(reply, { seq: 4, sentAtMs: 0, duplicate: true }, "answered with its sequence");
  cluster.eveSays("m5");
  await until(() => c.texts().includes("m5"), "m5 at b");

  const connected = c.of("connected");
  assert.deepEqual(connected.map((e) => [e.address, e.resumed]), [
    [addresses[0], false],
    [addresses[1], true],
  ]);
  assert.equal(connected[1].displayName, connected[0].displayName, "the same identity");
  assert.equal(c.s.clientId, CLIENT_ID);
  assert.deepEqual(cluster.registers, [
    { node: "a", clientId: "", resumed: false },
    { node: "b", clientId: CLIENT_ID, resumed: true },
  ]);
  // Moved at once and said so, naming both addresses; back online once checked in there.
  const offline = c.of("offline");
  assert.equal(offline.length, 1, JSON.stringify(c.events));
  assert.equal(offline[0].address, addresses[0]);
  assert.equal(offline[0].next, addresses[1]);
  assert.equal(offline[0].retryMs, 0);
  assert.equal(c.of("online").length, 1);
  // The cursor went along: b was opened after m2, and what it sent again was dropped.
  assert.deepEqual(cluster.opens.map((o) => [o.node, o.seen.general ?? 0]), [["a", 0], ["b", 2]]);
  assert.deepEqual(c.texts(), ["m1", "m2", "m5"], "each message printed once");
  assert.equal(c.s.duplicatesDropped, 2);
  // "two" went again with the same id, and is stored once.
  const twos = cluster.sends.filter((s) => s.text === "two");
  assert.deepEqual(twos.map((s) => s.node), ["a", "b"]);
  assert.equal(twos[0].clientMsgId, twos[1].clientMsgId);
  assert.deepEqual(cluster.messages.map((m) => m.text), ["m1", "m2", "one", "two", "m5"]);
  await c.s.close();

  // Both addresses are now known to reach the service: either finds the identity at start,
  // in any order of the list.
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/addresses.json`)), {
    [addresses[0]]: "cluster-1",
    [addresses[1]]: "cluster-1",
  });
  for (const list of [[addresses[1]], [addresses[1], addresses[0]]]) {
    const stored = await IdentityStore.peek(dir, list, "Luis");
    assert.deepEqual(stored, { clientId: CLIENT_ID, key: KEY, seen: { general: 5 } });
  }
  b.fake.forceShutdown();
});

Deno.test("failover: a restarted client resumes its identity at whichever address answers", async () => {
  const cluster = new Cluster();
  const a = await startFake(cluster.node("a"));
  const dead = `127.0.0.1:${closedPort()}`;
  const live = `127.0.0.1:${a.port}`;
  const dir = await Deno.makeTempDir({ prefix: "chat-failover-" });
  const first = await session(dir, [live]);
  await first.s.close();
  // Started again with a list whose first address is away: the hint of the second finds it.
  const again = await session(dir, [dead, live]);
  assert.deepEqual(again.of("connected").map((e) => [e.address, e.resumed]), [[live, true]]);
  assert.deepEqual(cluster.registers.map((r) => r.resumed), [false, true]);
  await again.s.close();
  a.fake.forceShutdown();
});

Deno.test("failover: every address away: each is said once, the round waits its backoff, then goes round again", async () => {
  // The second node answers every Register UNAVAILABLE (a node whose database is down).
  const attempts: number[] = [];
  const { fake, port } = await startFake(fakeHandlers({
    Register: (_call, cb) => {
      attempts.push(Date.now());
      cb({ code: grpc.status.UNAVAILABLE, details: "the database is away" });
    },
  }));
  const addresses = [`127.0.0.1:${closedPort()}`, `127.0.0.1:${port}`];
  const dir = await Deno.makeTempDir({ prefix: "chat-failover-" });
  const events: ClientEvent[] = [];
  const s = new ChatSession({
    name: "Luis",
    address: addresses,
    identity: await IdentityStore.open(dir, addresses, "Luis"),
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 40, maxMs: 40, random: () => 0.999 },
  });
  const started = s.start();
  started.catch(() => {});
  await until(() => attempts.length >= 4, "four rounds");
  assert.deepEqual(
    (events as OfflineEvent[]).map((e) => [e.call, e.address, e.details, e.next, e.retryMs]),
    [
      ["register", addresses[0], "connection refused", addresses[1], 0],
      ["register", addresses[1], "the database is away", addresses[0], 40],
    ],
    "each address said once in the outage, not once per attempt",
  );
  // Between two attempts at the node: the round's wait (the refused address costs no wait).
  for (let i = 1; i < attempts.length; i++) {
    assert.ok(attempts[i] - attempts[i - 1] >= 35, `${attempts[i] - attempts[i - 1]} ms`);
  }
  await s.close(0);
  await assert.rejects(started);
  fake.forceShutdown();
});

Deno.test("failover: one address is the single-server client: offline once, retrying at the same address", async () => {
  const address = `127.0.0.1:${closedPort()}`;
  const dir = await Deno.makeTempDir({ prefix: "chat-failover-" });
  const events: ClientEvent[] = [];
  const s = new ChatSession({
    name: "Luis",
    address,
    identity: await IdentityStore.open(dir, address, "Luis"),
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 40, maxMs: 40, random: () => 0.999 },
  });
  const started = s.start();
  started.catch(() => {});
  await until(() => events.length === 1, "offline");
  assert.deepEqual(events, [{
    type: "offline",
    call: "register",
    address,
    details: "connection refused",
    retryMs: 40,
  }]);
  await s.close(0);
  await assert.rejects(started);
});
