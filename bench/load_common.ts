/**
 * What the benchmark's load generators share, whichever server they load (bench/load.ts for
 * ours, bench/nats_load.ts for NATS JetStream): the message text that carries its send time,
 * receivers that count and sample end-to-end latency, and paced send loops.
 *
 * @module
 */
import { percentiles } from "../src/shared/percentiles.ts";

const utf8 = new TextDecoder();

/** A message text: its send time, padded to this many bytes. */
export const TEXT_BYTES = 100;

/** Milliseconds since the epoch, to the microsecond: comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

/** A message text that says when it was sent (see {@link Receipts.take}). */
export const stampedText = (): string => now().toFixed(3).padEnd(TEXT_BYTES, " ");

/** Prints one JSON report line on stdout, which bench/main.ts reads. */
export const report = (value: unknown): void => console.log(JSON.stringify(value));

/** p50 and p99 in ms to two decimals, as reported. */
export function latency(samples: Float64Array, n: number): { p50: number; p99: number } {
  const { p50, p99 } = percentiles(samples, n);
  return { p50: +p50.toFixed(2), p99: +p99.toFixed(2) };
}

/**
 * What a receiving process has received: a count, and once "measure" has come on stdin (after
 * the warm-up), the end-to-end latency of each message from its stamped text.
 */
export class Receipts {
  received = 0;
  /** Latency of up to 1M messages, enough for percentiles. */
  #samples = new Float64Array(1_000_000);
  #sampled = 0;
  #measuring = false;
  /** More figures for every report (a consumer's sequence checks, say). */
  extra: () => Record<string, number> = () => ({});

  /**
   * Notes one message that arrived now, whose text is {@link stampedText}'s (as bytes: decoded
   * only while measuring, so that counting costs a receiver nothing more).
   */
  take(text: string | Uint8Array): void {
    this.received++;
    if (this.#measuring && this.#sampled < this.#samples.length) {
      const stamp = typeof text === "string" ? text : utf8.decode(text);
      this.#samples[this.#sampled++] = now() - parseFloat(stamp);
    }
  }

  /**
   * Reports `{"received", "at"}` every 100 ms; "measure" on stdin starts latency sampling;
   * SIGTERM reports the last count with the latency percentiles and exits.
   */
  reportUntilTerm(): void {
    (async () => {
      for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
        if (chunk.includes("measure")) this.#measuring = true;
      }
    })();
    const timer = setInterval(
      () => report({ received: this.received, at: now(), ...this.extra() }),
      100,
    );
    Deno.addSignalListener("SIGTERM", () => {
      clearInterval(timer);
      const sampled = this.#sampled;
      report({
        received: this.received,
        at: now(),
        latency: latency(this.#samples, sampled),
        samples: sampled,
        ...this.extra(),
      });
      Deno.exit(0);
    });
  }
}

/**
 * Runs `lanes` send loops until `seconds` have passed, at `rate` messages/s in all (0: each as
 * fast as its sends are answered), and returns the "sent" report with the answer latency. Paced,
 * lane `i` owns every lanes-th slot of one schedule, so the rate holds however the lanes are
 * spread over senders.
 */
export async function runLanes(
  lanes: number,
  rate: number,
  seconds: number,
  send: (lane: number) => Promise<void>,
): Promise<{ sent: number; per_s: number; ack: { p50: number; p99: number } }> {
  const acks = new Float64Array(2_000_000);
  let sent = 0;
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let k = 0; now() < end; k++) {
      if (rate > 0) {
        const due = start + ((k * lanes + lane) * 1000) / rate;
        const wait = due - now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (now() >= end) break;
      }
      const t = now();
      await send(lane);
      if (sent < acks.length) acks[sent] = now() - t;
      sent++;
    }
  }));
  const elapsed = (now() - start) / 1000;
  return { sent, per_s: Math.round(sent / elapsed), ack: latency(acks, sent) };
}
