/**
 * The server's numbers in one registry: counters its parts bump, gauges read
 * when asked. The SIGUSR2 stats line is printed from it, and tests and the
 * benchmark read it as JSON (`metrics {...}`) rather than parsing that line.
 * Names follow Prometheus conventions (`_total`, `_seconds`, `_bytes`).
 *
 * @module
 */
import process from "node:process";
import { percentiles } from "../shared/percentiles.ts";

/** A number that only goes up. */
export class Counter {
  value = 0;
  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }
}

/** Named counters and gauges, read together by {@link MetricsRegistry.snapshot}. */
export class MetricsRegistry {
  #counters = new Map<string, Counter>();
  #gauges = new Map<string, () => number>();

  /**
   * The counter called `name`, made on first use.
   *
   * @throws {Error} if `name` is already a gauge.
   */
  counter(name: string): Counter {
    if (this.#gauges.has(name)) throw new Error(`metric ${name} is a gauge, not a counter`);
    let counter = this.#counters.get(name);
    if (!counter) this.#counters.set(name, counter = new Counter());
    return counter;
  }

  /**
   * A gauge: `read` is called at each snapshot.
   *
   * @throws {Error} if `name` is already registered.
   */
  gauge(name: string, read: () => number): void {
    if (this.#gauges.has(name) || this.#counters.has(name)) {
      throw new Error(`metric ${name} is already registered`);
    }
    this.#gauges.set(name, read);
  }

  /** Every metric's value now, by name. */
  snapshot(): Record<string, number> {
    const values: Record<string, number> = {};
    for (const [name, counter] of this.#counters) values[name] = counter.value;
    for (const [name, read] of this.#gauges) values[name] = read();
    return values;
  }
}

/** How many send latencies the p50/p99 gauges are taken over. */
export const SEND_LATENCY_SAMPLES = 4096;

/** The chat server's metrics: what its handlers report, on a {@link MetricsRegistry}. */
export class ServerMetrics {
  readonly registry: MetricsRegistry = new MetricsRegistry();
  #deliveries = this.registry.counter("chat_deliveries_total");
  #sends = this.registry.counter("chat_sends_answered_total");
  /** The last {@link SEND_LATENCY_SAMPLES} send latencies (ms), a ring. */
  #sendMs = new Float64Array(SEND_LATENCY_SAMPLES);

  constructor() {
    // Both percentiles come from one sort, redone only when sends were answered since.
    let sorted = { sends: -1, p50: 0, p99: 0 };
    const latency = () => {
      if (sorted.sends !== this.#sends.value) {
        const n = Math.min(this.#sends.value, this.#sendMs.length);
        sorted = { sends: this.#sends.value, ...percentiles(this.#sendMs, n) };
      }
      return sorted;
    };
    this.registry.gauge("chat_send_latency_p50_seconds", () => latency().p50 / 1000);
    this.registry.gauge("chat_send_latency_p99_seconds", () => latency().p99 / 1000);
    this.registry.gauge("process_resident_memory_bytes", () => Deno.memoryUsage().rss);
    this.registry.gauge("process_heap_used_bytes", () => Deno.memoryUsage().heapUsed);
    // All threads (the writer's too), since the start: benchmarks take differences.
    this.registry.gauge("process_cpu_seconds_total", () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    });
  }

  /** Notes messages written to a subscriber (each message once per subscriber). */
  delivered(messages: number): void {
    this.#deliveries.inc(messages);
  }

  /** Notes a stored send's time from arrival to answer. */
  sendAnswered(ms: number): void {
    this.#sendMs[this.#sends.value % this.#sendMs.length] = ms;
    this.#sends.inc();
  }
}

/** The human stats line (SIGUSR2) from a snapshot of the chat server's metrics. */
export function statsLine(m: Record<string, number>): string {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const ms = (seconds: number) => (seconds * 1000).toFixed(2);
  return `stats: rss ${mb(m.process_resident_memory_bytes)} MB, heap ${
    mb(m.process_heap_used_bytes)
  } MB, cpu ${m.process_cpu_seconds_total.toFixed(3)} s, ${m.chat_open_streams} open streams, ` +
    `${m.chat_sends_committed_total} sends in ${m.chat_commits_total} commits, send answered in ${
      ms(m.chat_send_latency_p50_seconds)
    } ms (p50) / ${ms(m.chat_send_latency_p99_seconds)} ms (p99) of the last 4,096`;
}
