/**
 * Rounds of dozens of streaming clients disconnecting at once while messages
 * flow: a third of them killed with SIGKILL, two thirds leaving politely (streams
 * cancelled, channels closed). The server must stay up and keep serving.
 *
 * This is the guard against the http2 crash of Deno 2.9.4 to 2.9.6 (README,
 * "Why Deno 2.9.3"). Run under Deno 2.9.5 it fails in most runs: the server
 * aborts in nghttp2 (`find_stream_on_goaway_func: Assertion
 * 'stream->closed_next == NULL' failed`) when the polite half leaves.
 */
import assert from "node:assert/strict";
import { startScript, startServer } from "./harness.ts";
import { rawClient, register, send } from "./grpc.ts";

const ROUNDS = 20;
const STREAMS_PER_PROCESS = 25;
const SENDERS = 16;
const TEXT = "x".repeat(100);

Deno.test("disconnect storm: the server survives dozens of streaming clients leaving at once, round after round", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-storm-" });
  const server = await startServer({
    db: `${dir}/chat.db`,
    extra: ["-quiet", "-rate_limits", "off"],
  });
  const sender = rawClient(server.port);
  const me = await register(sender, "Sender");
  let sending = true;
  let sent = 0;
  let sendError: unknown;
  const flow = Promise.all(Array.from({ length: SENDERS }, async () => {
    while (sending && !sendError) {
      await send(sender, me, `tick ${TEXT}`).then(() => sent++, (e) => sendError ??= e);
    }
  }));

  for (let round = 1; round <= ROUNDS; round++) {
    const storm = ["SIGTERM", "SIGTERM", "SIGKILL"].map((signal, p) => ({
      signal: signal as Deno.Signal,
      proc: startScript(`storm-${round}-${p}-${signal}`, "tests/fixtures/subscribers.ts", [
        String(server.port),
        String(STREAMS_PER_PROCESS),
      ]),
    }));
    await Promise.all(storm.map((s) => s.proc.waitForLine(/^ready \d+$/, { timeoutMs: 30_000 })));
    // Messages are flowing to every stream when the storm hits.
    await Promise.all(storm.map((s) => s.proc.waitForLine(/^received [1-9]\d*$/)));
    for (const s of storm) s.proc.kill(s.signal);
    await Promise.all(storm.map((s) => s.proc.status));
    const status = await Promise.race([server.proc.status, Promise.resolve("running")]);
    assert.equal(
      status,
      "running",
      `the server died in round ${round}: ${JSON.stringify(status)}\n${server.proc.transcript()}`,
    );
    assert.equal(sendError, undefined, `sends failed in round ${round}`);
  }
  sending = false;
  await flow;
  // Still serving: a new client registers and sends.
  const after = rawClient(server.port);
  const late = await register(after, "Late");
  assert.equal((await send(after, late, "still here")).seq, sent + 1);
  console.log(
    `disconnect storm: ${ROUNDS} rounds of ${3 * STREAMS_PER_PROCESS} streams leaving at once ` +
      `(two thirds cancel+close, one third SIGKILL), ${sent} messages sent meanwhile`,
  );
  sender.close();
  after.close();
  assert.equal((await server.proc.stop()).code, 0, "and it still shuts down cleanly");
});
