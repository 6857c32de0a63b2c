import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { ChatClient } from "../protocol/proto.ts";
import { type Route, Routes, STEADY_MS, type Verdict } from "./routes.ts";

const { UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL } = grpc.status;

/** Routes over `addresses` with a clock the test moves, and the addresses channels were made for. */
function routes(addresses: string[]) {
  let now = 1_000_000;
  const made: string[] = [];
  const closed: string[] = [];
  const r = new Routes(
    addresses,
    (address) => {
      made.push(address);
      return { close: () => closed.push(address) } as unknown as ChatClient;
    },
    () => now,
  );
  return { r, made, closed, advance: (ms: number) => now += ms };
}

/** A verdict with its route named by address, for assertions. */
function named(verdict: Verdict): unknown {
  return "to" in verdict ? { kind: verdict.kind, to: verdict.to.address } : verdict;
}

Deno.test("routes: one address is the single-server client: every failure waits, on the same route", () => {
  const { r, made } = routes(["a:1"]);
  const only = r.current;
  for (const code of [UNAVAILABLE, DEADLINE_EXCEEDED, grpc.status.CANCELLED]) {
    const verdict = r.failed(only, code);
    assert.deepEqual(named(verdict), { kind: "round", to: "a:1" });
    assert.equal((verdict as { to: Route }).to, only, "the same route, never a new one");
  }
  assert.deepEqual(r.failed(only, RESOURCE_EXHAUSTED), { kind: "stay" });
  assert.equal(r.holdMs, 0);
  assert.deepEqual(made, ["a:1"]);
});

Deno.test("routes: a node away moves on at once; a full round of failures waits, then goes on round", () => {
  const { r, made } = routes(["a:1", "b:2", "c:3"]);
  assert.equal(r.current.address, "a:1");
  assert.deepEqual(made, ["a:1"], "a channel is made when its address is first used");
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "moved", to: "b:2" });
  assert.deepEqual(named(r.failed(r.current, DEADLINE_EXCEEDED)), { kind: "moved", to: "c:3" });
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "round", to: "a:1" });
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "moved", to: "b:2" });
  assert.deepEqual(made, ["a:1", "b:2", "c:3"], "each channel made once, then kept");
});

Deno.test("routes: the session stays where it works; a later failure there moves on, not back to the first", () => {
  const { r, advance } = routes(["a:1", "b:2", "c:3"]);
  r.failed(r.current, UNAVAILABLE);
  const b = r.current;
  r.reached(b);
  advance(60_000);
  assert.equal(r.current, b, "nothing moves it while it works");
  // b's failure starts a new round: c is tried at once, then a, and only then is there a wait.
  assert.deepEqual(named(r.failed(b, UNAVAILABLE)), { kind: "moved", to: "c:3" });
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "moved", to: "a:1" });
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "round", to: "b:2" });
});

Deno.test("routes: a node that fails within STEADY_MS of answering does not start a new round", () => {
  const { r, advance } = routes(["a:1", "b:2"]);
  // Each node answers, then ends the call at once: without this rule the session would go
  // round and round without ever waiting.
  r.reached(r.current);
  advance(STEADY_MS - 1);
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "moved", to: "b:2" });
  r.reached(r.current);
  advance(10);
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "round", to: "a:1" });
  r.reached(r.current);
  advance(STEADY_MS);
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "moved", to: "b:2" });
});

Deno.test("routes: a refusal or a rate limit is no reason to move", () => {
  const { r } = routes(["a:1", "b:2"]);
  const a = r.current;
  for (const code of [RESOURCE_EXHAUSTED, INTERNAL, grpc.status.OK]) {
    assert.deepEqual(r.failed(a, code), { kind: "stay" }, grpc.status[code]);
  }
  assert.equal(r.current, a);
});

Deno.test("routes: a failure on an address already left is not counted again; it waits with the round", () => {
  const { r, advance } = routes(["a:1", "b:2", "c:3"]);
  const a = r.current;
  // The receiver and the outbox both lose a at once: one move, not two.
  assert.deepEqual(named(r.failed(a, UNAVAILABLE)), { kind: "moved", to: "b:2" });
  assert.deepEqual(r.failed(a, UNAVAILABLE), { kind: "stale", waitMs: 0 });
  assert.equal(r.current.address, "b:2", "c is not skipped to");
  const b = r.current;
  r.failed(b, UNAVAILABLE);
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "round", to: "a:1" });
  r.hold(400);
  advance(100);
  assert.equal(r.holdMs, 300);
  assert.deepEqual(r.failed(b, UNAVAILABLE), { kind: "stale", waitMs: 300 });
  // The next address answers: the wait is over for everyone.
  r.reached(r.current);
  assert.equal(r.holdMs, 0);
  assert.deepEqual(r.failed(b, UNAVAILABLE), { kind: "stale", waitMs: 0 });
});

Deno.test("routes: success on an address already left changes nothing", () => {
  const { r, advance } = routes(["a:1", "b:2"]);
  const a = r.current;
  r.failed(a, UNAVAILABLE);
  r.reached(a);
  advance(STEADY_MS * 5);
  // b has not answered since the move, so its failure completes the round a began.
  assert.deepEqual(named(r.failed(r.current, UNAVAILABLE)), { kind: "round", to: "a:1" });
});

Deno.test("routes: close closes every channel made; none is made for an address never tried", () => {
  const { r, closed } = routes(["a:1", "b:2", "c:3"]);
  r.failed(r.current, UNAVAILABLE);
  r.close();
  assert.deepEqual(closed, ["a:1", "b:2"]);
  assert.throws(() => routes([]), /at least one address/);
});
