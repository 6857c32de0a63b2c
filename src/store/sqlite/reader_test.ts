import assert from "node:assert/strict";
import { tempDatabase, testMessage } from "../testing.ts";
import { SqliteReader } from "./reader.ts";
import { SqliteStore } from "./store.ts";

Deno.test("SqliteReader: answers what its store does; what the store throws comes as a rejection", async () => {
  using db = tempDatabase();
  const store = new SqliteStore(db.path);
  const reader = new SqliteReader(store);
  try {
    store.commit([testMessage("a", "1"), testMessage("a", "2", { group: "ops" })]);
    assert.equal(reader.serverId(), store.serverId());
    assert.deepEqual(await reader.lastSeqs(["ops", "general"]), [1, 1]);
  } finally {
    store.close();
  }
  // Callers await one promise per read: a throw would escape their error handling.
  const late = reader.lastSeq("general");
  assert.ok(late instanceof Promise);
  await assert.rejects(late);
});
