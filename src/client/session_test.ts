import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { startChatServer } from "../server/chat_server.ts";
import { ChatSession, type ReceivedMessage, RefusedError } from "./session.ts";
import { IdentityFile } from "./identity.ts";
import { type ChatHandlers, chatProto } from "../protocol/proto.ts";

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

/** A gRPC server on 127.0.0.1 with handlers a test writes to misbehave on purpose. */
async function startFake(handlers: ChatHandlers): Promise<{ fake: grpc.Server; port: number }> {
  const fake = new grpc.Server();
  fake.addService(chatProto.chat.Chat.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    fake.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => e ? reject(e) : resolve(p),
    )
  );
  return { fake, port };
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
  assert.deepEqual(await bob.s.close(), { unsent: 0, inDoubt: 0 });
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
    (e) => e instanceof RefusedError && e.code === grpc.status.PERMISSION_DENIED,
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
    Publish: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED }),
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
  const { fake, port } = await startFake(handlers);
  const stateDir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const c = await session(port, stateDir, "Dee");
  await until(() => acks.includes(4), "the ack of 4");
  assert.deepEqual(c.received.map((m) => m.seq), [1, 2, 3, 4]);
  assert.equal(c.s.duplicatesDropped, 2);
  assert.deepEqual(acks, [4], "one cumulative ack covers both frames");
  await c.s.close();
  const saved = JSON.parse(await Deno.readTextFile(`${stateDir}/127.0.0.1%3A${port}/Dee.json`));
  assert.equal(saved.seen.general, 4, "what was printed is remembered across restarts");
  fake.forceShutdown();
});

Deno.test("client: a server back on a new database while lines are queued: one new identity, nothing echoed", async () => {
  // Both loops find the identity gone at about the same moment; timing varies per round.
  for (let round = 0; round < 20; round++) {
    const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
    const first = await startChatServer({
      host: "127.0.0.1",
      port: 0,
      dbPath: `${dir}/a.db`,
      members: null,
    });
    const ann = await session(first.port, `${dir}/state`, "Ann");
    await first.shutdown();
    const sends = ["one", "two", "three"].map((t) => ann.s.send(t));
    await new Promise((r) => setTimeout(r, (round * 7) % 90));
    const logs: string[] = [];
    const second = await startChatServer({
      host: "127.0.0.1",
      port: first.port,
      dbPath: `${dir}/b.db`,
      members: null,
      log: (l) => logs.push(l),
    });
    const seqs = (await Promise.all(sends)).map((r) => r.seq);
    assert.deepEqual(seqs, [1, 2, 3], `round ${round}: stored once each, in order`);
    // A message from someone else proves Ann has read everything before it.
    const bob = await session(second.port, `${dir}/state`, "Bob");
    await bob.s.send("marker");
    await until(() => ann.received.length > 0, `round ${round}: Ann gets the marker`);
    assert.deepEqual(ann.received.map((m) => m.text), ["marker"], `round ${round}: nothing echoed`);
    const annRegistrations = logs.filter((l) => /^register Ann#\w+ \(new/.test(l));
    assert.equal(annRegistrations.length, 1, `round ${round}:\n${logs.join("\n")}`);
    assert.ok(!logs.some((l) => l.includes("unknown client")), "never called without credentials");
    await Promise.all([ann.s.close(0), bob.s.close(0)]);
    await second.shutdown();
  }
});

Deno.test("client: a server whose group ends before what the client printed (restored database)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
  let srv = await startChatServer(options);
  const port = srv.port;
  // Alice sends one message; the database is copied (the "backup"); she sends two more, Bob reads all.
  const alice = await session(port, `${dir}/state`, "Alice");
  const bob = await session(port, `${dir}/state`, "Bob");
  await alice.s.send("one");
  await bob.s.close(0);
  await srv.shutdown();
  await Deno.copyFile(options.dbPath, `${dir}/backup.db`);
  srv = await startChatServer({ ...options, port });
  await alice.s.send("two");
  await alice.s.send("three");
  const bobLater = await session(port, `${dir}/state`, "Bob");
  await until(() => bobLater.received.length === 2, "bob reads two and three");
  await bobLater.s.close(0);
  await alice.s.close(0);
  await srv.shutdown();
  // The backup comes back: the group ends at #1, Bob has printed up to #3.
  await Deno.copyFile(`${dir}/backup.db`, options.dbPath);
  srv = await startChatServer({ ...options, port });
  const restoredBob = await session(port, `${dir}/state`, "Bob");
  assert.match(
    restoredBob.notices.join("\n"),
    /general ends at #1 on the server, but this client has printed up to #3/,
  );
  const carol = await session(port, `${dir}/state`, "Carol");
  await carol.s.send("after the restore");
  await until(() => restoredBob.received.length === 1, "bob hears new messages again");
  assert.equal(restoredBob.received[0].text, "after the restore");
  await Promise.all([restoredBob.s.close(0), carol.s.close(0)]);
  await srv.shutdown();
});

Deno.test("client: close during a send reports it as in doubt, not as unsent", async () => {
  // A server that never answers Send: the call is in flight when the client closes.
  const handlers: ChatHandlers = {
    Register: (_call, cb) =>
      cb(null, { clientId: "ef".repeat(16), key: "k", resumed: false, groups: [] }),
    Send: () => {},
    Publish: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED }),
    Subscribe: (call) => {
      call.once("data", () => call.sendMetadata(new grpc.Metadata()));
      call.on("end", () => call.end());
    },
  };
  const { fake, port } = await startFake(handlers);
  const c = await session(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Flo");
  const refused = Promise.all([
    assert.rejects(c.s.send("in flight")),
    assert.rejects(c.s.send("never sent")),
  ]);
  const report = await c.s.close(100);
  assert.deepEqual(report, { unsent: 1, inDoubt: 1 });
  await refused;
  fake.forceShutdown();
});
