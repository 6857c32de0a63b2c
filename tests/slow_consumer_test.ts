/**
 * A subscriber that stops reading holds at most its window in server memory:
 * the rest waits in the store. Everyone else keeps receiving; the slow one
 * gets everything, once, in order, when it reads again.
 */
import assert from "node:assert/strict";
import { serverRssMb, startServer } from "./harness.ts";
import { auth, rawClient, RawSubscription, register, send } from "./grpc.ts";

const ROUNDS = 8;
const PER_ROUND = 5_000;
const SENDERS = 16;
const TEXT = "x".repeat(4000);

/** Least-squares slope of `ys` against 0, 1, 2, ...: growth per step, robust to one noisy sample. */
function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const num = ys.reduce((a, y, x) => a + (x - mx) * (y - my), 0);
  const den = ys.reduce((a, _, x) => a + (x - mx) ** 2, 0);
  return num / den;
}

Deno.test("slow consumer: a stalled subscriber holds at most its window; others keep going; it catches up", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-slow-" });
  const server = await startServer({
    db: `${dir}/chat.db`,
    extra: ["-quiet", "-rate_limits", "off"],
  });
  const client = rawClient(server.port);
  const [sender, fast, slow] = [
    await register(client, "Sender"),
    await register(client, "Fast"),
    await register(client, "Slow"),
  ];
  const fastSub = new RawSubscription(client, auth(fast.clientId, fast.key));
  fastSub.call.on(
    "data",
    (d) => fastSub.call.write({ ack: { group: d.group, seq: d.throughSeq } }),
  );
  fastSub.call.write({ open: { seen: [] } });
  const slowSub = new RawSubscription(client, auth(slow.clientId, slow.key));
  slowSub.call.write({ open: { seen: [] } });
  // The slow one reads its first frame, then stops reading altogether (and so never acks).
  await send(client, sender, "first");
  await slowSub.until(() => slowSub.seqs.length === 1);
  slowSub.call.pause();

  // Rounds of PER_ROUND messages from SENDERS concurrent senders; RSS after each.
  const rss: number[] = [];
  let total = 1;
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    let next = 0;
    await Promise.all(Array.from({ length: SENDERS }, async () => {
      while (next < PER_ROUND) {
        next++;
        await send(client, sender, TEXT);
      }
    }));
    total += PER_ROUND;
    await fastSub.until(() => fastSub.seqs.length === total, 60_000);
    rss.push(await serverRssMb(server.proc));
  }
  const seconds = (performance.now() - started) / 1000;
  const roundMb = (PER_ROUND * TEXT.length) / 1024 / 1024;
  const growth = slope(rss.slice(-5));
  console.log(
    `slow consumer: ${ROUNDS * PER_ROUND} messages of ${TEXT.length} bytes ` +
      `(${(ROUNDS * roundMb).toFixed(0)} MB) in ${
        seconds.toFixed(1)
      } s with one subscriber stalled; ` +
      `server RSS after each ${roundMb.toFixed(0)} MB round: ${
        rss.map((r) => r.toFixed(0)).join(", ")
      } MB; ` +
      `slope over the last 5: ${growth.toFixed(1)} MB/round`,
  );
  // The heap settles at a working size under this load (it does with no stalled
  // subscriber too); after that, memory must not follow the volume. A server
  // that buffers for the stalled one (bench/bare_broadcast_server.ts) grows by
  // about a round's payload every round.
  assert.ok(growth < roundMb / 2, `RSS keeps growing: ${growth.toFixed(1)} MB per round`);
  assert.equal(slowSub.seqs.length, 1, "the stalled one read nothing meanwhile");
  assert.deepEqual(
    fastSub.seqs,
    Array.from({ length: total }, (_, i) => i + 1),
    "the fast one got all",
  );

  // Reading again, the slow one gets everything, once, in order.
  slowSub.call.on(
    "data",
    (d) => slowSub.call.write({ ack: { group: d.group, seq: d.throughSeq } }),
  );
  slowSub.call.write({ ack: { group: "general", seq: slowSub.deliveries[0].throughSeq } });
  slowSub.call.resume();
  await slowSub.until(() => slowSub.seqs.length === total, 60_000);
  assert.deepEqual(slowSub.seqs, Array.from({ length: total }, (_, i) => i + 1));

  fastSub.call.end();
  slowSub.call.end();
  await Promise.all([fastSub.status, slowSub.status]);
  client.close();
  await server.proc.stop();
});
