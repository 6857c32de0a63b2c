import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { FrameWriter } from "./writer.ts";
import { combineWithMore, MORE_FIELD } from "../../protocol/wire.ts";

const combine = (frames: Buffer[]) => combineWithMore(frames, MORE_FIELD.delivery);

/** A transport that keeps each write and takes it only when told (`take`). */
function transport() {
  const writes: { bytes: Buffer; done: () => void }[] = [];
  return {
    writes,
    write: (bytes: Buffer, done: () => void) => writes.push({ bytes, done }),
    /** The transport takes write `i`. */
    take: (i: number) => writes[i].done(),
  };
}

const bytes = (text: string) => Buffer.from(text);
/** Lets queued microtasks (this turn's flush) run. */
const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

Deno.test("delivery writer: a stream that does not accept more gets each frame as its own write, at once", () => {
  const t = transport();
  const writer = new FrameWriter(t.write, undefined);
  const done: string[] = [];
  writer.write(bytes("a"), () => done.push("a"));
  writer.write(bytes("b"), () => done.push("b"));
  assert.deepEqual(t.writes.map((w) => w.bytes.toString()), ["a", "b"]);
  t.take(1);
  t.take(0);
  assert.deepEqual(done, ["b", "a"]);
});

Deno.test("delivery writer: frames of one turn go as one write; those made while it is with the transport go together in the next; every `done` is called once its write is taken", async () => {
  const t = transport();
  const writer = new FrameWriter(t.write, MORE_FIELD.delivery);
  const done: string[] = [];
  for (const f of ["a1", "b1", "c1"]) writer.write(bytes(f), () => done.push(f));
  assert.equal(t.writes.length, 0, "nothing is written before the turn ends");
  await turn();
  assert.deepEqual(t.writes.map((w) => w.bytes), [
    combine([bytes("a1"), bytes("b1"), bytes("c1")]),
  ]);
  // The write is with the transport: what comes meanwhile waits for it, across turns.
  writer.write(bytes("a2"), () => done.push("a2"));
  await turn();
  writer.write(bytes("d1"), () => done.push("d1"));
  await turn();
  assert.equal(t.writes.length, 1);
  assert.deepEqual(done, []);
  t.take(0);
  assert.deepEqual(done, ["a1", "b1", "c1"]);
  await turn();
  assert.deepEqual(t.writes.map((w) => w.bytes).slice(1), [
    combine([bytes("a2"), bytes("d1")]),
  ]);
  t.take(1);
  assert.deepEqual(done, ["a1", "b1", "c1", "a2", "d1"]);
  // Idle again: a single frame goes alone, as it is.
  writer.write(bytes("e1"));
  await turn();
  assert.deepEqual(t.writes[2].bytes, bytes("e1"));
});

Deno.test("delivery writer: a combined write stays within its byte bound; the frames that do not fit go in the next write, in order", async () => {
  const t = transport();
  // Each frame is 10 bytes and costs 2 more in `more`: two fit in 22 bytes, three do not.
  const writer = new FrameWriter(t.write, MORE_FIELD.delivery, { maxBytes: 22 });
  const frames = ["0123456789", "abcdefghij", "ABCDEFGHIJ", "klmnopqrst"].map(bytes);
  for (const f of frames) writer.write(f);
  await turn();
  t.take(0);
  await turn();
  assert.deepEqual(t.writes.map((w) => w.bytes), [
    combine(frames.slice(0, 2)),
    combine(frames.slice(2, 4)),
  ]);
  assert.ok(t.writes.every((w) => w.bytes.length <= 22));
});

Deno.test("delivery writer: after close nothing queued or new is written", async () => {
  const t = transport();
  const writer = new FrameWriter(t.write, MORE_FIELD.delivery);
  writer.write(bytes("a"));
  writer.close();
  writer.write(bytes("b"));
  await turn();
  assert.equal(t.writes.length, 0);
});

Deno.test("delivery writer: a `done` that throws does not keep the others of its write from being called; flushNow writes what is queued at once", async () => {
  const t = transport();
  const writer = new FrameWriter(t.write, MORE_FIELD.delivery);
  const called: string[] = [];
  writer.write(bytes("a"), () => {
    throw new Error("the store could not be read");
  });
  writer.write(bytes("b"), () => called.push("b"));
  await turn();
  assert.throws(() => t.take(0), /the store could not be read/);
  assert.deepEqual(called, ["b"]);
  // A stream about to end: what is queued goes now, in order, even behind a write in flight.
  writer.write(bytes("c"));
  await turn();
  writer.write(bytes("d"));
  writer.write(bytes("e"));
  writer.flushNow();
  assert.deepEqual(t.writes.slice(1).map((w) => w.bytes), [
    bytes("c"),
    combine([bytes("d"), bytes("e")]),
  ]);
});
