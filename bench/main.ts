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
 *   nats-fanout, nats-rooms, nats-catchup
 *             NATS JetStream on the same shapes (bench/nats.ts), when
 *             nats-server is installed
 *
 * The table ends with the goals of BENCHMARKS.md, each met or not by this run's figures.
 * `--plain` makes every load client ask for none of the protocol's batching, as clients made
 * before it: run with and without it to see what Delivery.more, batched acks and shared
 * Publish replies save. (The piped workload runs the real client, which it does not change.)
 *
 * @module
 */
import { natsPeer, type NatsWorkload } from "./nats.ts";
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

const dir = await Deno.makeTempDir({ prefix: "chat-bench-" });
const processes: ChatProcess[] = [];
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

async function realServer(extra: string[] = []): Promise<{ proc: ChatProcess; port: number }> {
  const db = await Deno.makeTempFile({ dir, suffix: ".db" });
  await Deno.remove(db);
  const server = await startServer({ db, extra: ["-quiet", "-rate_limits", "off", ...extra] });
  processes.push(server.proc);
  return server;
}

async function bareServer(): Promise<{ proc: ChatProcess; port: number }> {
  const proc = startScript("bare", "bench/bare_broadcast_server.ts");
  processes.push(proc);
  const line = await proc.waitForLine(/listening on/);
  return { proc, port: Number(line.match(/:(\d+),/)![1]) };
}

/** Starts `members` consumers in processes of CONSUMERS_PER_PROCESS; resolves when all are subscribed. */
async function consumers(
  port: number,
  members: number,
  { ack = true, groups = 0, rooms = 0 } = {},
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
 * Deliveries per second over the middle of a saturating run of PUBLISHERS publishers, and the
 * server's CPU time per delivery over the same interval (the cost the scale goal is about).
 */
async function saturate(
  server: { port: number; proc: ChatProcess },
  procs: ChatProcess[],
  {
    via = "stream" as Via,
    groups = 0,
    window = 1,
    publishers = undefined as ChatProcess | undefined,
  } = {},
): Promise<{ deliveries: number; cpuUs: number; perWrite?: number }> {
  const port = server.port;
  const seconds = SECONDS;
  let from = 0;
  if (publishers) {
    // Publishers that made rooms and wait for a command (the rooms workload).
    from = publishers.stdout.length;
    await publishers.type(`run 0 ${seconds}`);
  } else {
    publishers = load([
      "publishers",
      String(port),
      String(PUBLISHERS),
      "0",
      String(seconds),
      ...(via === "stream" ? ["stream"] : []),
      ...(groups ? [`groups=${groups}`] : []),
      `window=${window}`,
    ]);
    await publishers.waitForLine(/"ready"/, { timeoutMs: 60_000 });
  }
  await sleep(Math.min(1_000, seconds * 250)); // warm-up
  const m1 = await serverMetrics(server.proc);
  const [r1, t1] = [received(procs), performance.now()];
  await sleep(seconds * 500);
  const [r2, t2] = [received(procs), performance.now()];
  const m2 = await serverMetrics(server.proc);
  await publishers.waitForLine(/"sent"/, { timeoutMs: 60_000, from });
  return {
    deliveries: Math.round((r2 - r1) / ((t2 - t1) / 1000)),
    cpuUs: +(((m2.process_cpu_seconds_total - m1.process_cpu_seconds_total) * 1e6) /
      Math.max(1, r2 - r1)).toFixed(2),
    // The server's own count (the bare baseline has none): how well it batches per write.
    perWrite: m1.chat_delivery_writes_total === undefined ? undefined : +(
      (m2.chat_deliveries_total - m1.chat_deliveries_total) /
      Math.max(1, m2.chat_delivery_writes_total - m1.chat_delivery_writes_total)
    ).toFixed(1),
  };
}

/** Publishes at `rate` messages/s for `seconds`; returns the publishers' report. */
async function publish(
  port: number,
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
  const { deliveries, cpuUs } = await saturate(server, group);
  results[`${workload}_deliveries_per_s`] = deliveries;
  results[`${workload}_server_cpu_us_per_delivery`] = cpuUs;
  row(workload, measure, fmt(deliveries));
  row(workload, "  server CPU per delivery", `${cpuUs} us`);
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
    const { deliveries, cpuUs, perWrite } = await saturate(server, group);
    results[`scale_${size}_deliveries_per_s`] = deliveries;
    results[`scale_${size}_server_cpu_us_per_delivery`] = cpuUs;
    row(
      "scale",
      `deliveries/s, group of ${fmt(size)}`,
      `${fmt(deliveries)} (${cpuUs} us CPU each, ${perWrite} per write)`,
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
  const { deliveries, cpuUs, perWrite } = await saturate(server, group, { groups: GROUPS });
  results.groups_deliveries_per_s = deliveries;
  results.groups_server_cpu_us_per_delivery = cpuUs;
  row(
    "scale",
    `deliveries/s, ${GROUPS} groups of ${GROUP_MEMBERS} at once`,
    `${fmt(deliveries)} (${cpuUs} us CPU each, ${perWrite} per write)`,
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
  const { deliveries, cpuUs, perWrite } = await saturate(server, group, { publishers });
  results.rooms_deliveries_per_s = deliveries;
  if (perWrite) results.rooms_deliveries_per_write = perWrite;
  results.rooms_server_cpu_us_per_delivery = cpuUs;
  row(
    "rooms",
    `deliveries/s, ${fmt(ROOMS)} rooms of ${ROOM_MEMBERS}, each client in ${ROOM_MEMBERS}`,
    `${fmt(deliveries)} (${cpuUs} us CPU each, ${perWrite} per write)`,
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
    `${fmt(one.deliveries)} (${one.cpuUs} us CPU each, ${one.perWrite} per write)`,
  );
  row("rooms", "  CPU per delivery, ratio to that", `${results.rooms_cpu_ratio_vs_group_of_100} x`);
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
    const server = await realServer(mode === "off" ? ["-synchronous", "off"] : []);
    const report = await publish(server.port, 1_000, SECONDS, { via });
    // The server's own view (arrival to answer), to tell its time from the client's and the OS's.
    const { sendP50Ms: p50, sendP99Ms: p99 } = await serverStats(server.proc);
    const key = `sync_${mode}${via === "calls" ? "_send_calls" : ""}`;
    results[`server_send_p99_ms_${key}`] = p99;
    if (mode === "full" && via === "stream") results.send_ack_p99_ms = report.ack.p99;
    results[`send_ack_p50_ms_${key}`] = report.ack.p50;
    results[`send_ack_p99_ms_${key}`] = report.ack.p99;
    row(
      "durability",
      `send ack at ${fmt(report.per_s)}/s, synchronous=${mode.toUpperCase()}, ${
        via === "stream" ? "Publish streams" : "Send calls"
      } (p50 / p99)`,
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

const started = performance.now();
console.error(
  `grpc-chat benchmark${
    quick ? " (quick)" : ""
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
  const peer = (["fanout", "rooms", "catchup"] as const).filter((w) => wanted(`nats-${w}`));
  if (peer.length > 0) await nats(peer);
  goals();
} finally {
  await Promise.all(processes.map((p) => p.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
console.log("| workload | measure | value |\n| --- | --- | --- |");
for (const [w, m, v] of table) console.log(`| ${w} | ${m} | ${v} |`);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
const summary: Record<string, number | null> = { ...results };
for (const key of ALWAYS) {
  if (summary[key] === undefined || summary[key] === null) {
    summary[key] = null;
    console.error(`${key}: null (${notRun(key)})`);
  }
}
console.log(JSON.stringify(summary));
