/**
 * The benchmark's peer: the same chat workloads against NATS JetStream
 * (nats-server with its file store, the `nats` npm client), so our server's
 * figures can be read against a system built for this. bench/main.ts calls
 * {@link natsPeer}; `deno run -A bench/nats.ts [--quick] [--window=W]
 * [--only=fanout,rooms,catchup]` runs it alone and prints the figures.
 *
 * The shapes, chosen as a user of NATS would build a chat on it:
 *   - one stream per workload, file storage, limits retention (history kept,
 *     as our server keeps it); its PubAck is the publisher's acknowledgement.
 *     nats-server 2.9 acks once the message is written to the OS, with no
 *     fsync on the way (it syncs on its own later); our server with
 *     synchronous=FULL has synced before its reply.
 *   - one durable pull consumer per member and subject, read with `consume()`,
 *     AckAll, max_ack_pending 1,024 (our delivery window), acked as our client
 *     acks (src/client/acks.ts); see bench/nats_load.ts for why each.
 *   - rooms: NATS 2.9 consumers have one filter subject, so a member of ten
 *     rooms has ten consumers (2.10's filter_subjects would make it one).
 *
 * Load comes from separate processes (bench/nats_load.ts) on 127.0.0.1, as for
 * our server.
 *
 * @module
 */
import { connect, type NatsConnection, RetentionPolicy, StorageType } from "nats";
import { ChatProcess, startScript } from "../tests/harness.ts";

/** The streams, one per workload: names and subjects (bench/nats_load.ts uses them too). */
export const STREAMS = {
  general: { name: "GENERAL", subjects: ["chat.general"] },
  rooms: { name: "ROOMS", subjects: ["chat.room.>"] },
  catchup: { name: "CATCHUP", subjects: ["chat.catchup"] },
} as const;

/** The workloads natsPeer can run. */
export type NatsWorkload = "fanout" | "rooms" | "catchup";

/** What natsPeer needs from the bench. */
export interface NatsPeerOptions {
  /** Quick mode: 30,000 catch-up messages instead of 100,000, and 200 rooms unless told. */
  quick: boolean;
  /** Rooms of the rooms shape (as many clients, each in 10): the bench's own count. */
  rooms?: number;
  /** Length of each saturating or half-load run, in seconds (3 quick, 8 full). */
  seconds: number;
  /** A directory for nats-server's file store; its contents are removed at the end. */
  dir: string;
  /** Adds a line to the printed table. */
  row: (workload: string, measure: string, value: string) => void;
  /** Every process started is pushed here too, so the bench can stop it whatever happens. */
  processes: ChatProcess[];
  /** Publishes each rooms publisher keeps in flight (1: each awaits its PubAck first). */
  publisherWindow?: number;
  /** Runs only these (all when absent). */
  workloads?: NatsWorkload[];
}

/** The figures, each null when its workload could not run (the reason went to stderr). */
export interface NatsFigures {
  nats_fanout_deliveries_per_s: number | null;
  nats_fanout_server_cpu_us_per_delivery: number | null;
  nats_fanout_p50_ms_at_half_load: number | null;
  nats_fanout_p99_ms_at_half_load: number | null;
  nats_rooms_deliveries_per_s: number | null;
  nats_rooms_server_cpu_us_per_delivery: number | null;
  /** Seconds from starting the rooms' member processes until all their consumers consume. */
  nats_rooms_setup_s: number | null;
  /** The publisher window the rooms figures were measured with. */
  nats_rooms_publisher_window: number | null;
  /** One new consumer reading the whole stream, fetching batches of 100 one after the other. */
  nats_catchup_msgs_per_s: number | null;
  /** The same with `consume()` (batches of 100, the next asked for before one is used up). */
  nats_catchup_consume_msgs_per_s: number | null;
}

const PUBLISHERS = 16;
const FANOUT_MEMBERS = 50;
const CLIENTS_PER_PROCESS = 250;

/** A running nats-server and the figures every workload needs of it. */
interface Nats {
  proc: ChatProcess;
  port: number;
  nc: NatsConnection;
  options: NatsPeerOptions;
}

/**
 * Starts nats-server with JetStream on a free port of 127.0.0.1, runs the NATS workloads against
 * it and returns their figures. Never throws for a workload that fails: its figures are null and
 * the reason is printed. Without nats-server on PATH, all are null and one line says how to
 * install it. The server and every load process are stopped, and the store emptied, before it
 * returns.
 */
export async function natsPeer(options: NatsPeerOptions): Promise<NatsFigures> {
  const figures: NatsFigures = {
    nats_fanout_deliveries_per_s: null,
    nats_fanout_server_cpu_us_per_delivery: null,
    nats_fanout_p50_ms_at_half_load: null,
    nats_fanout_p99_ms_at_half_load: null,
    nats_rooms_deliveries_per_s: null,
    nats_rooms_server_cpu_us_per_delivery: null,
    nats_rooms_setup_s: null,
    nats_rooms_publisher_window: null,
    nats_catchup_msgs_per_s: null,
    nats_catchup_consume_msgs_per_s: null,
  };
  const version = await serverVersion();
  if (!version) {
    console.error(
      "nats: nats-server is not on PATH, NATS figures skipped (apt-get install -y nats-server)",
    );
    return figures;
  }
  const wanted = (w: NatsWorkload) => !options.workloads || options.workloads.includes(w);
  await Deno.mkdir(options.dir, { recursive: true });
  let server: { proc: ChatProcess; port: number } | undefined;
  let nc: NatsConnection | undefined;
  try {
    server = await startNatsServer(options);
    nc = await connect({ servers: `127.0.0.1:${server.port}`, maxReconnectAttempts: 0 });
    const nats: Nats = { ...server, nc, options };
    console.error(`  nats: ${version}, JetStream file store, 127.0.0.1:${server.port}`);
    const runs: [NatsWorkload, (n: Nats, f: NatsFigures) => Promise<void>][] = [
      ["fanout", fanout],
      ["rooms", roomsWorkload],
      ["catchup", catchup],
    ];
    for (const [name, run] of runs) {
      if (!wanted(name)) continue;
      try {
        await run(nats, figures);
      } catch (error) {
        console.error(`nats ${name}: could not run: ${brief(error)}`);
      }
    }
  } catch (error) {
    console.error(`nats: could not run: ${brief(error)}`);
  } finally {
    await nc?.close().catch(() => {});
    await server?.proc.stop();
    try {
      for await (const entry of Deno.readDir(options.dir)) {
        await Deno.remove(`${options.dir}/${entry.name}`, { recursive: true });
      }
    } catch (error) {
      console.error(`nats: could not empty ${options.dir}: ${brief(error)}`);
    }
  }
  return figures;
}

/** `nats-server --version`'s line, or undefined when there is no nats-server to run. */
async function serverVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("nats-server", { args: ["--version"], stdin: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim() || "nats-server";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Starts `nats-server -js` on a free port of 127.0.0.1 with its file store in `options.dir`;
 * resolves once it accepts connections.
 */
async function startNatsServer(
  options: NatsPeerOptions,
): Promise<{ proc: ChatProcess; port: number }> {
  // The free port may be taken between our probe and nats-server's bind: then it exits, and
  // another port is tried.
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    const proc = new ChatProcess("nats-server", "nats-server", [
      "-js",
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "-sd",
      options.dir,
    ]);
    options.processes.push(proc);
    try {
      // It prints this once it listens, which a connection to someone else's listener on a
      // port it failed to bind could not tell.
      await proc.waitForLine(/Server is ready/, { stream: "stderr", timeoutMs: 15_000 });
      await accepting(port, 5_000);
      return { proc, port };
    } catch (error) {
      await proc.stop();
      if (attempt === 3) throw error;
    }
  }
}

/** A port nobody listens on now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves once `port` of 127.0.0.1 accepts a connection; rejects at the deadline. */
async function accepting(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (error) {
      if (performance.now() > deadline) {
        throw new Error(`nats-server not accepting on ${port} within ${timeoutMs} ms: ${error}`);
      }
      await sleep(50);
    }
  }
}

/** An error's message, cut to its first lines (a load process's transcript can be long). */
function brief(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n");
  return lines.slice(0, 12).join("\n") + (lines.length > 12 ? "\n  ..." : "");
}

/** Makes `stream` afresh for a workload; the returned function deletes it. */
async function makeStream(
  nats: Nats,
  stream: { name: string; subjects: readonly string[] },
): Promise<() => Promise<void>> {
  const jsm = await nats.nc.jetstreamManager({ timeout: 60_000 });
  await jsm.streams.add({
    name: stream.name,
    subjects: [...stream.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  });
  return async () => {
    await jsm.streams.delete(stream.name).catch(() => {});
  };
}

/** Starts a bench/nats_load.ts process in `mode` against the server, tracked by the bench. */
function load(nats: Nats, mode: string, args: string[]): ChatProcess {
  const proc = startScript(`nats-${mode}`, "bench/nats_load.ts", [
    mode,
    String(nats.port),
    ...args,
  ]);
  nats.options.processes.push(proc);
  return proc;
}

/** The last JSON report of a load process that has `key`. */
function last(proc: ChatProcess, key: string): Record<string, unknown> {
  for (let i = proc.stdout.length - 1; i >= 0; i--) {
    if (proc.stdout[i].includes(`"${key}"`)) return JSON.parse(proc.stdout[i]);
  }
  throw new Error(`${proc.label} reported no ${key}\n${proc.transcript()}`);
}

const received = (procs: ChatProcess[]) =>
  procs.reduce((sum, p) => sum + (last(p, "received").received as number), 0);

/**
 * CPU seconds nats-server has used so far, all threads: utime + stime of /proc/PID/stat, in
 * clock ticks of 1/100 s (USER_HZ, 100 on Linux whatever the kernel's HZ). Read by `cat`: Deno
 * lets only --allow-all read /proc/PID, and the bench runs with --allow-run but not that.
 * Undefined where there is no /proc.
 */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stdin: "null" })
      .output();
    if (!out.success) return undefined;
    const stat = new TextDecoder().decode(out.stdout);
    // The command name, in parentheses, may hold spaces: count fields after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Starts `count` members (`extra` tells which) in processes of CLIENTS_PER_PROCESS; resolves
 * when every consumer consumes, with the processes and the seconds that took.
 */
async function startMembers(
  nats: Nats,
  count: number,
  extra: string[],
  timeoutMs: number,
): Promise<{ procs: ChatProcess[]; setupS: number }> {
  const started = performance.now();
  const procs: ChatProcess[] = [];
  for (let from = 0; from < count; from += CLIENTS_PER_PROCESS) {
    const n = Math.min(CLIENTS_PER_PROCESS, count - from);
    procs.push(load(nats, "members", [String(n), `first=${from}`, ...extra]));
  }
  await Promise.all(procs.map((p) => p.waitForLine(/"ready"/, { timeoutMs })));
  return { procs, setupS: +((performance.now() - started) / 1000).toFixed(1) };
}

/**
 * Deliveries per second over the middle of a saturating run of PUBLISHERS publishers, and
 * nats-server's CPU time per delivery over the same interval (null without /proc), as
 * `saturate()` in bench/main.ts measures our server.
 */
async function saturate(
  nats: Nats,
  procs: ChatProcess[],
  extra: string[] = [],
): Promise<{ deliveries: number; cpuUs: number | null; ack: { p50: number; p99: number } }> {
  const seconds = nats.options.seconds;
  const publishers = load(nats, "publishers", [
    String(PUBLISHERS),
    "0",
    String(seconds),
    ...extra,
  ]);
  await publishers.waitForLine(/"ready"/, { timeoutMs: 60_000 });
  await sleep(Math.min(1_000, seconds * 250)); // warm-up
  const c1 = await cpuSeconds(nats.proc.pid);
  const [r1, t1] = [received(procs), performance.now()];
  await sleep(seconds * 500);
  const [r2, t2] = [received(procs), performance.now()];
  const c2 = await cpuSeconds(nats.proc.pid);
  await publishers.waitForLine(/"sent"/, { timeoutMs: 60_000 + seconds * 1000 });
  const sent = last(publishers, "sent") as { ack: { p50: number; p99: number } };
  return {
    deliveries: Math.round((r2 - r1) / ((t2 - t1) / 1000)),
    cpuUs: c1 === undefined || c2 === undefined
      ? null
      : +(((c2 - c1) * 1e6) / Math.max(1, r2 - r1)).toFixed(2),
    ack: sent.ack,
  };
}

/** `us` as the table shows CPU per delivery. */
const cpuText = (us: number | null) => us === null ? "CPU n/a" : `${us} us CPU each`;

/**
 * The 50-member fan-out: one stream on `chat.general`, one consumer per member, 16 publishers
 * each awaiting its PubAck; deliveries/s at saturation, then end-to-end latency at half that
 * message rate.
 */
async function fanout(nats: Nats, figures: NatsFigures): Promise<void> {
  const { seconds, row } = nats.options;
  const drop = await makeStream(nats, STREAMS.general);
  let procs: ChatProcess[] = [];
  try {
    ({ procs } = await startMembers(nats, FANOUT_MEMBERS, [], 60_000));
    const { deliveries, cpuUs, ack } = await saturate(nats, procs);
    figures.nats_fanout_deliveries_per_s = deliveries;
    figures.nats_fanout_server_cpu_us_per_delivery = cpuUs;
    row(
      "nats fanout",
      "deliveries/s, 50 members, 16 publishers",
      `${fmt(deliveries)} (${cpuText(cpuUs)})`,
    );
    row("nats fanout", "  PubAck at saturation (p50 / p99)", `${ack.p50} / ${ack.p99} ms`);
    // Half load: half the saturating message rate, latency from send to receipt.
    const rate = Math.max(1, Math.round(deliveries / FANOUT_MEMBERS / 2));
    for (const p of procs) await p.type("measure");
    const publishers = load(nats, "publishers", [
      String(PUBLISHERS),
      String(rate),
      String(seconds),
    ]);
    await publishers.waitForLine(/"sent"/, { timeoutMs: 60_000 + seconds * 1000 });
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.status));
    const latency = last(procs[0], "latency").latency as { p50: number; p99: number };
    figures.nats_fanout_p50_ms_at_half_load = latency.p50;
    figures.nats_fanout_p99_ms_at_half_load = latency.p99;
    row(
      "nats fanout",
      `end-to-end latency at ${fmt(rate)} msgs/s (p50 / p99)`,
      `${latency.p50} / ${latency.p99} ms`,
    );
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await drop();
  }
}

/**
 * The rooms shape: R rooms of 10 members, each client in 10 rooms, one consumer per (member,
 * room); 16 publishers to random rooms, each with `publisherWindow` publishes in flight.
 * Deliveries/s at saturation, and how long making the consumers took.
 */
async function roomsWorkload(nats: Nats, figures: NatsFigures): Promise<void> {
  const { quick, row } = nats.options;
  const window = nats.options.publisherWindow ?? 1;
  const rooms = nats.options.rooms ?? (quick ? 200 : 1_000);
  const drop = await makeStream(nats, STREAMS.rooms);
  let procs: ChatProcess[] = [];
  try {
    // Bounded: making 10,000 consumers is the slow part, and the run has a time budget.
    const setupTimeout = quick ? 30_000 : 90_000;
    let setupS: number;
    ({ procs, setupS } = await startMembers(nats, rooms, [`rooms=${rooms}`], setupTimeout));
    figures.nats_rooms_setup_s = setupS;
    row("nats rooms", `${fmt(rooms * 10)} consumers made and consuming in`, `${setupS} s`);
    const { deliveries, cpuUs, ack } = await saturate(nats, procs, [
      `rooms=${rooms}`,
      `window=${window}`,
    ]);
    figures.nats_rooms_deliveries_per_s = deliveries;
    figures.nats_rooms_server_cpu_us_per_delivery = cpuUs;
    figures.nats_rooms_publisher_window = window;
    row(
      "nats rooms",
      `deliveries/s, ${fmt(rooms)} rooms of 10, 16 publishers, window ${window}`,
      `${fmt(deliveries)} (${cpuText(cpuUs)})`,
    );
    row("nats rooms", "  PubAck at saturation (p50 / p99)", `${ack.p50} / ${ack.p99} ms`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await drop();
  }
}

/**
 * Catch-up: a stream filled with 100,000 messages (30,000 quick), then read from the start by a
 * new durable pull consumer fetching batches of 100, and by another with `consume()`.
 */
async function catchup(nats: Nats, figures: NatsFigures): Promise<void> {
  const { quick, row } = nats.options;
  const total = quick ? 30_000 : 100_000;
  const drop = await makeStream(nats, STREAMS.catchup);
  const proc = load(nats, "catchup", [String(total)]);
  try {
    const done = JSON.parse(await proc.waitForLine(/"done"/, { timeoutMs: 120_000 }));
    const filled = last(proc, "filled");
    figures.nats_catchup_msgs_per_s = done.per_s;
    figures.nats_catchup_consume_msgs_per_s = done.consume_per_s;
    row(
      "nats catchup",
      `msgs/s, one consumer, ${fmt(done.done)} unread, fetch 100 at a time`,
      `${fmt(done.per_s)} (filled in ${((filled.ms as number) / 1000).toFixed(1)} s)`,
    );
    row("nats catchup", "  the same with consume()", fmt(done.consume_per_s));
  } finally {
    await proc.stop();
    await drop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const window = Number(Deno.args.find((a) => a.startsWith("--window="))?.slice(9) ?? 1);
  const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7).split(",") as
    | NatsWorkload[]
    | undefined;
  const dir = await Deno.makeTempDir({ prefix: "nats-bench-" });
  const processes: ChatProcess[] = [];
  const started = performance.now();
  try {
    const figures = await natsPeer({
      quick,
      seconds: quick ? 3 : 8,
      dir,
      row: (w, m, v) => console.error(`  ${w.padEnd(12)} ${m.padEnd(44)} ${v}`),
      processes,
      publisherWindow: window,
      workloads: only,
    });
    console.error(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
    console.log(JSON.stringify(figures));
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
