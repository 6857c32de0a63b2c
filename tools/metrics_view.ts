/**
 * A live view of a chat server's metrics for a person at a terminal:
 * `deno task metrics [URL]` (default http://127.0.0.1:9464/metrics, the server started with
 * `-metrics 127.0.0.1:9464`). It scrapes every second and redraws a small table of rates over
 * the last second (sends, deliveries, refusals, commits), percentiles from the histograms'
 * buckets of that second (as Prometheus's `histogram_quantile` would), and what is open now.
 * When stdout is not a terminal it prints one `key=value` line per second instead. Ctrl-C
 * quits.
 *
 * @module
 */

/** Where the view looks when given no URL. */
export const DEFAULT_URL = "http://127.0.0.1:9464/metrics";

const USAGE = `usage: deno task metrics [URL]
  URL   the server's metrics endpoint (default ${DEFAULT_URL}; the server's -metrics flag)
  -h    print this help`;

/** Sample values by series, keyed as written: `name` or `name{label="value",...}`. */
export type Samples = Map<string, number>;

/** One scrape: its samples and when it was taken (ms, any monotonic clock). */
export interface Scrape {
  atMs: number;
  samples: Samples;
}

/**
 * The samples of a Prometheus text page. Comments and lines that are not samples are skipped:
 * this is a viewer, and the server's tests check the format strictly.
 */
export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][\w:]*(?:\{.*\})?)\s+(\S+)/);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return samples;
}

/** What the view shows: rates over the interval between two scrapes, and values now. */
export interface Summary {
  sendsPerS: number;
  deliveriesPerS: number;
  catchUpPerS: number;
  refusalsPerS: number;
  /** Refusals of the interval by code, most first. */
  refusedCodes: [string, number][];
  sendsInFlight: number;
  /** Send answer time percentiles (seconds) of the interval; undefined with no sends. */
  sendAckP50?: number;
  sendAckP99?: number;
  commitsPerS: number;
  /** Mean messages per commit in the interval; undefined with no commits. */
  batchMean?: number;
  batchP99?: number;
  /** Commit (transaction and fsync) time of the interval, seconds. */
  commitMean?: number;
  commitP99?: number;
  windowWaitsPerS: number;
  streams: { subscribe: number; publish: number };
  clients: { account: number; guest: number };
  accountsOnline: number;
  rssBytes: number;
  /** CPU time over wall time, all threads: 100 is one core busy. */
  cpuPercent: number;
}

/** The value of `key` (0 when absent). */
function value(s: Samples, key: string): number {
  return s.get(key) ?? 0;
}

/** Sum of every series of `name` (`name` itself, or each `name{...}`). */
function total(s: Samples, name: string): number {
  let sum = 0;
  for (const [key, v] of s) {
    if (key === name || key.startsWith(`${name}{`)) sum += v;
  }
  return sum;
}

/** How much a counter grew; a counter that went down was reset (the server restarted). */
function growth(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** `name`'s buckets as [upper bound, cumulative count] in bound order. */
function buckets(s: Samples, name: string): [number, number][] {
  const out: [number, number][] = [];
  for (const [key, v] of s) {
    if (!key.startsWith(`${name}_bucket{`)) continue;
    const le = key.match(/le="([^"]+)"/)?.[1];
    if (le !== undefined) out.push([le === "+Inf" ? Infinity : Number(le), v]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * The `q` quantile of what histogram `name` observed between two scrapes, interpolated within
 * its bucket as `histogram_quantile` does; undefined when it observed nothing.
 */
export function quantile(
  before: Samples,
  after: Samples,
  name: string,
  q: number,
): number | undefined {
  const was = new Map(buckets(before, name));
  const now = buckets(after, name).map(([le, n]): [number, number] => [
    le,
    growth(was.get(le) ?? 0, n),
  ]);
  const count = now.at(-1)?.[1] ?? 0;
  if (count === 0) return undefined;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [le, n] of now) {
    if (n >= rank) {
      // Past the last finite bound there is nothing to interpolate: that bound is the answer.
      if (le === Infinity) return lower;
      return lower + (le - lower) * (n === below ? 1 : (rank - below) / (n - below));
    }
    lower = le;
    below = n;
  }
  return lower;
}

/** The view's figures from two consecutive scrapes. */
export function summarize(before: Scrape, after: Scrape): Summary {
  const a = after.samples;
  const b = before.samples;
  const seconds = Math.max(0.001, (after.atMs - before.atMs) / 1000);
  const rate = (name: string) => growth(total(b, name), total(a, name)) / seconds;
  const mean = (name: string) => {
    const n = growth(value(b, `${name}_count`), value(a, `${name}_count`));
    return n === 0 ? undefined : growth(value(b, `${name}_sum`), value(a, `${name}_sum`)) / n;
  };
  const refusedCodes: [string, number][] = [];
  for (const [key, v] of a) {
    const code = key.match(/^chat_refusals_total\{code="([^"]+)"\}$/)?.[1];
    const n = code === undefined ? 0 : growth(b.get(key) ?? 0, v);
    if (code !== undefined && n > 0) refusedCodes.push([code, n]);
  }
  refusedCodes.sort((x, y) => y[1] - x[1]);
  return {
    sendsPerS: rate("chat_send_ack_seconds_count"),
    deliveriesPerS: rate("chat_deliveries_total"),
    catchUpPerS: rate("chat_catchup_messages_total"),
    refusalsPerS: rate("chat_refusals_total"),
    refusedCodes,
    sendsInFlight: value(a, "chat_sends_in_flight"),
    sendAckP50: quantile(b, a, "chat_send_ack_seconds", 0.5),
    sendAckP99: quantile(b, a, "chat_send_ack_seconds", 0.99),
    commitsPerS: rate("chat_commit_batch_messages_count"),
    batchMean: mean("chat_commit_batch_messages"),
    batchP99: quantile(b, a, "chat_commit_batch_messages", 0.99),
    commitMean: mean("chat_commit_duration_seconds"),
    commitP99: quantile(b, a, "chat_commit_duration_seconds", 0.99),
    windowWaitsPerS: rate("chat_window_waits_total"),
    streams: {
      subscribe: value(a, 'chat_open_streams{kind="subscribe"}'),
      publish: value(a, 'chat_open_streams{kind="publish"}'),
    },
    clients: {
      account: value(a, 'chat_clients_online{kind="account"}'),
      guest: value(a, 'chat_clients_online{kind="guest"}'),
    },
    accountsOnline: value(a, "chat_accounts_online"),
    rssBytes: value(a, "process_resident_memory_bytes"),
    cpuPercent: rate("process_cpu_seconds_total") * 100,
  };
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (s: number | undefined) => s === undefined ? "-" : `${(s * 1000).toFixed(2)} ms`;
const msgs = (n: number | undefined) => n === undefined ? "-" : n.toFixed(1);

/** The table a terminal shows: label and value rows, under a header. */
export function formatTable(s: Summary, url: string, at: Date, color: boolean): string {
  const paint = (code: string, text: string) => color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const refused = s.refusedCodes.map(([code, n]) => `${code} ${count(n)}`).join(", ");
  const rows: [string, string][] = [
    ["sends/s", count(s.sendsPerS)],
    ["deliveries/s", count(s.deliveriesPerS)],
    ["  from the store (catch-up)", count(s.catchUpPerS)],
    [
      "refusals/s",
      s.refusalsPerS > 0 ? paint("33", `${count(s.refusalsPerS)} (${refused})`) : "0",
    ],
    ["sends in flight", count(s.sendsInFlight)],
    ["send ack p50 / p99", `${ms(s.sendAckP50)} / ${ms(s.sendAckP99)}`],
    ["commits/s", count(s.commitsPerS)],
    ["  messages each (mean / p99)", `${msgs(s.batchMean)} / ${msgs(s.batchP99)}`],
    ["  fsync time (mean / p99)", `${ms(s.commitMean)} / ${ms(s.commitP99)}`],
    [
      "open streams",
      `subscribe ${count(s.streams.subscribe)}, publish ${count(s.streams.publish)}`,
    ],
    [
      "clients online",
      `${count(s.clients.account + s.clients.guest)} (${count(s.clients.account)} devices of ${
        count(s.accountsOnline)
      } accounts, ${count(s.clients.guest)} guests)`,
    ],
    ["window waits/s", count(s.windowWaitsPerS)],
    ["RSS", `${(s.rssBytes / 1024 / 1024).toFixed(1)} MB`],
    ["CPU", `${s.cpuPercent.toFixed(0)}%`],
  ];
  const header = `${paint("1", "grpc-chat")} ${url}  ${at.toTimeString().slice(0, 8)}`;
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    header,
    "",
    ...rows.map(([label, v]) => `  ${label.padEnd(width)}  ${v}`),
    "",
    paint("2", "rates and percentiles over the last second; Ctrl-C quits"),
  ].join("\n");
}

/** One line per scrape for a pipe or a log: `key=value` pairs after the time. */
export function formatLine(s: Summary, at: Date): string {
  const round = (n: number) => String(Math.round(n));
  const millis = (v: number | undefined) => v === undefined ? "-" : (v * 1000).toFixed(2);
  const pairs: [string, string][] = [
    ["sends/s", round(s.sendsPerS)],
    ["deliveries/s", round(s.deliveriesPerS)],
    ["catchup/s", round(s.catchUpPerS)],
    ["refusals/s", round(s.refusalsPerS)],
    ["in_flight", round(s.sendsInFlight)],
    ["ack_p50_ms", millis(s.sendAckP50)],
    ["ack_p99_ms", millis(s.sendAckP99)],
    ["commits/s", round(s.commitsPerS)],
    ["batch_mean", msgs(s.batchMean)],
    ["fsync_mean_ms", millis(s.commitMean)],
    ["fsync_p99_ms", millis(s.commitP99)],
    ["subscribe", round(s.streams.subscribe)],
    ["publish", round(s.streams.publish)],
    ["online", round(s.clients.account + s.clients.guest)],
    ["window_waits/s", round(s.windowWaitsPerS)],
    ["rss_mb", (s.rssBytes / 1024 / 1024).toFixed(1)],
    ["cpu_pct", s.cpuPercent.toFixed(0)],
  ];
  return `${at.toTimeString().slice(0, 8)} ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}`;
}

/**
 * Scrapes `url` once.
 *
 * @throws {Error} when it cannot be reached, answers other than 200, or takes over 2 s.
 */
async function scrape(url: string, stop: AbortSignal): Promise<Scrape> {
  const response = await fetch(url, {
    signal: AbortSignal.any([stop, AbortSignal.timeout(2_000)]),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return { atMs: performance.now(), samples: parseSamples(text) };
}

/** Waits `ms`, or less if `stop` is aborted. */
function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
  });
}

async function main(args: string[]): Promise<number> {
  if (args.some((a) => /^--?h(elp)?$/.test(a))) {
    console.log(USAGE);
    return 0;
  }
  const url = args[0] ?? DEFAULT_URL;
  if (args.length > 1 || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    console.error(
      `metrics: ${
        args.length > 1 ? "give one URL" : `'${url}' is not an http:// or https:// URL`
      }\n${USAGE}`,
    );
    return 2;
  }
  const terminal = Deno.stdout.isTerminal();
  const color = terminal && !Deno.noColor;
  const out = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
  const stop = new AbortController();
  const quit = () => stop.abort();
  Deno.addSignalListener("SIGINT", quit);
  let before: Scrape | undefined;
  let unreachable = false;
  while (!stop.signal.aborted) {
    const started = performance.now();
    try {
      const after = await scrape(url, stop.signal);
      if (unreachable) console.error(`metrics: reached ${url} again`);
      unreachable = false;
      if (before) {
        const summary = summarize(before, after);
        if (terminal) out(`\x1b[H\x1b[2J${formatTable(summary, url, new Date(), color)}\n`);
        else console.log(formatLine(summary, new Date()));
      }
      before = after;
    } catch (error) {
      if (stop.signal.aborted) break;
      // One line per outage, not one a second: the view keeps trying quietly.
      if (!unreachable) {
        const why = error instanceof Error ? error.message : String(error);
        if (terminal) out("\x1b[H\x1b[2J");
        console.error(`metrics: cannot reach ${url} (${why}); retrying every second, Ctrl-C quits`);
      }
      unreachable = true;
      before = undefined;
    }
    await sleep(Math.max(0, 1_000 - (performance.now() - started)), stop.signal);
  }
  Deno.removeSignalListener("SIGINT", quit);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
