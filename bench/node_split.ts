/**
 * A probe for issue 14's open goal (server CPU per delivery must not grow with nodes): where the
 * extra CPU of several nodes goes. It runs the same load, 16 publishers on Publish streams and 50
 * subscribers in one group at RATE msgs/s, on one PostgreSQL node and then on several nodes of
 * one database with the clients placed differently (each set-up on a fresh private cluster):
 *
 *   0. one node, every client on it;
 *   1. three nodes, every client on node 1 (nodes 2 and 3 only hear the commits);
 *   2. two nodes, a clean split: every send on A, every delivery on B (A has no subscriber; B
 *      learns of each commit by its notification);
 *   3. three nodes, every send on node 1, the subscribers spread over the three;
 *   4. three nodes, the publishers spread, every subscriber on node 1;
 *   5. three nodes, publishers and subscribers spread (as `deno task bench --only=nodes`).
 *
 * It prints each node's CPU seconds during the load (read from /proc) and their sum against the
 * first set-up run. Results are in BENCHMARKS.md ("Several nodes on PostgreSQL").
 *
 *   deno run -A bench/node_split.ts [RATE=1000] [SECONDS=15] [--only=0,2,5]
 *
 * Needs PostgreSQL's server binaries (tests/postgres.ts starts a private cluster). Linux only.
 *
 * @module
 */
import { ChatProcess } from "../tests/harness.ts";
import { PostgresCluster } from "../tests/postgres.ts";

const only = Deno.args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const [rate = "1000", seconds = "15"] = Deno.args.filter((a) => !a.startsWith("--"));

/** CPU seconds (user + system) `pid` has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function listeningPort(proc: ChatProcess): Promise<number> {
  const line = await proc.waitForLine(/listening on /, { timeoutMs: 30_000 });
  return Number(line.match(/listening on [^ ]*:(\d+),/)![1]);
}

/**
 * Runs the load on `nodes` nodes of a fresh database, publishers taking the nodes `pubs` in
 * turn and subscribers the nodes `subs`; the nodes' CPU seconds during the load.
 */
async function run(nodes: number, pubs: number[], subs: number[]): Promise<number[]> {
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
    const consumers = load(["consumers", subs.map((i) => ports[i]).join(","), "50"]);
    await consumers.waitForLine(/"received"/, { timeoutMs: 30_000 });
    const before = await Promise.all(started.map((p) => cpuSeconds(p.pid)));
    const publishers = load(
      ["publishers", pubs.map((i) => ports[i]).join(","), "16", rate, seconds, "stream"],
    );
    await publishers.status;
    const after = await Promise.all(started.map((p) => cpuSeconds(p.pid)));
    await consumers.stop();
    return after.map((cpu, i) => cpu - before[i]);
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await Deno.remove(secret);
  }
}

/** Set-ups: a label, how many nodes, and the nodes (by index) publishers and subscribers use. */
const SETUPS: [label: string, nodes: number, publishers: number[], subscribers: number[]][] = [
  ["one node", 1, [0], [0]],
  ["3 nodes, all on node 1", 3, [0], [0]],
  ["2 nodes, sends on A, deliveries on B", 2, [0], [1]],
  ["3 nodes, sends on 1, deliveries spread", 3, [0], [0, 1, 2]],
  ["3 nodes, sends spread, deliveries on 1", 3, [0, 1, 2], [0]],
  ["3 nodes, all spread", 3, [0, 1, 2], [0, 1, 2]],
];

console.log(`load: ${rate} msgs/s for ${seconds} s, 16 publishers, 50 subscribers in one group`);
let first = 0;
for (const [i, [label, nodes, publishers, subscribers]] of SETUPS.entries()) {
  if (only && !only.includes(String(i))) continue;
  const cpu = await run(nodes, publishers, subscribers);
  const sum = cpu.reduce((a, b) => a + b, 0);
  first ||= sum;
  const each = cpu.map((c) => c.toFixed(2)).join(" + ");
  console.log(
    `${i}. ${label.padEnd(40)} ${each} = ${sum.toFixed(2)} s CPU (${(sum / first).toFixed(2)}x)`,
  );
}
