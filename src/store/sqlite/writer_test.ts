import assert from "node:assert/strict";
import { WriterFailedError } from "../types.ts";
import { tempDatabase, testMessage, withDeadline } from "../testing.ts";
import { openSqlite, SqliteStore, WorkerWriter } from "./mod.ts";

const DYING_WORKER = new URL("./testdata/dying_worker.ts", import.meta.url);

Deno.test("WorkerWriter: a thread that dies fails the writer, its calls in flight and later", async () => {
  using db = tempDatabase();
  const store = await openSqlite(db.path, { workerUrl: DYING_WORKER });
  try {
    // Settled into a value at once: the rejection must not count as unhandled meanwhile.
    const inFlight = store.writer.commit([testMessage("a", "1")], []).then(
      () => assert.fail("a commit on a dead thread succeeded"),
      (error: unknown) => error,
    );
    const failure = await withDeadline(store.writer.failed, 10_000, "the writer's failure");
    assert.ok(failure instanceof WriterFailedError);
    assert.match(
      failure.message,
      /^the database writer stopped: Uncaught Error: the disk caught fire during a commit$/,
    );
    assert.equal(await inFlight, failure);
    await assert.rejects(
      store.writer.addClient({
        id: "c1",
        name: "Luis",
        keyHash: new Uint8Array([1]),
        proof: { kind: "guest" },
      }),
      (error) => error === failure,
    );
    await assert.rejects(
      store.writer.commit([testMessage("a", "2")], []),
      (error) => error === failure,
    );
    assert.equal(await store.writer.failed, failure, "it resolves once, with one error");
    assert.equal(await store.reader.lastSeq("general"), 0);
  } finally {
    await store.close();
  }
  // Closed, it let go of the file.
  new SqliteStore(db.path).close();
});

Deno.test("openSqlite: a writer that cannot start closes the reader and lets go of the file", async () => {
  using db = tempDatabase();
  const missing = new URL("./testdata/no_such_worker.ts", import.meta.url);
  await assert.rejects(
    openSqlite(db.path, { workerUrl: missing }),
    // What the thread says depends on how Deno runs: a missing module, or its failed type check.
    (error) =>
      error instanceof WriterFailedError &&
      error.message.startsWith("the database writer stopped: "),
  );
  new SqliteStore(db.path).close();
});

Deno.test("WorkerWriter: close lets the calls in flight finish first", async () => {
  using db = tempDatabase();
  const writer = await WorkerWriter.start(db.path);
  const commits = Array.from(
    { length: 20 },
    (_, i) => writer.commit([testMessage("a", `${i}`)], []),
  );
  const added = writer.addClient({
    id: "c1",
    name: "Luis",
    keyHash: new Uint8Array([1]),
    proof: { kind: "guest" },
  });
  await writer.close();
  const seqs = (await Promise.all(commits)).map(([a]) => a.message.seq);
  assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i + 1));
  await added;
  const store = new SqliteStore(db.path);
  try {
    assert.equal(store.lastSeq("general"), 20);
    assert.equal(store.client("c1")?.name, "Luis");
  } finally {
    store.close();
  }
});

Deno.test("openSqlite: an unknown writer kind is refused, naming it", async () => {
  using db = tempDatabase();
  await assert.rejects(
    openSqlite(db.path, { writer: "threads" as "worker" }),
    new TypeError('writer must be "worker" or "inline", not "threads"'),
  );
});
