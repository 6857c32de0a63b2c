/**
 * Whole-system tests: real server and client processes on 127.0.0.1, as a
 * user runs them, including a server killed with SIGKILL mid-conversation.
 */
import assert from "node:assert/strict";
import { type ChatProcess, connectClient, receivedMessages, startServer } from "./harness.ts";
import { IdentityStore } from "../src/client/mod.ts";
import { CURSOR_FLUSH_MS } from "../src/shared/limits.ts";
import { auth, rawClient, RawSubscription, register } from "./grpc.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "chat-it-" });
}

async function stopAll(...procs: ChatProcess[]): Promise<void> {
  for (const p of procs) await p.stop();
}

Deno.test("integration: two '-name Luis' at once are two clients, and each gets the other's message", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const stateDir = `${dir}/state`;
  const first = await connectClient({ name: "Luis", port: server.port, stateDir, label: "Luis-1" });
  const second = await connectClient({
    name: "Luis",
    port: server.port,
    stateDir,
    label: "Luis-2",
  });
  assert.notEqual(first.id, second.id);
  await first.proc.type("hi from the first Luis");
  await second.proc.type("hi from the second Luis");
  await first.proc.waitForLine(/second Luis/);
  await second.proc.waitForLine(/first Luis/);
  // A third message from the first proves the second has read everything before it.
  await first.proc.type("end");
  await second.proc.waitForLine(/: end$/);
  assert.deepEqual(receivedMessages(first.proc), [
    { group: "general", from: second.id, text: "hi from the second Luis" },
  ]);
  assert.deepEqual(receivedMessages(second.proc), [
    { group: "general", from: first.id, text: "hi from the first Luis" },
    { group: "general", from: first.id, text: "end" },
  ]);
  await stopAll(first.proc, second.proc);
  // Restarted, each takes its identity back (slot 1 is the first).
  const again = await connectClient({
    name: "Luis",
    port: server.port,
    stateDir,
    label: "Luis-1b",
  });
  assert.equal(again.id, first.id);
  await stopAll(again.proc, server.proc);
});

Deno.test("integration: -group sends to that group, and only its members print it", async () => {
  const dir = await tempDir();
  const server = await startServer({
    db: `${dir}/chat.db`,
    extra: ["-group", "ops=Alice,Bob"],
  });
  const stateDir = `${dir}/state`;
  const alice = await connectClient({
    name: "Alice",
    port: server.port,
    stateDir,
    extra: ["-group", "ops"],
  });
  const bob = await connectClient({ name: "Bob", port: server.port, stateDir });
  const carol = await connectClient({
    name: "Carol",
    port: server.port,
    stateDir,
    extra: ["-group", "ops"],
  });
  await carol.proc.waitForLine(/not a member of ops/, { stream: "stderr" });
  await carol.proc.type("let me in");
  await carol.proc.waitForLine(/^\* not sent: Carol is not a member of group ops/, {
    stream: "stderr",
  });
  await alice.proc.type("for ops only");
  await bob.proc.waitForLine(/^\[ops\] .*: for ops only$/);
  await bob.proc.type("for everyone");
  await carol.proc.waitForLine(/^\[general\] .*: for everyone$/);
  await alice.proc.waitForLine(/^\[general\] .*: for everyone$/);
  assert.deepEqual(receivedMessages(bob.proc), [
    { group: "ops", from: alice.id, text: "for ops only" },
  ]);
  // ops #1 was fanned out before general #1 was sent: had it gone to Carol, she would have
  // printed it first.
  assert.deepEqual(receivedMessages(carol.proc), [
    { group: "general", from: bob.id, text: "for everyone" },
  ]);
  await stopAll(alice.proc, bob.proc, carol.proc, server.proc);
});

Deno.test("integration: a restarted client resumes and prints only what it missed", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const stateDir = `${dir}/state`;
  const alice = await connectClient({ name: "Alice", port: server.port, stateDir });
  const bob = await connectClient({ name: "Bob", port: server.port, stateDir });
  await alice.proc.type("one");
  await alice.proc.type("two");
  await bob.proc.waitForLine(/: two$/);
  await bob.proc.closeInput();
  assert.equal((await bob.proc.status).code, 0, "Ctrl-D ends the client cleanly");
  await alice.proc.type("three");
  await alice.proc.type("four");
  await server.proc.waitForLine(/ -> general #4$/);
  const bobAgain = await connectClient({
    name: "Bob",
    port: server.port,
    stateDir,
    label: "Bob-again",
  });
  assert.equal(bobAgain.id, bob.id);
  assert.ok(bobAgain.proc.stderr.some((l) => /\(resumed\); 2 unread messages in general/.test(l)));
  await alice.proc.type("five");
  await bobAgain.proc.waitForLine(/: five$/);
  assert.deepEqual(receivedMessages(bobAgain.proc).map((m) => m.text), ["three", "four", "five"]);
  await stopAll(bobAgain.proc, alice.proc, server.proc);
});

Deno.test("integration: a server killed with SIGKILL loses no acknowledged message or ack, and resends nothing acked", async () => {
  const dir = await tempDir();
  const db = `${dir}/chat.db`;
  let server = await startServer({ db });
  const port = server.port;
  const stateDir = `${dir}/state`;
  const alice = await connectClient({ name: "Alice", port, stateDir });
  const bob = await connectClient({ name: "Bob", port, stateDir });
  for (let i = 1; i <= 10; i++) await alice.proc.type(`before ${i}`);
  await alice.proc.type("before 11");
  await bob.proc.waitForLine(/: before 11$/);
  // Bob acks each frame right after printing it; the server writes acks within
  // CURSOR_FLUSH_MS. That bound is what this waits out (with margin) before the kill.
  await new Promise((r) => setTimeout(r, 3 * CURSOR_FLUSH_MS));
  // Bob dies too, so nothing he remembers can stand in for what the server kept.
  bob.proc.kill("SIGKILL");
  await bob.proc.status;

  server.proc.kill("SIGKILL");
  assert.equal((await server.proc.status).signal, "SIGKILL");
  await alice.proc.waitForLine(/^\* offline: /, { stream: "stderr" });
  // Typed while the server is down: kept in the outbox, sent in order when it is back.
  for (let i = 1; i <= 5; i++) await alice.proc.type(`during ${i}`);

  server = await startServer({ db, port, label: "server-restarted" });
  await alice.proc.waitForLine(/^\* back online/, { stream: "stderr", timeoutMs: 20_000 });
  await server.proc.waitForLine(/ -> general #16$/, { timeoutMs: 20_000 });

  // The server kept Bob's acknowledgement: a stream that claims to have seen nothing starts after it.
  const state = (await IdentityStore.peek(stateDir, `127.0.0.1:${port}`, "Bob"))!;
  const probe = rawClient(port);
  const info = await register(probe, "Bob", state.clientId, state.key);
  assert.equal(info.groups[0].cursor, 11, "the server kept Bob's last ack");
  assert.equal(info.groups[0].lastSeq, 16, "nothing lost, nothing stored twice");
  const stream = new RawSubscription(probe, auth(state.clientId, state.key));
  stream.call.write({ open: { seen: [] } });
  await stream.until(() => stream.seqs.includes(16));
  assert.equal(stream.seqs[0], 12, "nothing Bob acked is sent again");
  stream.call.end();
  await stream.status;
  probe.close();

  // Bob comes back and prints exactly what he had not printed, then the rest.
  const bobAgain = await connectClient({ name: "Bob", port, stateDir, label: "Bob-again" });
  await alice.proc.type("after");
  await bobAgain.proc.waitForLine(/: after$/);
  const texts = [...receivedMessages(bob.proc), ...receivedMessages(bobAgain.proc)].map((m) =>
    m.text
  );
  assert.deepEqual(texts, [
    ...Array.from({ length: 11 }, (_, i) => `before ${i + 1}`),
    ...Array.from({ length: 5 }, (_, i) => `during ${i + 1}`),
    "after",
  ], "each once, in order, across Bob's two lives");
  assert.deepEqual(receivedMessages(alice.proc), []);
  await stopAll(alice.proc, bobAgain.proc, server.proc);
});
