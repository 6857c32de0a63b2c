import assert from "node:assert/strict";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { startChatServer } from "../server/chat_server.ts";
import {
  ChatSession,
  type ClientEvent,
  type ConnectedEvent,
  IdentityStore,
  type ReceivedMessage,
  RefusedError,
} from "./mod.ts";
import { fakeHandlers, startFake, unimplementedPublish, until } from "./testing.ts";
import { PUBLISH_WINDOW } from "../shared/limits.ts";
import { PUBLISH_ORDER_HEADER, PUBLISH_ORDERED } from "../protocol/proto.ts";
import { SignJWT } from "jose";
import { loadTokenVerifier } from "../server/auth/jwt.ts";

interface TestClient {
  s: ChatSession;
  events: ClientEvent[];
  /** The messages among the events, in order. */
  received(): ReceivedMessage[];
  /** The first event, which a started session has always reported. */
  connected(): ConnectedEvent;
}

async function session(
  port: number,
  stateDir: string,
  name: string,
  host = "127.0.0.1",
): Promise<TestClient> {
  const events: ClientEvent[] = [];
  const address = `${host}:${port}`;
  const identity = await IdentityStore.open(stateDir, address, name);
  const s = new ChatSession({
    name,
    address,
    identity,
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 20, maxMs: 200 },
  });
  await s.start();
  return {
    s,
    events,
    received: () => events.flatMap((e) => e.type === "message" ? [e.message] : []),
    connected: () => {
      const first = events.find((e) => e.type === "connected");
      assert.ok(first, "connected");
      return first;
    },
  };
}

async function server(log?: (line: string) => void) {
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null, log };
  return { dir, ...await startChatServer(options) };
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Files (not lock files) under `dir`, as paths relative to it, sorted. */
async function stateFiles(dir: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(dir, under))) {
    const path = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory) found.push(...await stateFiles(dir, path));
    else if (!entry.name.endsWith(".lock")) found.push(path);
  }
  return found.sort();
}

/** `localhost` must resolve for these tests; under a narrower --allow-net it cannot. */
async function assertLocalhostAllowed(): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "net", host: "localhost" });
  assert.equal(
    state,
    "granted",
    "this test connects to localhost: run it with --allow-net=localhost",
  );
}

Deno.test("client: a restarted client resumes as itself and gets only what it missed", async () => {
  const srv = await server();
  const stateDir = `${srv.dir}/state`;
  const alice = await session(srv.port, stateDir, "Alice");
  const bob = await session(srv.port, stateDir, "Bob");
  for (const t of ["one", "two", "three"]) await alice.s.send(t);
  await until(() => bob.received().length === 3, "bob's three messages");
  const bobId = bob.s.clientId;
  assert.deepEqual(await bob.s.close(), { unsent: 0, inDoubt: 0 });
  for (const t of ["four", "five"]) await alice.s.send(t);
  const bobAgain = await session(srv.port, stateDir, "Bob");
  assert.equal(bobAgain.s.clientId, bobId, "same identity");
  const connected = bobAgain.connected();
  assert.equal(bobAgain.events[0], connected);
  assert.equal(connected.displayName, bob.s.displayName);
  assert.equal(connected.resumed, true);
  assert.deepEqual(
    connected.groups.map((g) => [g.name, g.member, g.unread]),
    [["general", true, 2]],
  );
  await until(() => bobAgain.received().length === 2, "bob's two missed messages");
  assert.deepEqual(bobAgain.received().map((m) => m.text), ["four", "five"]);
  assert.equal(alice.received().length, 0, "alice is never sent her own");
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
  await until(
    () => luis1.received().length === 1 && luis2.received().length === 1,
    "cross delivery",
  );
  assert.equal(luis1.received()[0].text, "from the second");
  assert.equal(luis2.received()[0].text, "from the first");
  assert.equal(luis2.received()[0].senderId, luis1.s.clientId);
  const folder = `servers/${srv.reader.serverId()}`;
  assert.deepEqual(await stateFiles(stateDir), [
    "addresses.json",
    `${folder}/Luis.2.json`,
    `${folder}/Luis.json`,
  ]);
  await Promise.all([luis1.s.close(), luis2.s.close()]);
  assert.equal(
    ((await readJson(`${stateDir}/${folder}/Luis.json`)) as { clientId: string }).clientId,
    luis1.s.clientId,
  );
  assert.equal(
    ((await readJson(`${stateDir}/${folder}/Luis.2.json`)) as { clientId: string }).clientId,
    luis2.s.clientId,
  );
  await srv.shutdown();
});

Deno.test("client: a refused send is an event and a rejection, and leaves the outbox", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const srv = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: ["bob"],
  });
  const doug = await session(srv.port, `${dir}/state`, "Doug");
  assert.deepEqual(
    doug.connected().groups.map((g) => [g.name, g.member]),
    [["general", false]],
  );
  await assert.rejects(
    doug.s.send("let me in"),
    (e) => e instanceof RefusedError && e.code === grpc.status.PERMISSION_DENIED,
  );
  const refused = doug.events.filter((e) => e.type === "refused");
  assert.equal(refused.length, 1);
  const [event] = refused;
  assert.deepEqual({ ...event, details: "" }, {
    type: "refused",
    group: "general",
    text: "let me in",
    code: grpc.status.PERMISSION_DENIED,
    details: "",
  });
  assert.match(event.details, /^Doug is not a member of group general/);
  assert.equal(doug.s.unsent, 0);
  await doug.s.close();
  await srv.shutdown();
});

Deno.test("client: text the server would refuse is refused before sending", async () => {
  const logs: string[] = [];
  const srv = await server((line) => logs.push(line));
  const ann = await session(srv.port, `${srv.dir}/state`, "Ann");
  await assert.rejects(
    ann.s.send("x".repeat(5000)),
    (e) => e instanceof RefusedError && e.code === grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(ann.events.slice(1), [{
    type: "refused",
    group: "general",
    text: "x".repeat(5000),
    code: grpc.status.INVALID_ARGUMENT,
    details: "the message is 5000 bytes long; the limit is 4096 bytes",
  }]);
  assert.equal(ann.s.unsent, 0);
  assert.ok(!logs.some((l) => /refused|send /.test(l)), logs.join("\n"));
  await ann.s.close();
  await srv.shutdown();
});

Deno.test("client: a stored identity the server does not know leads to a fresh registration", async () => {
  const first = await server();
  const stateDir = `${first.dir}/state`;
  const a = await session(first.port, stateDir, "Ann");
  const oldId = a.s.clientId;
  const oldServer = first.reader.serverId();
  await a.s.close();
  await first.shutdown();
  // A new database on the same port: another server, where the old identity is unknown.
  const second = await startChatServer({
    host: "127.0.0.1",
    port: first.port,
    dbPath: `${first.dir}/other.db`,
    members: null,
  });
  const newServer = second.reader.serverId();
  assert.notEqual(newServer, oldServer);
  const again = await session(second.port, stateDir, "Ann");
  assert.notEqual(again.s.clientId, oldId);
  const [rejected, connected] = again.events;
  assert.deepEqual(rejected, {
    type: "identity-rejected",
    code: grpc.status.NOT_FOUND,
    details: `client id "${oldId}" is not registered on this server; register again without an id`,
  });
  assert.equal(connected.type, "connected");
  await again.s.close();
  // The old identity stays with the server it was made on; the hint follows the address.
  assert.deepEqual(
    await stateFiles(stateDir),
    [
      "addresses.json",
      `servers/${newServer}/Ann.json`,
      `servers/${oldServer}/Ann.json`,
    ].sort(),
  );
  assert.deepEqual(await readJson(`${stateDir}/addresses.json`), {
    [`127.0.0.1:${first.port}`]: newServer,
  });
  await second.shutdown();
});

Deno.test("client: localhost and 127.0.0.1 reach one server: one identity, nothing replayed", async () => {
  await assertLocalhostAllowed();
  for (const [firstHost, secondHost] of [["127.0.0.1", "localhost"], ["localhost", "127.0.0.1"]]) {
    const logs: string[] = [];
    const srv = await server((line) => logs.push(line));
    const stateDir = `${srv.dir}/state`;
    // Bob keeps his state elsewhere: his hint must not tell Luis's state dir anything.
    const bob = await session(srv.port, `${srv.dir}/bob`, "Bob");
    const luis = await session(srv.port, stateDir, "Luis", firstHost);
    await bob.s.send("one");
    await bob.s.send("two");
    await until(() => luis.received().length === 2, `${firstHost}: Luis gets two`);
    const luisId = luis.s.clientId;
    await luis.s.close();

    const again = await session(srv.port, stateDir, "Luis", secondHost);
    assert.equal(again.s.clientId, luisId, `${secondHost}: the same client`);
    const connected = again.connected();
    assert.deepEqual(again.events, [connected], `${secondHost}: one event, the connection`);
    assert.equal(connected.address, `${secondHost}:${srv.port}`);
    assert.equal(connected.resumed, true);
    assert.deepEqual(connected.groups.map((g) => [g.name, g.unread]), [["general", 0]]);
    // A message after the switch proves Luis has read everything before it: nothing replayed.
    await bob.s.send("three");
    await until(() => again.received().length > 0, `${secondHost}: Luis gets three`);
    assert.deepEqual(again.received().map((m) => m.text), ["three"]);
    assert.equal(again.s.duplicatesDropped, 0);
    await again.s.close();

    // Both addresses now point to the server: a third start resumes without minting a client.
    const newLuis = () => logs.filter((l) => /^register Luis#\w+ \(new/.test(l)).length;
    const minted = newLuis();
    const third = await session(srv.port, stateDir, "Luis", secondHost);
    assert.equal(third.s.clientId, luisId);
    assert.equal(newLuis(), minted, "the hint saves a registration");
    await Promise.all([third.s.close(), bob.s.close()]);
    const serverId = srv.reader.serverId();
    assert.deepEqual(await readJson(`${stateDir}/addresses.json`), {
      [`127.0.0.1:${srv.port}`]: serverId,
      [`localhost:${srv.port}`]: serverId,
    });
    assert.deepEqual(await stateFiles(stateDir), [
      "addresses.json",
      `servers/${serverId}/Luis.json`,
    ]);
    await srv.shutdown();
  }
});

Deno.test("client: the same name through two addresses at once is still two clients", async () => {
  await assertLocalhostAllowed();
  const srv = await server();
  const stateDir = `${srv.dir}/state`;
  const viaIp = await session(srv.port, stateDir, "Luis", "127.0.0.1");
  const viaName = await session(srv.port, stateDir, "Luis", "localhost");
  assert.notEqual(viaName.s.clientId, viaIp.s.clientId);
  await viaIp.s.send("hello");
  await until(() => viaName.received().length === 1, "the other Luis gets it");
  const folder = `servers/${srv.reader.serverId()}`;
  assert.deepEqual(await stateFiles(stateDir), [
    "addresses.json",
    `${folder}/Luis.2.json`,
    `${folder}/Luis.json`,
  ]);
  await Promise.all([viaIp.s.close(), viaName.s.close()]);
  await srv.shutdown();
});

Deno.test("client: an identity in the address-keyed layout is resumed and moved to its server", async () => {
  const srv = await server();
  const stateDir = `${srv.dir}/state`;
  const address = `127.0.0.1:${srv.port}`;
  const bob = await session(srv.port, stateDir, "Bob");
  const luis = await session(srv.port, stateDir, "Luis");
  await bob.s.send("one");
  await bob.s.send("two");
  await until(() => luis.received().length === 2, "Luis gets two");
  const luisId = luis.s.clientId;
  await luis.s.close();
  // Back to the layout of before server ids: the file under the address, no hints.
  const serverFolder = `${stateDir}/servers/${srv.reader.serverId()}`;
  const legacyFolder = `${stateDir}/${encodeURIComponent(address)}`;
  const stored = await readJson(`${serverFolder}/Luis.json`);
  await Deno.mkdir(legacyFolder);
  await Deno.rename(`${serverFolder}/Luis.json`, `${legacyFolder}/Luis.json`);
  await Deno.remove(`${stateDir}/addresses.json`);

  const again = await session(srv.port, stateDir, "Luis");
  assert.equal(again.s.clientId, luisId);
  assert.equal(again.connected().resumed, true);
  assert.equal(await exists(`${legacyFolder}/Luis.json`), false, "moved, not copied");
  assert.deepEqual(await readJson(`${serverFolder}/Luis.json`), stored);
  assert.deepEqual(await readJson(`${stateDir}/addresses.json`), {
    [address]: srv.reader.serverId(),
  });
  await bob.s.send("three");
  await until(() => again.received().length > 0, "Luis gets three");
  assert.deepEqual(again.received().map((m) => m.text), ["three"]);
  await Promise.all([again.s.close(), bob.s.close()]);
  await srv.shutdown();
});

Deno.test("client: deliveries that overlap are printed once each, in order", async () => {
  // A server that misbehaves on purpose: it sends sequences 1-3, then 2-4 again.
  const frames = [
    { group: "general", throughSeq: 3, messages: [1, 2, 3] },
    { group: "general", throughSeq: 4, messages: [2, 3, 4] },
  ];
  const acks: number[] = [];
  const handlers = fakeHandlers({
    // No server_id: an older server, whose clients keep their identity under its address.
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
  });
  const { fake, port } = await startFake(handlers);
  const stateDir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const c = await session(port, stateDir, "Dee");
  await until(() => acks.includes(4), "the ack of 4");
  assert.deepEqual(c.received().map((m) => m.seq), [1, 2, 3, 4]);
  assert.deepEqual(c.received()[0], {
    group: "general",
    seq: 1,
    senderId: "cd".repeat(16),
    senderName: "Eve",
    senderHandle: "",
    text: "m1",
    sentAtMs: 0,
  });
  assert.equal(c.s.duplicatesDropped, 2);
  assert.deepEqual(acks, [4], "one cumulative ack covers both frames");
  await c.s.close();
  assert.deepEqual(await stateFiles(stateDir), [`127.0.0.1%3A${port}/Dee.json`]);
  const saved = await readJson(`${stateDir}/127.0.0.1%3A${port}/Dee.json`);
  assert.equal((saved as { seen: Record<string, number> }).seen.general, 4, "remembered");
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
    await until(() => ann.received().length > 0, `round ${round}: Ann gets the marker`);
    assert.deepEqual(ann.received().map((m) => m.text), ["marker"], `round ${round}: no echo`);
    const annRegistrations = logs.filter((l) => /^register @ann Ann#\w+ \(new/.test(l));
    assert.equal(annRegistrations.length, 1, `round ${round}:\n${logs.join("\n")}`);
    assert.ok(!logs.some((l) => l.includes("unknown client")), "never called without credentials");
    const revoked = ann.events.filter((e) => e.type === "identity-revoked");
    assert.equal(revoked.length, 1, `round ${round}: said once`);
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
  await until(() => bobLater.received().length === 2, "bob reads two and three");
  await bobLater.s.close(0);
  await alice.s.close(0);
  await srv.shutdown();
  // The backup comes back: the group ends at #1, Bob has printed up to #3.
  await Deno.copyFile(`${dir}/backup.db`, options.dbPath);
  srv = await startChatServer({ ...options, port });
  const restoredBob = await session(port, `${dir}/state`, "Bob");
  assert.deepEqual(restoredBob.events.filter((e) => e.type === "history-rewound"), [
    { type: "history-rewound", group: "general", lastSeq: 1, printedSeq: 3 },
  ]);
  const carol = await session(port, `${dir}/state`, "Carol");
  await carol.s.send("after the restore");
  await until(() => restoredBob.received().length === 1, "bob hears new messages again");
  assert.equal(restoredBob.received()[0].text, "after the restore");
  await Promise.all([restoredBob.s.close(0), carol.s.close(0)]);
  await srv.shutdown();
});

Deno.test("client: offline, queued and back online are each said once, in that order", async () => {
  const srv = await server();
  const stateDir = `${srv.dir}/state`;
  const ann = await session(srv.port, stateDir, "Ann");
  const port = srv.port;
  await srv.shutdown();
  await until(() => ann.events.some((e) => e.type === "offline"), "offline");
  const sent = ann.s.send("while away");
  const again = await startChatServer({
    host: "127.0.0.1",
    port,
    dbPath: `${srv.dir}/chat.db`,
    members: null,
  });
  assert.equal((await sent).seq, 1);
  await until(() => ann.events.some((e) => e.type === "online"), "back online");
  const status = ann.events.slice(1).map((e) => e.type === "offline" ? e.call : e.type);
  assert.deepEqual(status, ["subscribe", "queued", "online"]);
  const offline = ann.events[1];
  assert.ok(offline.type === "offline");
  assert.equal(offline.address, `127.0.0.1:${port}`);
  // The stream ends with the shutdown status, or the connection goes first.
  assert.match(offline.details, /shutting down|^connection refused$/);
  assert.ok(offline.retryMs >= 10 && offline.retryMs <= 20, `${offline.retryMs} ms`);
  assert.deepEqual(ann.events[2], { type: "queued", waiting: 1 });
  await ann.s.close();
  await again.shutdown();
});

Deno.test("client: close during a send reports it as in doubt, not as unsent", async () => {
  // An older server (no Publish) that never answers Send: one call is in flight when the
  // client closes, the other line waits behind it.
  const handlers = fakeHandlers({ Publish: unimplementedPublish });
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

Deno.test("client: close with a window of lines on their way reports those as in doubt, the rest as unsent", async () => {
  // A Publish stream of today's server (it keeps a sender's order, so it may be sent a window
  // ahead) that takes every line in and answers none.
  let received = 0;
  const { fake, port } = await startFake(fakeHandlers({
    Publish: (call) => {
      const headers = new grpc.Metadata();
      headers.set(PUBLISH_ORDER_HEADER, PUBLISH_ORDERED);
      call.sendMetadata(headers);
      call.on("data", () => received++);
      call.on("error", () => {});
    },
  }));
  const c = await session(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Flo");
  const outcomes = Promise.allSettled(
    Array.from({ length: PUBLISH_WINDOW + 5 }, (_, i) => c.s.send(`line ${i + 1}`)),
  );
  await until(() => received === PUBLISH_WINDOW, "a window of lines on their way");
  assert.deepEqual(await c.s.close(100), { unsent: 5, inDoubt: PUBLISH_WINDOW });
  assert.ok(
    (await outcomes).every((o) => o.status === "rejected"),
    "every line is told it was not sent",
  );
  fake.forceShutdown();
});

Deno.test("client: a rate-limited Register waits as long as the server asks, and says why", async () => {
  let calls = 0;
  const handlers = fakeHandlers({
    Register: (_call, cb) => {
      if (++calls === 1) {
        const metadata = new grpc.Metadata();
        metadata.set("retry-after-ms", "700");
        cb({
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: "too many registrations from your address; try again in 1 s",
          metadata,
        });
        return;
      }
      cb(null, { clientId: "12".repeat(16), key: "k", resumed: false, groups: [] });
    },
  });
  const { fake, port } = await startFake(handlers);
  const started = Date.now();
  const c = await session(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Rae");
  assert.ok(Date.now() - started >= 700, "it waited what the server asked");
  const offline = c.events.find((e) => e.type === "offline");
  assert.ok(offline && offline.type === "offline");
  assert.equal(offline.details, "too many registrations from your address; try again in 1 s");
  assert.ok(offline.retryMs >= 700, `${offline.retryMs}`);
  assert.equal(calls, 2, "one retry, not a hammering");
  await c.s.close(0);
  fake.forceShutdown();
});

Deno.test("client: when its token expires the session ends and says why, once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const secret = new TextEncoder().encode("a shared secret of at least 32 bytes, for tests");
  await Deno.writeFile(`${dir}/hs256.key`, secret);
  const tokens = await loadTokenVerifier({ keyFile: `${dir}/hs256.key`, clockToleranceS: 0 });
  const server = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: ["alice"],
    accounts: { mode: "token", tokens },
  });
  const token = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(Math.floor(Date.now() / 1000) + 2).sign(secret);
  const events: ClientEvent[] = [];
  const address = `127.0.0.1:${server.port}`;
  const s = new ChatSession({
    name: "Alice",
    address,
    identity: await IdentityStore.open(`${dir}/state`, address, "Alice"),
    onEvent: (e) => events.push(e),
    proof: { token },
    backoff: { initialMs: 20, maxMs: 200 },
  });
  await s.start();
  assert.match(
    s.displayName,
    /^@alice alice#[0-9a-f]{4}$/,
    "the name is the token's (its sub, as it has no name)",
  );
  const ended = await s.ended;
  assert.equal(ended.code, grpc.status.UNAUTHENTICATED);
  assert.match(ended.message, /^the token was refused: .*expired/);
  const last = events.at(-1)!;
  assert.equal(last.type, "ended");
  assert.equal(
    events.filter((e) => e.type === "identity-revoked").length,
    1,
    "said once, then ended: no loop",
  );
  await s.close(0);
  await server.shutdown();
});
