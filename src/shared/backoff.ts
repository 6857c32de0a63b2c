/**
 * Exponential backoff with jitter, capped: how long to wait before the next
 * attempt to reach the server. Jitter keeps many clients from coming back in
 * lockstep after a server restart.
 *
 * @module
 */

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Returns a number in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Delays that double from `initialMs` up to `maxMs`, each drawn from the upper half of its step. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 10_000;
    this.#random = options.random ?? Math.random;
  }

  /** The delay before the next attempt. */
  next(): number {
    const step = Math.min(this.maxMs, this.initialMs * 2 ** this.#attempt);
    if (step < this.maxMs) this.#attempt++;
    return Math.round(step / 2 + this.#random() * step / 2);
  }

  /** Starts over after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}
