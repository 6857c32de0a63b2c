import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { startChatServer } from "./chat_server.ts";
import { ChatSession, type ReceivedMessage, SendRefusedError } from "./client_core.ts";
import { IdentityFile } from "./identity.ts";
import { type ChatHandlers, chatProto } from "./proto.ts";

async function session(port: number, stateDir: string, name: string) {
  const received: ReceivedMessage[] = [];
  const notices: string[] = [];
  const identity = await IdentityFile.claim(stateDir, `127.0.0.1:${port}`, name);
  const s = new ChatSession({
    name,
    address: `127.0.0.1:${port}`,
    identity,
    onMessage: (m) => received.push(m),
    onNotice: (n) => notices.push(n),
    backoff: { initialMs: 20, maxMs: 200 },
  });
  await s.start();
  return { s, received, notices };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function server() {
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
  return { dir, ...await startChatServer(options) };
}

Deno.test("client: a restarted client resumes as itself and gets only what it missed", async () => {
  const srv = await server();
  const stateDir = `${srv.dir}/state`;
  const alice = await session(srv.port, stateDir, "Alice");
  const bob = await session(srv.port, stateDir, "Bob");
  for (const t of ["one", "two", "three"]) await alice.s.send(t);
  await until(() => bob.received.length === 3, "bob's three messages");
  const bobId = bob.s.clientId;
  assert.equal(await bob.s.close(), 0);
  for (const t of ["four", "five"]) await alice.s.send(t);
  const bobAgain = await session(srv.port, stateDir, "Bob");
  assert.equal(bobAgain.s.clientId, bobId, "same identity");
  assert.match(bobAgain.notices[0], /as Bob#\w+ \(resumed\); 2 unread messages in general/);
  await until(() => bobAgain.received.length === 2, "bob's two missed messages");
  assert.deepEqual(bobAgain.received.map((m) => m.text), ["four", "five"]);
  assert.equal(alice.received.length, 0, "alice is never sent her own");
  await Promise.all([alice.s.close(), bobAgain.s.close()]);
  await srv.shutdown();
});

Deno.test("client: two clients of the same name at once are two clients", async () => {
  const srv = await server();
  const stateDir = `${srv.dir}/state`;
  const luis1 = await session(srv.port, stateDir, "Luis");
  const luis2 = await session(srv.port, stateDir, "Luis");
  assert.notEqual(luis1.s.clientId, luis2.s.clientId);
  await luis1.s.send("from the first");
  await luis2.s.send("from the second");
  await until(() => luis1.received.length === 1 && luis2.received.length === 1, "cross delivery");
  assert.equal(luis1.received[0].text, "from the second");
  assert.equal(luis2.received[0].text, "from the first");
  assert.equal(luis2.received[0].senderId, luis1.s.clientId);
  await Promise.all([luis1.s.close(), luis2.s.close()]);
  await srv.shutdown();
});

Deno.test("client: a refused send rejects with the server's reason and leaves the outbox", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const srv = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: ["bob"],
  });
  const doug = await session(srv.port, `${dir}/state`, "Doug");
  assert.match(doug.notices[0], /not a member of general/);
  await assert.rejects(
    doug.s.send("let me in"),
    (e) => e instanceof SendRefusedError && e.code === grpc.status.PERMISSION_DENIED,
  );
  assert.equal(doug.s.unsent, 0);
  await doug.s.close();
  await srv.shutdown();
});

Deno.test("client: a stored identity the server does not know leads to a fresh registration", async () => {
  const first = await server();
  const stateDir = `${first.dir}/state`;
  const a = await session(first.port, stateDir, "Ann");
  const oldId = a.s.clientId;
  await a.s.close();
  await first.shutdown();
  // A new database on the same port: the old identity is unknown there.
  const second = await startChatServer({
    host: "127.0.0.1",
    port: first.port,
    dbPath: `${first.dir}/other.db`,
    members: null,
  });
  const again = await session(second.port, stateDir, "Ann");
  assert.notEqual(again.s.clientId, oldId);
  assert.match(
    again.notices.join("\n"),
    /does not accept the stored identity.*registering as a new client/,
  );
  await again.s.close();
  await second.shutdown();
});

Deno.test("client: deliveries that overlap are printed once each, in order", async () => {
  // A server that misbehaves on purpose: it sends sequences 1-3, then 2-4 again.
  const frames = [
    { group: "general", throughSeq: 3, messages: [1, 2, 3] },
    { group: "general", throughSeq: 4, messages: [2, 3, 4] },
  ];
  const acks: number[] = [];
  const handlers: ChatHandlers = {
    Register: (_call, cb) =>
      cb(null, {
        clientId: "ab".repeat(16),
        key: "k",
        resumed: false,
        groups: [{ name: "general", member: true, lastSeq: 4, cursor: 0, unread: 4 }],
      }),
    Send: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
    Subscribe: (call) => {
      call.once("data", () => {
        call.sendMetadata(new grpc.Metadata());
        for (const f of frames) {
          call.write({
            ...f,
            messages: f.messages.map((seq) => ({
              seq,
              senderId: "cd".repeat(16),
              senderName: "Eve",
              text: `m${seq}`,
              sentAtMs: 0,
            })),
          });
        }
        call.on("data", (frame) => acks.push(Number(frame.ack?.seq)));
      });
      call.on("end", () => call.end());
    },
  };
  const fake = new grpc.Server();
  fake.addService(chatProto.chat.Chat.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    fake.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => e ? reject(e) : resolve(p),
    )
  );
  const stateDir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const c = await session(port, stateDir, "Dee");
  await until(() => acks.includes(4), "the ack of 4");
  assert.deepEqual(c.received.map((m) => m.seq), [1, 2, 3, 4]);
  assert.equal(c.s.stats.duplicatesDropped, 2);
  assert.deepEqual(acks, [3, 4]);
  await c.s.close();
  const saved = JSON.parse(await Deno.readTextFile(`${stateDir}/127.0.0.1%3A${port}/Dee.json`));
  assert.equal(saved.seen.general, 4, "what was printed is remembered across restarts");
  fake.forceShutdown();
});
