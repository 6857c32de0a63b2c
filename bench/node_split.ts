/**
 * A probe for issue 14's open goal (server CPU per delivery must not grow with nodes): where the
 * extra CPU of several nodes goes. It runs the same load, 16 publishers on Publish streams and 50
 * subscribers in one group, once on one PostgreSQL node, and once on two nodes of one database
 * with the work split cleanly: every send taken by node A, every delivery made by node B (A has
 * no subscriber; B learns of each commit by its notification). It prints each node's CPU seconds
 * during the load, read from /proc. Results are in BENCHMARKS.md ("Several nodes on
 * PostgreSQL").
 *
 *   deno run -A bench/node_split.ts [RATE=1000] [SECONDS=15]
 *
 * Needs PostgreSQL's server binaries (tests/postgres.ts starts a private cluster). Linux only.
 *
 * @module
 */
import { ChatProcess } from "../tests/harness.ts";
import { PostgresCluster } from "../tests/postgres.ts";

const rate = Deno.args[0] ?? "1000";
const seconds = Deno.args[1] ?? "15";

/** CPU seconds (user + system) `pid` has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function listeningPort(proc: ChatProcess): Promise<number> {
  const line = await proc.waitForLine(/listening on /, { timeoutMs: 30_000 });
  return Number(line.match(/listening on [^ ]*:(\d+),/)![1]);
}

/** Runs the load with sends to `sendTo` and subscribers on `readFrom`; the nodes' CPU seconds. */
async function run(nodes: number): Promise<number[]> {
  await using pg = await PostgresCluster.start();
  const url = await pg.createDatabase();
  const secret = await Deno.makeTempFile();
  await Deno.writeTextFile(secret, `${crypto.randomUUID()}\n`);
  const started = Array.from(
    { length: nodes },
    (_, i) =>
      new ChatProcess(`node${i + 1}`, Deno.execPath(), [
        "run",
        "-P=server",
        "server.ts",
        ...["-db", url, "-port", "0", "-rate_limits", "off", "-quiet", "-admin_secret", secret],
      ]),
  );
  const ports = await Promise.all(started.map(listeningPort));
  const load = (args: string[]) =>
    new ChatProcess("load", Deno.execPath(), ["run", "-A", "bench/load.ts", ...args]);
  try {
    const consumers = load(["consumers", String(ports[nodes - 1]), "50"]);
    await consumers.waitForLine(/"received"/, { timeoutMs: 30_000 });
    const before = await Promise.all(started.map((p) => cpuSeconds(p.pid)));
    const publishers = load(["publishers", String(ports[0]), "16", rate, seconds, "stream"]);
    await publishers.status;
    const after = await Promise.all(started.map((p) => cpuSeconds(p.pid)));
    await consumers.stop();
    return after.map((cpu, i) => cpu - before[i]);
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await Deno.remove(secret);
  }
}

const one = await run(1);
const two = await run(2);
const sum = two[0] + two[1];
console.log(`load: ${rate} msgs/s for ${seconds} s, 16 publishers, 50 subscribers in one group`);
console.log(`one node, sends and deliveries:            ${one[0].toFixed(2)} s CPU`);
console.log(
  `two nodes, sends on A, deliveries on B:     ${two[0].toFixed(2)} + ${two[1].toFixed(2)} = ${
    sum.toFixed(2)
  } s CPU (${(sum / one[0]).toFixed(2)}x)`,
);
