/**
 * p50 and p99 of a sample of timings: the server's send latency in its stats
 * line, and the benchmark's latencies.
 *
 * @module
 */

/** The 50th and 99th percentiles of the first `n` values of `samples` (0 when there are none). */
export function percentiles(samples: Float64Array, n: number): { p50: number; p99: number } {
  const sorted = samples.slice(0, n).sort();
  const at = (p: number) => sorted[Math.min(n - 1, Math.floor(p * n))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}
