/**
 * The benchmark: `deno task bench [--quick]`. Starts the real server (its own
 * process, durable storage) and, in the same run, the bare grpc-js broadcast
 * server as the baseline, drives them with load-generator processes
 * (bench/load.ts) on 127.0.0.1, prints a table, and ends with one JSON line.
 *
 * Publishers send on Publish streams, each awaiting the reply to one message
 * before the next; the full run repeats fanout and baseline with one Send call
 * per message, and measures durability both ways.
 *
 * Workloads (see BENCHMARKS.md for what each measures and why):
 *   fanout    one group, 50 consumers in one process, 16 publishers; deliveries/s
 *             at saturation, then end-to-end latency at half that rate
 *   baseline  the same load against the bare broadcast server
 *   scale     deliveries/s for groups of 10, 100 and 1,000 members, and for
 *             10 groups of 100 at once (also alone as --only=groups)
 *   catch-up  one client comes online to 100,000 unread messages
 *   idle      as many idle connected clients as allowed, up to 10,000; server RSS
 *   durability  send-acknowledged p50/p99 at 1,000 sends/s, synchronous FULL and OFF
 *   sendloop  one client awaiting each send: the rate one typing loop reaches
 *   piped     `deno task client` fed 10,000 lines on stdin: lines stored per second
 *   rooms     1,000 rooms of 10 made at run time, each consumer in 10 of them;
 *             deliveries/s, CPU per delivery (and that of one group of 100 with
 *             the same publishers), latency at half load
 *   screen    the full-screen client in a tmux pseudo-terminal while 1,000 messages a second
 *             arrive in its room: how long a typed key takes to show, and the client's CPU
 *   nodes     3 server nodes on one PostgreSQL database, the fanout's members and publishers
 *             spread over them, against one SQLite node and one PostgreSQL node under the
 *             same load: deliveries/s, CPU per delivery summed over the nodes, PostgreSQL's
 *             own CPU, end-to-end and send-acknowledged latency at half the nodes' saturating
 *             rate, and that every member got every message once (needs PostgreSQL's server
 *             binaries)
 *   nats-fanout, nats-rooms, nats-catchup
 *             NATS JetStream on the same shapes (bench/nats.ts), when
 *             nats-server is installed
 *
 * `--store postgres` runs every workload that starts our server on a database of a private
 * PostgreSQL cluster (bench/postgres_store.ts: started once, a fresh database per server,
 * stopped and removed at the end), and adds PostgreSQL's own CPU to the server's; SQLite
 * otherwise.
 *
 * The table ends with the goals of BENCHMARKS.md, each met or not by this run's figures.
 * `--plain` makes every load client ask for none of the protocol's batching, as clients made
 * before it: run with and without it to see what Delivery.more, batched acks and shared
 * Publish replies save. (The piped workload runs the real client, which it does not change.)
 *
 * @module
 */
import { natsPeer, type NatsWorkload } from "./nats.ts";
import { BenchPostgres } from "./postgres_store.ts";
import {
  type ChatProcess,
  connectClient,
  serverMetrics,
  serverRssMb,
  serverStats,
  startScript,
  startServer,
  taskPermissions,
} from "../tests/harness.ts";
import { Terminal, tmuxProblem } from "../tests/tmux.ts";

const quick = Deno.args.includes("--quick");
/**
 * `--plain`: every load client asks for none of the protocol's batching (Delivery.more, acks in
 * one frame, PublishReply.more), as clients made before it did: to measure what it saves.
 */
const plain = Deno.args.includes("--plain");
/** `--only=fanout,catchup` runs just those workloads (for working on one of them). */
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const wanted = (name: string) => !only || only.includes(name);
/** Where our server keeps its data: `--store sqlite` (the default) or `--store postgres`. */
type Store = "sqlite" | "postgres";
const storeFlag = Deno.args.find((a) => a.startsWith("--store="))?.slice(8) ??
  (Deno.args.includes("--store") ? Deno.args[Deno.args.indexOf("--store") + 1] : "sqlite");
if (storeFlag !== "sqlite" && storeFlag !== "postgres") {
  console.error(
    `bench: --store ${storeFlag ?? "(nothing)"}: use --store sqlite or --store postgres`,
  );
  Deno.exit(2);
}
const store: Store = storeFlag;
if (store === "postgres" && BenchPostgres.problem()) {
  console.error(`bench: --store postgres: ${BenchPostgres.problem()}`);
  Deno.exit(1);
}
const SECONDS = quick ? 3 : 8;
const CATCHUP_MESSAGES = quick ? 30_000 : 100_000;
const IDLE_CLIENTS = quick ? 1_000 : 10_000;
const SCALE_SIZES = [10, 100, 1_000];
const CONSUMERS_PER_PROCESS = 250;
/** The many-groups workload: this many groups of this many members. */
const GROUPS = 10;
const GROUP_MEMBERS = 100;
const PUBLISHERS = 16;
/** The rooms workload: this many rooms of ROOM_MEMBERS consumers, as many consumers, each in 10. */
const ROOMS = quick ? 100 : 1_000;
const ROOM_MEMBERS = 10;
/**
 * How many messages each publisher of the rooms workload keeps unanswered on its Publish stream
 * (NATS's publishers the same many unacknowledged publishes): with one each, 16 publishers
 * cannot load a server whose messages spread over 1,000 rooms (BENCHMARKS.md, "Rooms").
 */
const ROOM_PUBLISHER_WINDOW = 32;
/** The screen workload: messages a second into the full-screen client's room while it types. */
const SCREEN_RATE = 1_000;
/** The screen workload: keys typed, one every SCREEN_KEY_GAP_MS (a quick typist), in each phase. */
const SCREEN_KEYS = quick ? 30 : 80;
const SCREEN_KEY_GAP_MS = 60;
/** The piped-client workload: this many lines fed to `deno task client` on stdin. */
const PIPED_LINES = quick ? 2_000 : 10_000;
/** The nodes workload: this many nodes on one PostgreSQL database, members of its group. */
const NODES = 3;
const NODE_MEMBERS = 50;

const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
const processes: ChatProcess[] = [];
/** The private PostgreSQL cluster, started when a workload first needs a database on it. */
const postgres = new BenchPostgres();
const results: Record<string, number> = {};
/**
 * Keys the summary line always has, null when their workload did not run (the reason is printed):
 * the figures the goals are read by.
 */
const ALWAYS = [
  "rooms_deliveries_per_s",
  "rooms_server_cpu_us_per_delivery",
  "nats_fanout_deliveries_per_s",
  "nats_rooms_deliveries_per_s",
  "nats_catchup_msgs_per_s",
  "nats_fanout_p99_ms_at_half_load",
  "piped_client_lines_per_s",
  "screen_key_p99_ms_at_1000_msgs_per_s",
  "nodes_postgres_3_deliveries_per_s",
  "nodes_postgres_3_server_cpu_us_per_delivery",
  "nodes_postgres_3_p99_ms_at_half_load",
  "nodes_postgres_3_send_ack_p99_ms_at_half_load",
  "nodes_postgres_3_postgres_cpu_us_per_message_at_half_load",
  "nodes_cpu_ratio_3_vs_1",
  "nodes_lost_or_repeated",
];
const table: [string, string, string][] = [];
const row = (workload: string, measure: string, value: string) => {
  table.push([workload, measure, value]);
  console.error(`  ${workload.padEnd(12)} ${measure.padEnd(44)} ${value}`);
};

function load(args: string[]): ChatProcess {
  if (plain) args = [...args, "plain"];
  const proc = startScript(`load-${args[0]}`, "bench/load.ts", args);
  processes.push(proc);
  return proc;
}

/** The last JSON report of a load process that has `key`. */
function last(proc: ChatProcess, key: string): Record<string, unknown> {
  for (let i = proc.stdout.length - 1; i >= 0; i--) {
    if (proc.stdout[i].includes(`"${key}"`)) return JSON.parse(proc.stdout[i]);
  }
  throw new Error(`${proc.label} reported no ${key}\n${proc.transcript()}`);
}

/**
 * A chat service under load: our server (on SQLite or PostgreSQL), nodes of one on a shared
 * PostgreSQL database, or the bare baseline.
 */
interface Service {
  /** Its port, or its nodes' ports joined by commas (load clients take them in turn). */
  port: number | string;
  /** The server, or the first node. */
  proc: ChatProcess;
  /** Every node, when there are several: their CPU and counts are summed. */
  nodes?: ChatProcess[];
  /** On the private PostgreSQL cluster: its CPU is measured too. */
  postgres?: boolean;
}

/** One server: its port is a number. */
type Server = Service & { port: number };

let servers = 0;

/** Starts our server on `db` with the benchmark's flags and `extra`. */
async function startOurs(db: string, label: string, extra: string[]): Promise<Server> {
  const server = await startServer({
    db,
    label,
    extra: [
      "-quiet",
      "-rate_limits",
      "off",
      // A PostgreSQL server's default is chat.admin-secret in the working directory.
      "-admin_secret",
      `${dir}/server-${++servers}.admin-secret`,
      ...extra,
    ],
  });
  processes.push(server.proc);
  return server;
}

/** Our server on a fresh database: SQLite unless `--store postgres` (or `on` says). */
async function realServer(extra: string[] = [], { on = store } = {}): Promise<Server> {
  let db: string;
  if (on === "postgres") {
    db = await postgres.database();
  } else {
    db = await Deno.makeTempFile({ dir, suffix: ".db" });
    await Deno.remove(db);
  }
  return { ...(await startOurs(db, "server", extra)), postgres: on === "postgres" };
}

/**
 * `count` nodes of our server on one fresh PostgreSQL database, each on a port of its own,
 * started one after the other (the first makes the schema).
 */
async function startNodes(count: number): Promise<Service> {
  const db = await postgres.database();
  const nodes: Server[] = [];
  for (let i = 1; i <= count; i++) nodes.push(await startOurs(db, `node-${i}`, []));
  return {
    port: nodes.map((n) => n.port).join(","),
    proc: nodes[0].proc,
    nodes: nodes.map((n) => n.proc),
    postgres: true,
  };
}

async function bareServer(): Promise<Server> {
  const proc = startScript("bare", "bench/bare_broadcast_server.ts");
  processes.push(proc);
  const line = await proc.waitForLine(/listening on/);
  return { proc, port: Number(line.match(/:(\d+),/)![1]) };
}

/** Starts `members` consumers in processes of CONSUMERS_PER_PROCESS; resolves when all are subscribed. */
async function consumers(
  port: number | string,
  members: number,
  { ack = true, groups = 0, rooms = 0, check = false } = {},
): Promise<ChatProcess[]> {
  const procs: ChatProcess[] = [];
  for (let left = members; left > 0; left -= CONSUMERS_PER_PROCESS) {
    const count = String(Math.min(left, CONSUMERS_PER_PROCESS));
    procs.push(load([
      "consumers",
      String(port),
      count,
      ...(ack ? [] : ["noack"]),
      ...(groups ? [`groups=${groups}`] : []),
      ...(rooms ? [`rooms=${rooms}`] : []),
      ...(check ? ["check"] : []),
      `first=${members - left}`,
    ]));
  }
  await Promise.all(procs.map((p) => p.waitForLine(/"ready"/, { timeoutMs: 300_000 })));
  return procs;
}

const received = (procs: ChatProcess[]) =>
  procs.reduce((sum, p) => sum + (last(p, "received").received as number), 0);

/**
 * How publishers send: "stream", each on its own Publish stream (the API for programs that send
 * a lot), or "calls", one Send call per message (what the interactive client does).
 */
type Via = "stream" | "calls";

/**
 * The metrics of a service: its server's, or its nodes' summed (a CPU time, a count), and
 * PostgreSQL's CPU seconds so far when it is on the cluster.
 */
async function serviceMetrics(
  server: Service,
): Promise<{ m: Record<string, number>; postgresCpuS?: number }> {
  const [all, postgresCpuS] = await Promise.all([
    Promise.all((server.nodes ?? [server.proc]).map(serverMetrics)),
    server.postgres ? postgres.cpuSeconds() : undefined,
  ]);
  const m: Record<string, number> = { ...all[0] };
  for (const other of all.slice(1)) {
    for (const [key, value] of Object.entries(other)) m[key] = (m[key] ?? 0) + value;
  }
  return { m, postgresCpuS };
}

/** What {@link saturate} measured. */
interface Saturation {
  deliveries: number;
  /** Server CPU per delivery, summed over the nodes. */
  cpuUs: number;
  perWrite?: number;
  /** Messages per commit, over the nodes (our server only): how well sends are batched. */
  perCommit?: number;
  /** On PostgreSQL: the cluster's CPU per delivery and per message stored. */
  postgresCpuUs?: number;
  postgresCpuUsPerMessage?: number;
  /** The publishers' "sent" report: messages answered, rate, answer latency. */
  sent: { sent: number; per_s: number; ack: { p50: number; p99: number } };
}

/**
 * Deliveries per second over the middle of a saturating run of PUBLISHERS publishers, and the
 * server's CPU time per delivery over the same interval (the cost the scale goal is about);
 * with `rate`, the same at that many messages a second in all instead of as fast as answered.
 */
async function saturate(
  server: Service,
  procs: ChatProcess[],
  {
    via = "stream" as Via,
    groups = 0,
    window = 1,
    rate = 0,
    publishers = undefined as ChatProcess | undefined,
  } = {},
): Promise<Saturation> {
  const port = server.port;
  const seconds = SECONDS;
  let from = 0;
  if (publishers) {
    // Publishers that made rooms and wait for a command (the rooms workload).
    from = publishers.stdout.length;
    await publishers.type(`run ${rate} ${seconds}`);
  } else {
    publishers = load([
      "publishers",
      String(port),
      String(PUBLISHERS),
      String(rate),
      String(seconds),
      ...(via === "stream" ? ["stream"] : []),
      ...(groups ? [`groups=${groups}`] : []),
      `window=${window}`,
    ]);
    await publishers.waitForLine(/"ready"/, { timeoutMs: 60_000 });
  }
  await sleep(Math.min(1_000, seconds * 250)); // warm-up
  const { m: m1, postgresCpuS: p1 } = await serviceMetrics(server);
  const [r1, t1] = [received(procs), performance.now()];
  await sleep(seconds * 500);
  const [r2, t2] = [received(procs), performance.now()];
  const { m: m2, postgresCpuS: p2 } = await serviceMetrics(server);
  await publishers.waitForLine(/"sent"/, { timeoutMs: 60_000, from });
  const delivered = Math.max(1, r2 - r1);
  const stored = Math.max(1, m2.chat_messages_stored_total - m1.chat_messages_stored_total);
  const us = (seconds: number, per: number) => +((seconds * 1e6) / per).toFixed(2);
  return {
    deliveries: Math.round((r2 - r1) / ((t2 - t1) / 1000)),
    cpuUs: us(m2.process_cpu_seconds_total - m1.process_cpu_seconds_total, delivered),
    // The server's own count (the bare baseline has none): how well it batches per write.
    perWrite: m1.chat_delivery_writes_total === undefined ? undefined : +(
      (m2.chat_deliveries_total - m1.chat_deliveries_total) /
      Math.max(1, m2.chat_delivery_writes_total - m1.chat_delivery_writes_total)
    ).toFixed(1),
    perCommit: m1.chat_commits_total === undefined ? undefined : +(
      (m2.chat_sends_committed_total - m1.chat_sends_committed_total) /
      Math.max(1, m2.chat_commits_total - m1.chat_commits_total)
    ).toFixed(1),
    postgresCpuUs: p1 === undefined ? undefined : us(p2! - p1, delivered),
    postgresCpuUsPerMessage: p1 === undefined ? undefined : +((p2! - p1) * 1e6 / stored).toFixed(1),
    sent: last(publishers, "sent") as Saturation["sent"],
  };
}

/** " + 1.2 us PostgreSQL" after a server CPU figure, when the service is on PostgreSQL. */
const plusPostgres = (s: Saturation) =>
  s.postgresCpuUs === undefined ? "" : ` + ${s.postgresCpuUs} us PostgreSQL`;

/**
 * Records PostgreSQL's CPU per delivery and per message stored, as
 * `<prefix>_postgres_cpu_us_per_delivery<suffix>` and `..._per_message<suffix>`, when the
 * service is on PostgreSQL.
 */
function notePostgres(prefix: string, s: Saturation, suffix = ""): void {
  if (s.postgresCpuUs === undefined) return;
  results[`${prefix}_postgres_cpu_us_per_delivery${suffix}`] = s.postgresCpuUs;
  results[`${prefix}_postgres_cpu_us_per_message${suffix}`] = s.postgresCpuUsPerMessage!;
}

/** Publishes at `rate` messages/s for `seconds`; returns the publishers' report. */
async function publish(
  port: number | string,
  rate: number,
  seconds: number,
  { publishers = PUBLISHERS, via = "stream" as Via } = {},
) {
  const proc = load([
    "publishers",
    String(port),
    String(publishers),
    String(rate),
    String(seconds),
    ...(via === "stream" ? ["stream"] : []),
  ]);
  await proc.waitForLine(/"sent"/, { timeoutMs: 120_000 + seconds * 1000 });
  return last(proc, "sent") as { sent: number; per_s: number; ack: { p50: number; p99: number } };
}

async function stop(...procs: ChatProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * Fanout and baseline alike: saturates with Publish streams (and, in the full run, with Send
 * calls), records `<workload>_deliveries_per_s`, the server's CPU per delivery and the Send-call
 * figure, and returns the deliveries per second with Publish streams.
 */
async function saturateBothWays(
  workload: "fanout" | "baseline",
  measure: string,
  server: { port: number; proc: ChatProcess },
  group: ChatProcess[],
): Promise<number> {
  const saturation = await saturate(server, group);
  const { deliveries, cpuUs } = saturation;
  results[`${workload}_deliveries_per_s`] = deliveries;
  results[`${workload}_server_cpu_us_per_delivery`] = cpuUs;
  row(workload, measure, fmt(deliveries));
  row(workload, "  server CPU per delivery", `${cpuUs} us${plusPostgres(saturation)}`);
  notePostgres(workload, saturation);
  if (!quick) {
    const viaCalls = (await saturate(server, group, { via: "calls" })).deliveries;
    results[`${workload}_send_calls_deliveries_per_s`] = viaCalls;
    row(workload, "  the same, publishers making a Send call each", fmt(viaCalls));
  }
  return deliveries;
}

async function fanout(): Promise<void> {
  const server = await realServer();
  const group = await consumers(server.port, 50);
  const deliveries = await saturateBothWays(
    "fanout",
    "deliveries/s, 50 members, 16 publishers",
    server,
    group,
  );
  // Half load: half the saturating message rate, latency from send to receipt.
  const rate = Math.max(1, Math.round(deliveries / 50 / 2));
  for (const p of group) await p.type("measure");
  await publish(server.port, rate, SECONDS);
  for (const p of group) p.kill("SIGTERM");
  await Promise.all(group.map((p) => p.status));
  const latency = last(group[0], "latency").latency as { p50: number; p99: number };
  results.fanout_p50_ms_at_half_load = latency.p50;
  results.fanout_p99_ms_at_half_load = latency.p99;
  row(
    "fanout",
    `end-to-end latency at ${fmt(rate)} msgs/s (p50 / p99)`,
    `${latency.p50} / ${latency.p99} ms`,
  );
  const stats = await serverRssMb(server.proc);
  row("fanout", "server RSS after", `${stats.toFixed(0)} MB`);
  await stop(server.proc);
}

async function baseline(): Promise<void> {
  const server = await bareServer();
  const group = await consumers(server.port, 50, { ack: false });
  await saturateBothWays("baseline", "bare grpc-js broadcast, same load", server, group);
  await stop(...group, server.proc);
}

async function scale(): Promise<void> {
  for (const size of SCALE_SIZES) {
    const server = await realServer();
    const group = await consumers(server.port, size);
    const saturation = await saturate(server, group);
    const { deliveries, cpuUs, perWrite } = saturation;
    results[`scale_${size}_deliveries_per_s`] = deliveries;
    results[`scale_${size}_server_cpu_us_per_delivery`] = cpuUs;
    notePostgres(`scale_${size}`, saturation);
    row(
      "scale",
      `deliveries/s, group of ${fmt(size)}`,
      `${fmt(deliveries)} (${cpuUs} us CPU each${plusPostgres(saturation)}, ${perWrite} per write)`,
    );
    await stop(...group, server.proc);
  }
}

/**
 * Many groups at once: GROUPS closed groups of GROUP_MEMBERS consumers each, the publishers
 * spread over them. Each message goes to as many members as in the one group of 100 of `scale`.
 */
async function manyGroups(): Promise<void> {
  const members = GROUPS * GROUP_MEMBERS;
  const flags: string[] = [];
  for (let k = 0; k < GROUPS; k++) {
    const names: string[] = [];
    for (let i = k; i < members; i += GROUPS) names.push(`g${k}-m${i}`);
    for (let i = k; i < PUBLISHERS; i += GROUPS) names.push(`g${k}-p${i}`);
    flags.push("-group", `g${k}=${names.join(",")}`);
  }
  const server = await realServer(flags);
  const group = await consumers(server.port, members, { groups: GROUPS });
  const saturation = await saturate(server, group, { groups: GROUPS });
  const { deliveries, cpuUs, perWrite } = saturation;
  results.groups_deliveries_per_s = deliveries;
  results.groups_server_cpu_us_per_delivery = cpuUs;
  notePostgres("groups", saturation);
  row(
    "scale",
    `deliveries/s, ${GROUPS} groups of ${GROUP_MEMBERS} at once`,
    `${fmt(deliveries)} (${cpuUs} us CPU each${plusPostgres(saturation)}, ${perWrite} per write)`,
  );
  await stop(...group, server.proc);
}

/**
 * Many small rooms, the shape chat servers live on: ROOMS rooms made at run time, each with
 * ROOM_MEMBERS consumers as members (and its maker, a publisher that sends to it), ROOMS
 * consumers each in ROOM_MEMBERS rooms, in processes of CONSUMERS_PER_PROCESS; the publishers
 * send to random rooms of theirs. Deliveries/s at saturation, the server's CPU per delivery,
 * and end-to-end latency at half that rate.
 */
async function manyRooms(): Promise<void> {
  const server = await realServer();
  const setupStart = performance.now();
  const publishers = load([
    "publishers",
    String(server.port),
    String(PUBLISHERS),
    "0",
    "0",
    "stream",
    "wait",
    `rooms=${ROOMS}`,
    `window=${ROOM_PUBLISHER_WINDOW}`,
  ]);
  await publishers.waitForLine(/"ready"/, { timeoutMs: 300_000 });
  const group = await consumers(server.port, ROOMS, { rooms: ROOMS });
  const setupS = (performance.now() - setupStart) / 1000;
  const saturation = await saturate(server, group, { publishers });
  const { deliveries, cpuUs, perWrite } = saturation;
  results.rooms_deliveries_per_s = deliveries;
  if (perWrite) results.rooms_deliveries_per_write = perWrite;
  results.rooms_server_cpu_us_per_delivery = cpuUs;
  notePostgres("rooms", saturation);
  row(
    "rooms",
    `deliveries/s, ${fmt(ROOMS)} rooms of ${ROOM_MEMBERS}, each client in ${ROOM_MEMBERS}`,
    `${fmt(deliveries)} (${cpuUs} us CPU each${plusPostgres(saturation)}, ${perWrite} per write)`,
  );
  row("rooms", "  set-up: rooms made, joined, subscribed", `${setupS.toFixed(1)} s`);
  // Half load: half the saturating message rate, latency from send to receipt.
  const rate = Math.max(1, Math.round(deliveries / ROOM_MEMBERS / 2));
  for (const p of group) await p.type("measure");
  const from = publishers.stdout.length;
  await publishers.type(`run ${rate} ${SECONDS}`);
  await publishers.waitForLine(/"sent"/, { timeoutMs: 120_000 + SECONDS * 1000, from });
  for (const p of group) p.kill("SIGTERM");
  await Promise.all(group.map((p) => p.status));
  // Each receiving process has its own percentiles: the worst of them is reported.
  const latencies = group.map((p) => last(p, "latency").latency as { p50: number; p99: number });
  const p50 = Math.max(...latencies.map((l) => l.p50));
  const p99 = Math.max(...latencies.map((l) => l.p99));
  results.rooms_p50_ms_at_half_load = p50;
  results.rooms_p99_ms_at_half_load = p99;
  row(
    "rooms",
    `end-to-end latency at ${fmt(rate)} msgs/s (p50 / p99, worst process)`,
    `${p50} / ${p99} ms`,
  );
  await stop(publishers, server.proc);
  // The same publishers (and window) into one group of 100, the rooms' processes gone: the cost
  // the rooms goal is read by.
  const reference = await realServer();
  const hundred = await consumers(reference.port, 100);
  const one = await saturate(reference, hundred, { window: ROOM_PUBLISHER_WINDOW });
  await stop(...hundred, reference.proc);
  results.rooms_reference_group_of_100_server_cpu_us_per_delivery = one.cpuUs;
  results.rooms_cpu_ratio_vs_group_of_100 = +(cpuUs / one.cpuUs).toFixed(2);
  row(
    "rooms",
    `  one group of 100, the same publishers`,
    `${fmt(one.deliveries)} (${one.cpuUs} us CPU each${
      plusPostgres(one)
    }, ${one.perWrite} per write)`,
  );
  row("rooms", "  CPU per delivery, ratio to that", `${results.rooms_cpu_ratio_vs_group_of_100} x`);
}

/** How the consumers of a service stand against what it stored. */
interface Tally {
  /** Messages the service stored (summed over its nodes). */
  messages: number;
  /** Messages times members: what the consumers must receive in all. */
  expected: number;
  received: number;
  /** Messages missing in a consumer's sequence, and messages that came again or out of order. */
  gaps: number;
  repeats: number;
}

/**
 * Waits (up to 30 s) until the consumers have received every message the service stored, once
 * per member, and adds up what their sequence checks ("check") found: whether every member got
 * every message once, in order. Also drains a backlog before the next phase.
 */
async function tally(service: Service, group: ChatProcess[], members: number): Promise<Tally> {
  const messages = (await serviceMetrics(service)).m.chat_messages_stored_total;
  const expected = messages * members;
  const deadline = performance.now() + 30_000;
  while (received(group) < expected && performance.now() < deadline) await sleep(100);
  await sleep(300); // A repeat arriving after the last message would show now.
  const reports = group.map((p) => last(p, "received"));
  const sum = (key: string) => reports.reduce((n, r) => n + Number(r[key] ?? 0), 0);
  return {
    messages,
    expected,
    received: sum("received"),
    gaps: sum("gaps"),
    repeats: sum("repeats"),
  };
}

/** The set-ups of the nodes workload, in the order run: the keys of their figures. */
const NODE_SETUPS = [
  { key: `postgres_${NODES}`, label: `${NODES} PostgreSQL nodes`, start: () => startNodes(NODES) },
  { key: "sqlite_1", label: "one SQLite node", start: () => realServer([], { on: "sqlite" }) },
  {
    key: "postgres_1",
    label: "one PostgreSQL node",
    start: () => realServer([], { on: "postgres" }),
  },
] as const;

/**
 * Several nodes on one PostgreSQL database as one service: NODE_MEMBERS members of one group
 * and PUBLISHERS publishers (the fanout's shape and load processes), client i on node i % NODES,
 * so that two deliveries in three cross from the sender's node to another. Against one SQLite
 * node and one PostgreSQL node under the same load, in the same run. For each: deliveries/s at
 * saturation with the fanout's publishers (each awaiting its answer) and, in the full run, with
 * ROOM_PUBLISHER_WINDOW messages unanswered each; the server CPU per delivery summed over the
 * nodes, and PostgreSQL's apart (per delivery and per message); then, at one rate for all (half
 * the nodes' saturating message rate: they run first), end-to-end and send-acknowledged
 * latency and the CPU per delivery again; and whether every member got every message exactly
 * once, in order (the consumers check sequence numbers, the counts are checked against what
 * the nodes stored).
 */
async function nodes(): Promise<void> {
  const problem = BenchPostgres.problem();
  if (problem) {
    row("nodes", "not run", problem);
    return;
  }
  let rate = 0;
  let wrong = 0;
  for (const { key, label, start } of NODE_SETUPS) {
    const service = await start();
    const group = await consumers(service.port, NODE_MEMBERS, { check: true });
    // Each phase is followed by a tally, which also waits until any backlog is delivered.
    const top = await saturate(service, group);
    await tally(service, group, NODE_MEMBERS);
    const wide = quick ? undefined : await saturate(service, group, {
      window: ROOM_PUBLISHER_WINDOW,
    });
    if (wide) await tally(service, group, NODE_MEMBERS);
    rate ||= Math.max(1, Math.round(top.deliveries / NODE_MEMBERS / 2));
    for (const p of group) await p.type("measure");
    const paced = await saturate(service, group, { rate });
    // The consumers' counts and checks run from their start: this one covers every phase.
    const end = await tally(service, group, NODE_MEMBERS);
    for (const p of group) p.kill("SIGTERM");
    await Promise.all(group.map((p) => p.status));
    await stop(...(service.nodes ?? [service.proc]));
    // Each receiving process has its own percentiles: the worst of them is reported.
    const latencies = group.map((p) => last(p, "latency").latency as { p50: number; p99: number });
    const p50 = Math.max(...latencies.map((l) => l.p50));
    const p99 = Math.max(...latencies.map((l) => l.p99));

    const prefix = `nodes_${key}`;
    results[`${prefix}_deliveries_per_s`] = top.deliveries;
    results[`${prefix}_server_cpu_us_per_delivery`] = top.cpuUs;
    notePostgres(prefix, top);
    if (wide) {
      const w = `${prefix}_window_${ROOM_PUBLISHER_WINDOW}`;
      results[`${w}_deliveries_per_s`] = wide.deliveries;
      results[`${w}_server_cpu_us_per_delivery`] = wide.cpuUs;
      notePostgres(w, wide);
    }
    results[`${prefix}_p50_ms_at_half_load`] = p50;
    results[`${prefix}_p99_ms_at_half_load`] = p99;
    results[`${prefix}_send_ack_p50_ms_at_half_load`] = paced.sent.ack.p50;
    results[`${prefix}_send_ack_p99_ms_at_half_load`] = paced.sent.ack.p99;
    results[`${prefix}_server_cpu_us_per_delivery_at_half_load`] = paced.cpuUs;
    results[`${prefix}_deliveries_per_write_at_half_load`] = paced.perWrite!;
    results[`${prefix}_messages_per_commit_at_half_load`] = paced.perCommit!;
    notePostgres(prefix, paced, "_at_half_load");
    // A gap is a message lost; so is one that never came at the end (no gap shows it).
    const lost = Math.max(0, end.gaps, end.expected - end.received + end.repeats);
    const repeated = end.repeats;
    results[`${prefix}_lost`] = lost;
    results[`${prefix}_repeated`] = repeated;
    wrong += lost + repeated;

    // How well each set-up batches explains most of its CPU per delivery.
    const cpu = (s: Saturation) =>
      `${s.cpuUs} us CPU each${plusPostgres(s)}` +
      (s.postgresCpuUsPerMessage === undefined
        ? ""
        : `, PostgreSQL ${fmt(s.postgresCpuUsPerMessage)} us per message`) +
      `; ${s.perWrite} per write, ${s.perCommit} msgs per commit`;
    row(
      "nodes",
      `${label}: deliveries/s, ${NODE_MEMBERS} members, ${PUBLISHERS} publishers`,
      `${fmt(top.deliveries)} (${cpu(top)})`,
    );
    if (wide) {
      row(
        "nodes",
        `  the same, publishers keeping ${ROOM_PUBLISHER_WINDOW} unanswered each`,
        `${fmt(wide.deliveries)} (${cpu(wide)})`,
      );
    }
    row(
      "nodes",
      `  at ${fmt(paced.sent.per_s)} msgs/s: end-to-end, send ack (p50 / p99)`,
      `${p50} / ${p99} ms, ${paced.sent.ack.p50} / ${paced.sent.ack.p99} ms`,
    );
    row("nodes", `  at ${fmt(paced.sent.per_s)} msgs/s: CPU per delivery`, cpu(paced));
    row(
      "nodes",
      "  every member got every message once, in order",
      lost + repeated === 0
        ? `yes (${NODE_MEMBERS} x ${fmt(end.messages)})`
        : `NO: ${fmt(end.received)} received of ${fmt(end.expected)}, ${lost} lost, ` +
          `${repeated} repeated or out of order`,
    );
  }
  results.nodes_half_load_msgs_per_s = rate;
  results.nodes_lost_or_repeated = wrong;
  const one = "nodes_postgres_1", many = `nodes_postgres_${NODES}`;
  const ratio = (a: string, b: string) => +(results[a] / results[b]).toFixed(2);
  results.nodes_cpu_ratio_3_vs_1 = ratio(
    `${many}_server_cpu_us_per_delivery_at_half_load`,
    `${one}_server_cpu_us_per_delivery_at_half_load`,
  );
  results.nodes_cpu_ratio_3_vs_1_at_saturation = ratio(
    `${many}_server_cpu_us_per_delivery`,
    `${one}_server_cpu_us_per_delivery`,
  );
  const withPostgres = (prefix: string) =>
    results[`${prefix}_server_cpu_us_per_delivery_at_half_load`] +
    results[`${prefix}_postgres_cpu_us_per_delivery_at_half_load`];
  results.nodes_cpu_with_postgres_ratio_3_vs_1 = +(withPostgres(many) / withPostgres(one))
    .toFixed(2);
  row(
    "nodes",
    `server CPU per delivery, ${NODES} nodes summed / one PostgreSQL node`,
    `${results.nodes_cpu_ratio_3_vs_1} x at half load (${fmt(rate)} msgs/s), ` +
      `${results.nodes_cpu_ratio_3_vs_1_at_saturation} x at saturation`,
  );
  row(
    "nodes",
    "  the same with PostgreSQL's CPU, at half load",
    `${results.nodes_cpu_with_postgres_ratio_3_vs_1} x`,
  );
}

async function catchup(): Promise<void> {
  const server = await realServer();
  // Fill the group with CATCHUP_MESSAGES unread messages.
  const filler = load([
    "publishers",
    String(server.port),
    String(PUBLISHERS),
    "0",
    "600",
    "stream",
  ]);
  await filler.waitForLine(/"ready"/, { timeoutMs: 60_000 });
  while (true) {
    await sleep(200);
    const probe = await serverStats(server.proc);
    if (probe.sends >= CATCHUP_MESSAGES) break;
  }
  filler.kill("SIGKILL");
  await filler.status;
  const total = (await serverStats(server.proc)).sends;
  const reader = load(["consumers", String(server.port), "1", String(total)]);
  const done = JSON.parse(await reader.waitForLine(/"done"/, { timeoutMs: 120_000 }));
  const rate = Math.round(total / ((done.done - done.started) / 1000));
  results.catchup_msgs_per_s = rate;
  row("catch-up", `msgs/s, one client, ${fmt(total)} unread`, fmt(rate));
  await stop(reader, server.proc);
}

async function idle(): Promise<void> {
  const server = await realServer();
  const before = await serverRssMb(server.proc);
  const procs: ChatProcess[] = [];
  let connected = 0;
  for (let left = IDLE_CLIENTS; left > 0; left -= 1_000) {
    const proc = load(["idle", String(server.port), String(Math.min(1_000, left))]);
    procs.push(proc);
    try {
      const line = await proc.waitForLine(/"ready"/, { timeoutMs: 180_000 });
      connected += JSON.parse(line).ready;
    } catch (error) {
      console.error(`idle: stopped at ${connected} clients: ${error}`);
      break;
    }
  }
  const after = await serverRssMb(server.proc);
  results.idle_clients = connected;
  results.rss_mb_per_1k_idle_clients = +(after / (connected / 1000)).toFixed(1);
  row(
    "idle",
    `server RSS with ${fmt(connected)} idle clients`,
    `${after.toFixed(0)} MB (${before.toFixed(0)} MB empty)`,
  );
  row("idle", "server RSS per 1,000 idle clients", `${results.rss_mb_per_1k_idle_clients} MB`);
  await stop(...procs, server.proc);
}

/**
 * The client as a program uses it: `deno task client` fed lines on stdin (a script, a bridge),
 * timed from the first line written to the last one stored. The client ends at end of input
 * after waiting at most 10 s for what is queued; lines it had not sent by then do not count.
 */
async function pipedClient(): Promise<void> {
  const server = await realServer();
  const { proc } = await connectClient({
    name: "piper",
    port: server.port,
    stateDir: `${dir}/piper-state`,
  });
  processes.push(proc);
  const stored = async () => (await serverMetrics(server.proc)).chat_messages_stored_total;
  const start = performance.now();
  for (let i = 1; i <= PIPED_LINES; i++) await proc.type(`piped line ${i}`);
  await proc.closeInput();
  let last = 0, lastAt = start;
  while (true) {
    const now = await stored();
    if (now > last) [last, lastAt] = [now, performance.now()];
    const exited = await Promise.race([proc.status.then(() => true), sleep(250).then(() => false)]);
    if (now >= PIPED_LINES || exited) {
      break;
    }
  }
  last = await stored();
  if (last > 0 && lastAt === start) lastAt = performance.now();
  const perS = Math.round(last / ((lastAt - start) / 1000));
  results.piped_client_lines_per_s = perS;
  row(
    "piped",
    `deno task client fed ${fmt(PIPED_LINES)} lines`,
    `${fmt(perS)} lines/s (${fmt(last)} stored)`,
  );
  await stop(proc, server.proc);
}

/**
 * CPU seconds (user and system) of process `pid` so far, from /proc (read by `cat`: Deno asks for
 * every permission to read /proc itself, and the benchmark runs with fewer).
 */
async function cpuSeconds(pid: number): Promise<number> {
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const stat = new TextDecoder().decode(stdout);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Types SCREEN_KEYS keys into the full-screen client, one every SCREEN_KEY_GAP_MS, and times each
 * from the keystroke until tmux's screen shows it on the input row (its last row): what a person
 * sees. Captures as fast as tmux answers (a few ms each), so the figure is the key's own delay.
 */
async function typeAndTime(term: Terminal, prompt: string): Promise<number[]> {
  const delays: number[] = [];
  let typed = "";
  for (let i = 0; i < SCREEN_KEYS; i++) {
    if (i === 0 || typed.length >= 40) {
      await term.press("C-u");
      typed = "";
      await term.waitFor((rows) => rows.at(-1) === prompt.trimEnd(), {
        what: "a cleared input row",
      });
    }
    typed += String.fromCharCode(97 + (i % 26));
    const start = performance.now();
    await term.type(typed.at(-1)!);
    const deadline = start + 10_000;
    while (!(await term.capture()).at(-1)?.endsWith(typed)) {
      if (performance.now() > deadline) throw new Error(`key ${i} did not show within 10 s`);
    }
    delays.push(performance.now() - start);
    await sleep(SCREEN_KEY_GAP_MS);
  }
  return delays;
}

/**
 * The full-screen client (in a tmux pseudo-terminal, as a person runs it) while SCREEN_RATE
 * messages a second arrive in its room: the delay of each typed key until it shows, against the
 * same with nothing arriving, and the client's CPU.
 */
async function screen(): Promise<void> {
  const problem = tmuxProblem();
  if (problem) {
    row("screen", "not run", problem);
    return;
  }
  const server = await realServer();
  await using term = await Terminal.open({
    command: [
      Deno.execPath(),
      "run",
      ...taskPermissions("client"),
      "client.ts",
      "-name",
      "typist",
      "-port",
      String(server.port),
      "-state_dir",
      `${dir}/typist-state`,
    ],
    width: 120,
    height: 40,
  });
  await term.waitFor(/^ online/m, { what: "the status bar saying online", timeoutMs: 30_000 });
  const prompt = "[general] ";
  const quiet = await typeAndTime(term, prompt);
  const seconds = Math.ceil((SCREEN_KEYS * (SCREEN_KEY_GAP_MS + 20)) / 1000) + 2;
  const flood = publish(server.port, SCREEN_RATE, seconds, { publishers: 4 });
  // The flood is under way once its first message is on the screen.
  await term.waitFor(/@p-\d+ p-\d+#/, {
    what: "the first message of the flood",
    timeoutMs: 30_000,
  });
  const cpuBefore = await cpuSeconds(term.pid);
  const floodStart = performance.now();
  const busy = await typeAndTime(term, prompt);
  const busySeconds = (performance.now() - floodStart) / 1000;
  const cpu = (await cpuSeconds(term.pid)) - cpuBefore;
  const report = await flood;
  const pct = (delays: number[], p: number) =>
    +[...delays].sort((a, b) => a - b)[Math.min(delays.length - 1, Math.floor(delays.length * p))]
      .toFixed(1);
  results.screen_key_p50_ms_quiet = pct(quiet, 0.5);
  results.screen_key_p99_ms_quiet = pct(quiet, 0.99);
  results.screen_key_p50_ms_at_1000_msgs_per_s = pct(busy, 0.5);
  results.screen_key_p99_ms_at_1000_msgs_per_s = pct(busy, 0.99);
  results.screen_key_max_ms_at_1000_msgs_per_s = pct(busy, 1);
  results.screen_client_cpu_pct_at_1000_msgs_per_s = Math.round((cpu / busySeconds) * 100);
  row(
    "screen",
    "typed key to screen, nothing arriving (p50 / p99)",
    `${results.screen_key_p50_ms_quiet} / ${results.screen_key_p99_ms_quiet} ms`,
  );
  row(
    "screen",
    `typed key to screen at ${fmt(report.per_s)} msgs/s (p50 / p99 / max)`,
    `${results.screen_key_p50_ms_at_1000_msgs_per_s} / ` +
      `${results.screen_key_p99_ms_at_1000_msgs_per_s} / ` +
      `${results.screen_key_max_ms_at_1000_msgs_per_s} ms`,
  );
  row(
    "screen",
    "the client's CPU meanwhile",
    `${results.screen_client_cpu_pct_at_1000_msgs_per_s}% of a core`,
  );
  await stop(server.proc);
}

/** One client awaiting each acknowledgement before its next send: what one typing loop reaches. */
async function sendLoop(): Promise<void> {
  const server = await realServer();
  const report = await publish(server.port, 0, SECONDS, { publishers: 1, via: "calls" });
  results.send_loop_msgs_per_s = report.per_s;
  row(
    "send loop",
    "one client, each send awaited (p50 / p99)",
    `${fmt(report.per_s)}/s, ${report.ack.p50} / ${report.ack.p99} ms`,
  );
  await stop(server.proc);
}

async function durability(): Promise<void> {
  const runs = [["full", "stream"], ["full", "calls"], ["off", "stream"]] as const;
  for (const [mode, via] of runs) {
    if (mode === "off" && store === "postgres") {
      row("durability", "synchronous=OFF", "not run: -synchronous is SQLite's");
      continue;
    }
    const server = await realServer(mode === "off" ? ["-synchronous", "off"] : []);
    const report = await publish(server.port, 1_000, SECONDS, { via });
    // The server's own view (arrival to answer), to tell its time from the client's and the OS's.
    const { sendP50Ms: p50, sendP99Ms: p99 } = await serverStats(server.proc);
    const key = `sync_${mode}${via === "calls" ? "_send_calls" : ""}`;
    // On PostgreSQL, synchronous=FULL stands for its production settings (fsync and
    // synchronous_commit on): the keys stay the same.
    results[`server_send_p99_ms_${key}`] = p99;
    if (mode === "full" && via === "stream") results.send_ack_p99_ms = report.ack.p99;
    results[`send_ack_p50_ms_${key}`] = report.ack.p50;
    results[`send_ack_p99_ms_${key}`] = report.ack.p99;
    row(
      "durability",
      `send ack at ${fmt(report.per_s)}/s, ${
        store === "postgres" ? "PostgreSQL (fsync on)" : `synchronous=${mode.toUpperCase()}`
      }, ${via === "stream" ? "Publish streams" : "Send calls"} (p50 / p99)`,
      `${report.ack.p50} / ${report.ack.p99} ms`,
    );
    row("durability", `  of which in the server (p50 / p99)`, `${p50} / ${p99} ms`);
    await stop(server.proc);
  }
}

/** NATS JetStream on the same shapes, in the same run (bench/nats.ts). */
async function nats(workloads: NatsWorkload[]): Promise<void> {
  const figures = await natsPeer({
    quick,
    seconds: SECONDS,
    dir: `${dir}/nats`,
    row,
    processes,
    publisherWindow: ROOM_PUBLISHER_WINDOW,
    rooms: ROOMS,
    workloads,
  });
  for (const [key, value] of Object.entries(figures)) {
    if (value !== null) results[key] = value;
  }
}

/** Why a summary key is null. */
function notRun(key: string): string {
  const workload = key.startsWith("nats_") ? `nats-${key.split("_")[1]}` : key.split("_")[0];
  if (!wanted(workload)) return `--only left out ${workload}`;
  return "it did not run; see above";
}

/** The goals of BENCHMARKS.md, each read against figures of this run: met or not, with them. */
function goals(): void {
  const ratio = (a: string, b: string) =>
    results[a] !== undefined && results[b] !== undefined
      ? +(results[a] / results[b]).toFixed(2)
      : undefined;
  const checks: [string, number | undefined, (v: number) => boolean, string][] = [
    [
      "rooms CPU per delivery / one group of 100's, at most 1.5",
      results.rooms_cpu_ratio_vs_group_of_100,
      (v) => v <= 1.5,
      "rooms_cpu_ratio_vs_group_of_100",
    ],
    [
      "rooms deliveries/s / NATS's, at least 2",
      ratio("rooms_deliveries_per_s", "nats_rooms_deliveries_per_s"),
      (v) => v >= 2,
      "rooms_ratio_vs_nats",
    ],
    [
      "fan-out deliveries/s / NATS's, at least 1.5",
      ratio("fanout_deliveries_per_s", "nats_fanout_deliveries_per_s"),
      (v) => v >= 1.5,
      "fanout_ratio_vs_nats",
    ],
    [
      "fan-out p99 at half load / NATS's, at most 1",
      ratio("fanout_p99_ms_at_half_load", "nats_fanout_p99_ms_at_half_load"),
      (v) => v <= 1,
      "fanout_p99_ratio_vs_nats",
    ],
    [
      "catch-up msgs/s / NATS's pull consumer (batch 100), at least 2",
      ratio("catchup_msgs_per_s", "nats_catchup_msgs_per_s"),
      (v) => v >= 2,
      "catchup_ratio_vs_nats",
    ],
    [
      "piped client lines/s / the send loop's, at least 10",
      ratio("piped_client_lines_per_s", "send_loop_msgs_per_s"),
      (v) => v >= 10,
      "piped_ratio_vs_send_loop",
    ],
    [
      "typed key to screen at 1,000 msgs/s, p99 at most 100 ms",
      results.screen_key_p99_ms_at_1000_msgs_per_s,
      (v) => v <= 100,
      "",
    ],
    [
      `server CPU per delivery, ${NODES} PostgreSQL nodes summed / one, same load, at most 1.2`,
      results.nodes_cpu_ratio_3_vs_1,
      (v) => v <= 1.2,
      "",
    ],
    [
      `messages lost or repeated across ${NODES} nodes and one, none`,
      results.nodes_lost_or_repeated,
      (v) => v === 0,
      "",
    ],
    [
      "server RSS per 1,000 idle clients, at most 35 MB",
      results.rss_mb_per_1k_idle_clients,
      (v) => v <= 35,
      "",
    ],
  ];
  for (const [goal, value, met, key] of checks) {
    if (value === undefined) continue;
    if (key) results[key] = value;
    row("goal", goal, `${value}: ${met(value) ? "met" : "NOT met"}`);
  }
}

let cleaning: Promise<void> | undefined;
/** Stops every process started, the PostgreSQL cluster too, and removes the temp dir. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await postgres.close().catch((error) => console.error(`bench: ${error}`));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  })();
  return cleaning;
}
// Ctrl-C or a kill leaves no server and no PostgreSQL cluster running.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    console.error(`bench: ${signal}: stopping what it started`);
    await cleanUp();
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const started = performance.now();
console.error(
  `grpc-chat benchmark${quick ? " (quick)" : ""}${
    store === "postgres" ? " on PostgreSQL" : ""
  }: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
try {
  if (wanted("fanout")) await fanout();
  if (wanted("baseline")) await baseline();
  if (wanted("fanout") && wanted("baseline")) {
    results.fanout_ratio_vs_baseline = +(results.fanout_deliveries_per_s /
      results.baseline_deliveries_per_s).toFixed(2);
    row("fanout", "ratio to the baseline", `${results.fanout_ratio_vs_baseline} x`);
    if (!quick) {
      results.fanout_send_calls_ratio_vs_baseline = +(results.fanout_send_calls_deliveries_per_s /
        results.baseline_send_calls_deliveries_per_s).toFixed(2);
      row(
        "fanout",
        "  ratio with Send calls on both",
        `${results.fanout_send_calls_ratio_vs_baseline} x`,
      );
    }
  }
  if (wanted("catchup")) await catchup();
  if (wanted("durability")) await durability();
  if (wanted("sendloop")) await sendLoop();
  if (wanted("piped")) await pipedClient();
  if (wanted("screen")) await screen();
  if (wanted("scale")) await scale();
  if (wanted("scale") || wanted("groups")) await manyGroups();
  if (wanted("rooms")) await manyRooms();
  if (wanted("idle")) await idle();
  if (wanted("nodes")) await nodes();
  const peer = (["fanout", "rooms", "catchup"] as const).filter((w) => wanted(`nats-${w}`));
  if (peer.length > 0) await nats(peer);
  goals();
} finally {
  await cleanUp();
}
console.log("| workload | measure | value |\n| --- | --- | --- |");
for (const [w, m, v] of table) console.log(`| ${w} | ${m} | ${v} |`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
const summary: Record<string, number | string | null> = { store, ...results };
for (const key of ALWAYS) {
  if (summary[key] === undefined || summary[key] === null) {
    summary[key] = null;
    console.error(`${key}: null (${notRun(key)})`);
  }
}
console.log(JSON.stringify(summary));
