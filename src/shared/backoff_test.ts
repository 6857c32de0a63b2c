import assert from "node:assert/strict";
import { Backoff } from "./backoff.ts";

Deno.test("backoff: doubles, stays within [step/2, step], is capped, and resets", () => {
  const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual(Array.from({ length: 6 }, () => high.next()), [100, 200, 400, 800, 1000, 1000]);
  const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  assert.deepEqual(Array.from({ length: 6 }, () => low.next()), [50, 100, 200, 400, 500, 500]);
  low.reset();
  assert.equal(low.next(), 50);
});
