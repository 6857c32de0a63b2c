/**
 * The server's log for programs (`-log json`) and for people (the default): the
 * same events, each one line, whatever names and texts clients send.
 */
import assert from "node:assert/strict";
import { auth, rawClient, RawSubscription, refusal, register, send } from "./grpc.ts";
import { type ServerProcess, startServer } from "./harness.ts";

/** A name no log line should be broken by: quotes, braces, a backslash, and JSON's own syntax. */
const HOSTILE_NAME = `Eve"},{"level":"fatal","msg":"pwned\\`;
/** A group name a client may send: refused, and said in the refusal line. */
const HOSTILE_GROUP = `x\n{"level":"fatal"}\u2028y`;

/** Registers alice and eve, subscribes alice, sends, is refused twice, and disconnects. */
async function playEvents(server: ServerProcess): Promise<void> {
  const client = rawClient(server.port);
  try {
    const alice = await register(client, "Alice");
    const eve = await register(client, HOSTILE_NAME);
    const sub = new RawSubscription(client, auth(alice.clientId, alice.key));
    sub.call.write({ open: { seen: [] } });
    await server.proc.waitForLine(/subscribe /);
    await send(client, eve, "hello");
    await sub.until(() => sub.seqs.length === 1);
    await refusal(send(client, eve, "x", "m2", HOSTILE_GROUP));
    await refusal(send(client, { ...eve, key: "wrong" }, "x"));
    // An ack for a group the stream does not deliver, named with a line separator: refused,
    // and the stream ends; both the refusal and the disconnect name it.
    const bad = new RawSubscription(client, auth(eve.clientId, eve.key));
    bad.call.write({ open: { seen: [] } });
    bad.call.write({ ack: { group: HOSTILE_GROUP, seq: 1 } });
    await bad.status;
    sub.call.end();
    await sub.status;
    await server.proc.waitForLine(/disconnect /);
  } finally {
    client.close();
  }
}

/** What a server started with `flags` logged while {@link playEvents} ran, to its stop. */
async function loggedLines(flags: string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "chat-log-" });
  const server = await startServer({ db: `${dir}/chat.db`, extra: flags });
  try {
    await playEvents(server);
  } finally {
    server.proc.kill("SIGTERM");
    await server.proc.status;
    await Deno.remove(dir, { recursive: true });
  }
  return server.proc.stdout.filter((l) => l.trim() !== "");
}

Deno.test("log: -log json writes one JSON object per line, with the fields of register, send, refusal, subscribe and disconnect", async () => {
  const lines = await loggedLines(["-log", "json"]);
  const records = lines.map((line) => {
    const record = JSON.parse(line);
    assert.equal(typeof record, "object", line);
    assert.match(record.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
    assert.match(record.level, /^(info|warn)$/, line);
    assert.equal(typeof record.event, "string", line);
    assert.equal(typeof record.msg, "string", line);
    return record;
  });
  const of = (event: string) => records.filter((r) => r.event === event);
  assert.deepEqual(of("listening").length, 1);
  const registers = of("register");
  assert.deepEqual(registers.map((r) => [r.resumed, r.handle]), [[false, "alice"], [false, null]]);
  const eve = registers[1];
  assert.match(eve.client, /^~Eve"\},\{"level":"fatal","msg":"pwned\\#[0-9a-f]{4}$/);
  assert.match(eve.client_id, /^[0-9a-f]{32}$/);
  const [sent] = of("send");
  assert.deepEqual(
    [sent.client, sent.client_id, sent.group, sent.seq, sent.duplicate],
    [eve.client, eve.client_id, "general", 1, false],
  );
  assert.equal(typeof sent.latency_ms, "number");
  const [subscribed] = of("subscribe");
  assert.deepEqual([subscribed.client, subscribed.groups], [registers[0].client, ["general"]]);
  assert.deepEqual(of("subscribe").map((r) => r.client), [registers[0].client, eve.client]);
  const refusals = of("refusal");
  assert.deepEqual(refusals.map((r) => [r.call, r.status]), [
    ["send", "NOT_FOUND"],
    ["send", "UNAUTHENTICATED"],
    ["subscribe", "INVALID_ARGUMENT"],
  ]);
  assert.equal(refusals[0].client, eve.client);
  assert.ok(refusals[0].details.includes(JSON.stringify(HOSTILE_GROUP)), refusals[0].details);
  const [dropped, disconnected] = of("disconnect");
  assert.deepEqual([dropped.client, dropped.status], [eve.client, "INVALID_ARGUMENT"]);
  assert.ok(
    dropped.reason.includes(JSON.stringify(HOSTILE_GROUP)),
    dropped.reason,
  );
  assert.deepEqual([disconnected.client, disconnected.reason], [
    registers[0].client,
    "stream ended",
  ]);
  assert.deepEqual(of("stopped").map((r) => r.sends), [1]);
  // Nothing but these events was written, and no record came from a client's text.
  assert.deepEqual(
    [...new Set(records.map((r) => r.event))].sort(),
    [
      "claim",
      "disconnect",
      "listening",
      "refusal",
      "register",
      "send",
      "shutdown",
      "stopped",
      "subscribe",
    ],
  );
  assert.ok(records.every((r) => r.level !== "fatal"));
});

Deno.test("log: the readable log stays one line per event, a timestamp first, whatever a client sends", async () => {
  const lines = await loggedLines([]);
  for (const line of lines) {
    assert.match(
      line,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (listening|claim|register|subscribe|send|refused|disconnect|SIGTERM:|stopped) /,
      line,
    );
    assert.doesNotMatch(line, /[\u2028\u2029]/, line);
  }
  assert.equal(
    lines.filter((l) => / disconnect /.test(l)).length,
    2,
    "both disconnects, one line each",
  );
  const refused = lines.filter((l) => / refused send /.test(l));
  assert.equal(refused.length, 2);
  // The group name is quoted, and the line separator in it written out: one line still.
  const quoted = JSON.stringify(HOSTILE_GROUP).replace("\u2028", "\\u2028");
  assert.ok(refused[0].includes(quoted), refused[0]);
});
