/**
 * The server's numbers in one registry (prom-client's): counters its parts bump, and values
 * read from those parts at each scrape. `-metrics ADDR:PORT` serves it as Prometheus text
 * (ops/prometheus.ts); the SIGUSR2 stats line is printed from it, and tests and the benchmark
 * read it as flat JSON (`metrics {...}`, {@link ServerMetrics.snapshot}) rather than parsing
 * that line. Names follow Prometheus conventions (`_total`, `_seconds`, `_bytes`), and no label
 * takes a value from clients: codes, stream kinds and account kinds only.
 *
 * @module
 */
import process from "node:process";
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from "prom-client";
import { percentiles } from "../shared/percentiles.ts";
import { guestOf, type MemberKey } from "../store/types.ts";
import type { StreamKind } from "./handlers/streams.ts";

/** How many send latencies the p50/p99 gauges are taken over. */
export const SEND_LATENCY_SAMPLES = 4096;

/** Bounds for timings from 0.1 ms to 1 s: a send's answer, a commit with its fsync. */
export const SECONDS_BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
];

/** Bounds for messages per commit; 0 is a commit of acknowledged cursors only. */
export const BATCH_BUCKETS: readonly number[] = [
  0,
  1,
  2,
  4,
  8,
  16,
  32,
  64,
  128,
  256,
  512,
  1024,
  4096,
];

/**
 * prom-client's default metrics that mean what they say on Deno 2.9.3 with the server's
 * permissions. Left out: its CPU counters (they count from when they were made, not from the
 * process's start: ours below do); resident and virtual memory, data size and file
 * descriptors (read from /proc/self, which Deno opens only with --allow-all: always 0; our
 * resident memory comes from Deno.memoryUsage); the event loop delay histogram's figures
 * (Deno's `monitorEventLoopDelay` records nothing: a minimum of 9.2e9 s, NaN means); active
 * handles and requests (always empty); GC durations (never observed); active resources (a
 * partial list) and the version (of the Node.js Deno emulates, not Deno's).
 */
const KEPT_DEFAULTS = [
  "process_start_time_seconds",
  "nodejs_eventloop_lag_seconds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
];

let defaults: Metric[] | undefined;

/**
 * The kept default metrics, made once per process: they describe the process, so servers
 * started in one process (tests) share them.
 */
function processMetrics(): Metric[] {
  if (!defaults) {
    const scratch = new Registry();
    collectDefaultMetrics({ register: scratch });
    defaults = KEPT_DEFAULTS.flatMap((name) => scratch.getSingleMetric(name) ?? []);
  }
  return defaults;
}

/** What the server's gauges and totals are read from, at each scrape. */
export interface MetricSources {
  /** Group commit's running totals (commit/group_commit.ts). */
  commits: Readonly<{ commits: number; messages: number; stored: number; largestBatch: number }>;
  /** Open streams (handlers/streams.ts). */
  streams: { sizeOf(kind: StreamKind): number };
  /** Refusals so far, by gRPC status code name (handlers/refusals.ts). */
  refusals: ReadonlyMap<string, number>;
  /** Who has a Subscribe stream open (delivery/sessions.ts). */
  sessions: { online(): Iterable<MemberKey>; devicesOnline(member: MemberKey): number };
  /** Guest devices registered, counted in the store. */
  guestsRegistered(): Promise<number>;
}

/** The chat server's metrics: what its handlers report, on one prom-client {@link Registry}. */
export class ServerMetrics {
  readonly registry: Registry = new Registry();
  // Bumped on the delivery path (one call per frame): counters without labels, whose inc is
  // tens of nanoseconds at most. Sends and commits observe a histogram once each; the rest is
  // read from the server's parts at scrape time.
  #deliveries = this.#counter(
    "chat_deliveries_total",
    "Messages written to subscribers: each message once per subscriber it is written to",
  );
  #catchUp = this.#counter(
    "chat_catchup_messages_total",
    "Messages of chat_deliveries_total read back from the store rather than from the recent " +
      "messages kept in memory: a subscriber catching up after being offline or far behind",
  );
  #deliveryWrites = this.#counter(
    "chat_delivery_writes_total",
    "Writes to Subscribe streams: each carries one group's frame, or several (Delivery.more)",
  );
  #windowWaits = this.#counter(
    "chat_window_waits_total",
    "Times a subscription had more to send but its window of unacknowledged messages was " +
      "full, so it waited for the subscriber's ack",
  );
  #sendsInFlight = new Gauge({
    name: "chat_sends_in_flight",
    help: "Sends (Send calls and Publish messages) taken in and not yet answered",
    registers: [this.registry],
  });
  #sendSeconds = new Histogram({
    name: "chat_send_ack_seconds",
    help: "Time from a send's arrival to its answer, once durable (stored sends and retries)",
    buckets: [...SECONDS_BUCKETS],
    registers: [this.registry],
  });
  #commitMessages = new Histogram({
    name: "chat_commit_batch_messages",
    help: "Messages per commit, retries included (0: a commit of acknowledged cursors only)",
    buckets: [...BATCH_BUCKETS],
    registers: [this.registry],
  });
  #commitSeconds = new Histogram({
    name: "chat_commit_duration_seconds",
    help: "Time the store's writer took for one commit: its transaction and fsync",
    buckets: [...SECONDS_BUCKETS],
    registers: [this.registry],
  });
  /** The last {@link SEND_LATENCY_SAMPLES} send latencies (ms), a ring. */
  #sendMs = new Float64Array(SEND_LATENCY_SAMPLES);
  #sends = 0;

  constructor() {
    for (const metric of processMetrics()) this.registry.registerMetric(metric);
    // All threads (the writer's too) since the process started, as Prometheus expects.
    const cpu = (part: "user" | "system" | "total") => () => {
      const { user, system } = process.cpuUsage();
      return (part === "user" ? user : part === "system" ? system : user + system) / 1e6;
    };
    this.#counterOf("process_cpu_seconds_total", "User and system CPU time, seconds", cpu("total"));
    this.#counterOf("process_cpu_user_seconds_total", "User CPU time, seconds", cpu("user"));
    this.#counterOf("process_cpu_system_seconds_total", "System CPU time, seconds", cpu("system"));
    this.#gauge(
      "process_resident_memory_bytes",
      "Resident memory size in bytes",
      () => Deno.memoryUsage().rss,
    );
    // Both percentiles come from one sort, redone only when sends were answered since.
    let sorted = { sends: -1, p50: 0, p99: 0 };
    const latency = () => {
      if (sorted.sends !== this.#sends) {
        const n = Math.min(this.#sends, this.#sendMs.length);
        sorted = { sends: this.#sends, ...percentiles(this.#sendMs, n) };
      }
      return sorted;
    };
    const window = `over the last ${SEND_LATENCY_SAMPLES} sends (see chat_send_ack_seconds)`;
    this.#gauge(
      "chat_send_latency_p50_seconds",
      `Median send answer time ${window}`,
      () => latency().p50 / 1000,
    );
    this.#gauge(
      "chat_send_latency_p99_seconds",
      `99th percentile send answer time ${window}`,
      () => latency().p99 / 1000,
    );
  }

  /**
   * Reads the rest of the server's state at each scrape: commits, streams, refusals, clients.
   * Call once.
   *
   * @throws {Error} if called again (the metrics are registered already).
   */
  watch(sources: MetricSources): void {
    const { commits } = sources;
    this.#counterOf(
      "chat_messages_stored_total",
      "Messages stored: each message once, retries of a stored message left out",
      () => commits.stored,
    );
    this.#counterOf(
      "chat_sends_committed_total",
      "Sends committed, retries of a stored message included",
      () => commits.messages,
    );
    this.#counterOf(
      "chat_commits_total",
      "Commits made, each one transaction and one fsync",
      () => commits.commits,
    );
    this.#gauge(
      "chat_commit_largest_batch",
      "The most messages committed at once since the start",
      () => commits.largestBatch,
    );
    new Counter({
      name: "chat_refusals_total",
      help: "Calls and messages refused, by gRPC status code",
      labelNames: ["code"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [code, n] of sources.refusals) this.inc({ code }, n);
      },
    });
    new Gauge({
      name: "chat_open_streams",
      help: "Open Subscribe and Publish streams, by kind",
      labelNames: ["kind"],
      registers: [this.registry],
      collect() {
        for (const kind of ["subscribe", "publish"] as const) {
          this.set({ kind }, sources.streams.sizeOf(kind));
        }
      },
    });
    // A pass over who is online per gauge and scrape: as many steps as members online.
    const online = () => {
      const devices = { account: 0, guest: 0 };
      let accounts = 0;
      for (const member of sources.sessions.online()) {
        const n = sources.sessions.devicesOnline(member);
        if (guestOf(member) === undefined) {
          accounts++;
          devices.account += n;
        } else devices.guest += n;
      }
      return { devices, accounts };
    };
    new Gauge({
      name: "chat_clients_online",
      help: "Devices with a Subscribe stream open, by kind: proving an account, or a guest",
      labelNames: ["kind"],
      registers: [this.registry],
      collect() {
        const { devices } = online();
        this.set({ kind: "account" }, devices.account);
        this.set({ kind: "guest" }, devices.guest);
      },
    });
    this.#gauge(
      "chat_accounts_online",
      "Accounts with at least one device online",
      () => online().accounts,
    );
    // A scrape racing shutdown finds the store closed: the last count stands.
    let guests = 0;
    this.#gauge(
      "chat_guests_registered",
      "Guest devices registered (stored), online or not",
      async () => {
        try {
          guests = await sources.guestsRegistered();
        } catch {
          // Closed; see above.
        }
        return guests;
      },
    );
  }

  /**
   * Notes `messages` written to one subscriber in one frame; `fromStore` if they were read
   * back from the store (catching up) rather than from memory. Called once per frame.
   */
  delivered(messages: number, fromStore: boolean): void {
    this.#deliveries.inc(messages);
    if (fromStore) this.#catchUp.inc(messages);
  }

  /** Notes one write to a Subscribe stream, however many frames it carries. */
  deliveryWrite(): void {
    this.#deliveryWrites.inc();
  }

  /** Notes that a subscription stopped with more to send because its window was full. */
  windowFull(): void {
    this.#windowWaits.inc();
  }

  /** Notes a send taken in; {@link sendEnded} when it is answered, stored or refused. */
  sendStarted(): void {
    this.#sendsInFlight.inc();
  }

  /** Notes that a send of {@link sendStarted} was answered. */
  sendEnded(): void {
    this.#sendsInFlight.dec();
  }

  /** Notes a stored send's time from arrival to answer. */
  sendAnswered(ms: number): void {
    this.#sendMs[this.#sends++ % this.#sendMs.length] = ms;
    this.#sendSeconds.observe(ms / 1000);
  }

  /** Notes a commit of `messages` (retries included) that took the writer `seconds`. */
  committed(messages: number, seconds: number): void {
    this.#commitMessages.observe(messages);
    this.#commitSeconds.observe(seconds);
  }

  /**
   * Every metric now, flat, by name: a labelled series as `name{label="value"}` and the sum
   * of its series as `name`; a histogram's `_sum` and `_count` (its buckets are in the
   * Prometheus text only).
   */
  async snapshot(): Promise<Record<string, number>> {
    const values: Record<string, number> = {};
    for (const metric of await this.registry.getMetricsAsJSON()) {
      let total = 0;
      // Histograms' values name their series (`_bucket`, `_sum`, `_count`); the types omit it.
      const series = metric.values as { labels: object; value: number; metricName?: string }[];
      for (const { labels, value, metricName } of series) {
        const name = metricName ?? metric.name;
        const pairs = Object.entries(labels);
        if (pairs.length === 0) values[name] = value;
        else if (!("le" in labels)) {
          values[`${name}{${pairs.map(([k, v]) => `${k}="${v}"`).join(",")}}`] = value;
          total += value;
        }
      }
      // prom-client's types say an enum; at run time the type is its name.
      if (String(metric.type) !== "histogram") values[metric.name] ??= total;
    }
    return values;
  }

  #counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  /** A counter kept elsewhere: its total is read at each scrape. */
  #counterOf(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** A gauge read at each scrape. */
  #gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }
}

/** The human stats line (SIGUSR2) from a snapshot of the chat server's metrics. */
export function statsLine(m: Record<string, number>): string {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const ms = (seconds: number) => (seconds * 1000).toFixed(2);
  return `stats: rss ${mb(m.process_resident_memory_bytes)} MB, heap ${
    mb(m.nodejs_heap_size_used_bytes)
  } MB, cpu ${m.process_cpu_seconds_total.toFixed(3)} s, ${m.chat_open_streams} open streams, ` +
    `${m.chat_sends_committed_total} sends in ${m.chat_commits_total} commits, send answered in ${
      ms(m.chat_send_latency_p50_seconds)
    } ms (p50) / ${ms(m.chat_send_latency_p99_seconds)} ms (p99) of the last 4,096`;
}
