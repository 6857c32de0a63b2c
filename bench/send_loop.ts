/**
 * One client, one send loop: how many messages per second a single client
 * gets acknowledged when it awaits each Send (durable, synchronous=FULL)
 * before the next. The server runs as its own process.
 *
 * deno run -A bench/send_loop.ts [COUNT]
 *
 * @module
 */
import { startServer } from "../tests/harness.ts";
import { rawClient, register, send } from "../tests/grpc.ts";

const count = Number(Deno.args[0] ?? 2000);
const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
const server = await startServer({ db: `${dir}/chat.db`, extra: ["-quiet"] });
const client = rawClient(server.port);
const me = await register(client, "bench");
for (let i = 0; i < 100; i++) await send(client, me, `warm-up ${i}`);
const latencies: number[] = [];
const start = performance.now();
for (let i = 0; i < count; i++) {
  const t = performance.now();
  await send(client, me, `message ${i} ${"x".repeat(80)}`);
  latencies.push(performance.now() - t);
}
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
const result = {
  messages: count,
  msgs_per_s: Math.round(count / seconds),
  p50_ms: +pct(0.5).toFixed(2),
  p99_ms: +pct(0.99).toFixed(2),
};
client.close();
await server.proc.stop();
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify(result));
