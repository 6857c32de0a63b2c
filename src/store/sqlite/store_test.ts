// What only the SQLite backend does; what every backend does is in ../contract.ts.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { encodeBody } from "../../protocol/body.ts";
import { StoreOpenError } from "../types.ts";
import { tempDatabase, testMessage as msg } from "../testing.ts";
import { SqliteStore } from "./store.ts";

/** The schema of version 2 as it was released: its retry key left out the group. */
const VERSION_2_SCHEMA = `
CREATE TABLE clients (id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE messages (grp TEXT NOT NULL, seq INTEGER NOT NULL, sender_id TEXT NOT NULL,
  sender_name TEXT NOT NULL, client_msg_id TEXT NOT NULL, text TEXT NOT NULL,
  body BLOB NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (grp, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_by_client_msg_id ON messages (sender_id, client_msg_id);
CREATE TABLE cursors (client_id TEXT NOT NULL, grp TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (client_id, grp)) WITHOUT ROWID;
`;

/** The file's schema version, its indexes on messages, and its meta rows, read raw. */
function schemaOf(path: string) {
  const db = new DatabaseSync(path);
  try {
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
    const indexes = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL ORDER BY name",
    ).all().map((row) => row.name);
    const meta = Object.fromEntries(
      db.prepare("SELECT key, value FROM meta").all().map((row) => [row.key, row.value]),
    );
    return { version, indexes, meta };
  } finally {
    db.close();
  }
}

Deno.test("sqlite: a second locking connection to the file is refused while the first is open", () => {
  using db = tempDatabase();
  const store = new SqliteStore(db.path);
  assert.throws(
    () => new SqliteStore(db.path),
    new StoreOpenError(
      `database ${db.path} is in use by another process (is another server running on it?)`,
    ),
  );
  // The writer's connection goes without the lock.
  new SqliteStore(db.path, { lock: false }).close();
  store.close();
  new SqliteStore(db.path).close();
});

Deno.test("sqlite: a file that is not a database is refused with a clear error", () => {
  using db = tempDatabase();
  Deno.writeTextFileSync(db.path, "this is not sqlite ".repeat(100));
  assert.throws(
    () => new SqliteStore(db.path),
    (e) =>
      e instanceof StoreOpenError &&
      e.message.startsWith(`database ${db.path} is not a grpc-chat database or is corrupt (`),
  );
});

Deno.test("sqlite: a file from a newer grpc-chat is refused and left as it was", () => {
  using db = tempDatabase();
  const newer = new DatabaseSync(db.path);
  newer.exec("PRAGMA user_version = 6");
  newer.close();
  assert.throws(
    () => new SqliteStore(db.path),
    new StoreOpenError(
      `cannot use database ${db.path}: it was written by a newer grpc-chat (schema 6, this one knows 5)`,
    ),
  );
  const raw = new DatabaseSync(db.path);
  try {
    assert.equal(
      (raw.prepare("PRAGMA user_version").get() as { user_version: number })
        .user_version,
      6,
    );
    assert.deepEqual(raw.prepare("SELECT name FROM sqlite_master").all(), []);
  } finally {
    raw.close();
  }
});

Deno.test("sqlite: a synchronous mode other than FULL or OFF is refused, naming it", () => {
  using db = tempDatabase();
  assert.throws(
    () => new SqliteStore(db.path, { synchronous: "NORMAL; DROP TABLE x" as "OFF" }),
    new TypeError('synchronous must be "FULL" or "OFF", not "NORMAL; DROP TABLE x"'),
  );
});

Deno.test("sqlite: the server id is made once and every connection reads the same", () => {
  using db = tempDatabase();
  const reader = new SqliteStore(db.path);
  const writer = new SqliteStore(db.path, { lock: false });
  const id = reader.serverId();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(writer.serverId(), id);
  writer.close();
  reader.close();
  assert.deepEqual(schemaOf(db.path).meta, { server_id: id });
});

Deno.test("sqlite: a version 2 file is upgraded: messages kept, the retry key takes the group", () => {
  using db = tempDatabase();
  const v2 = new DatabaseSync(db.path);
  v2.exec(VERSION_2_SCHEMA);
  const insert = v2.prepare("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const old = [msg("a", "m1", { text: "first" }), msg("b", "m1", { text: "second" })];
  old.forEach((m, i) =>
    insert.run(m.group, i + 1, m.senderId, m.senderName, m.clientMsgId, m.text, m.body, m.sentAtMs)
  );
  v2.exec("PRAGMA user_version = 2");
  v2.close();

  const store = new SqliteStore(db.path);
  try {
    assert.deepEqual(
      store.readRange("general", 0, 10).map((m) => [m.seq, m.senderId, m.text, [...m.body]]),
      old.map((m, i) => [i + 1, m.senderId, m.text, [...m.body]]),
    );
    const results = store.commit([
      msg("a", "m1", { group: "other", text: "reused id, other group" }),
      msg("a", "m1", { text: "a retry" }),
      msg("a", "m2"),
    ]);
    assert.deepEqual(results.map((r) => [r.group, r.message.seq, r.duplicate]), [
      ["other", 1, false],
      ["general", 1, true],
      ["general", 3, false],
    ]);
    assert.match(store.serverId(), /^[0-9a-f]{32}$/);
  } finally {
    store.close();
  }
  const schema = schemaOf(db.path);
  assert.equal(schema.version, 5);
  assert.deepEqual(schema.indexes, ["messages_by_retry_key"]);
  assert.deepEqual(Object.keys(schema.meta), ["server_id"]);
});

Deno.test("sqlite: a version 3 file is upgraded: each handle goes to the first device that registered with it", () => {
  using db = tempDatabase();
  const v3 = new DatabaseSync(db.path);
  v3.exec(VERSION_2_SCHEMA);
  v3.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
  const insert = v3.prepare("INSERT INTO clients VALUES (?, ?, ?, ?)");
  // Registered in this order: Alice first, then an impostor named alice, then two others.
  insert.run("d-alice", "Alice", new Uint8Array([1]), 100);
  insert.run("d-impostor", "alice", new Uint8Array([2]), 200);
  insert.run("d-mary", "Mary Ann", new Uint8Array([3]), 300);
  insert.run("d-bob", "bob", new Uint8Array([4]), 50);
  v3.exec("PRAGMA user_version = 3");
  v3.close();
  const store = new SqliteStore(db.path);
  try {
    const accounts = ["d-alice", "d-impostor", "d-mary", "d-bob"].map((id) =>
      store.client(id)!.account
    );
    assert.deepEqual(accounts, ["alice", null, null, "bob"]);
    assert.equal(store.guestCount(), 2);
  } finally {
    store.close();
  }
  assert.equal(schemaOf(db.path).version, 5);
});

Deno.test("sqlite: a version 1 file (no message bodies) is upgraded through 2 to 3", () => {
  using db = tempDatabase();
  const v1 = new DatabaseSync(db.path);
  v1.exec(`
    CREATE TABLE messages (grp TEXT NOT NULL, seq INTEGER NOT NULL, sender_id TEXT NOT NULL,
      sender_name TEXT NOT NULL, client_msg_id TEXT NOT NULL, text TEXT NOT NULL,
      sent_at INTEGER NOT NULL, PRIMARY KEY (grp, seq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX messages_by_client_msg_id ON messages (sender_id, client_msg_id);
    INSERT INTO messages VALUES ('general', 1, 'a1', 'Ann', 'm1', 'old message', 42);
    PRAGMA user_version = 1;`);
  v1.close();
  const store = new SqliteStore(db.path);
  try {
    const [row] = store.readRange("general", 0, 1);
    assert.deepEqual(
      row.body,
      encodeBody({
        senderId: "a1",
        senderName: "Ann",
        text: "old message",
        sentAtMs: 42,
        senderHandle: "",
      }),
    );
    const results = store.commit([msg("b", "m2"), msg("a1", "m1", { group: "other" })]);
    assert.deepEqual(results.map((r) => [r.group, r.message.seq, r.duplicate]), [
      ["general", 2, false],
      ["other", 1, false],
    ]);
  } finally {
    store.close();
  }
  const schema = schemaOf(db.path);
  assert.equal(schema.version, 5);
  assert.deepEqual(schema.indexes, ["messages_by_retry_key"]);
});

Deno.test("sqlite: readRange rows carry exactly chat.proto's field names", () => {
  using db = tempDatabase();
  const store = new SqliteStore(db.path);
  try {
    store.commit([msg("a", "m1")]);
    const [row] = store.readRange("general", 0, 1);
    assert.deepEqual(Object.keys(row).sort(), [
      "body",
      "senderId",
      "senderName",
      "sentAtMs",
      "seq",
      "text",
    ]);
    assert.equal(row.senderName, "A");
  } finally {
    store.close();
  }
});

Deno.test("sqlite: readFrameRange splits SQLite's concatenation into each message's exact bytes", () => {
  using db = tempDatabase();
  const store = new SqliteStore(db.path);
  try {
    const senders = ["ab".repeat(16), "cd".repeat(16)];
    // Texts whose encodings hold NUL bytes, commas, multi-byte characters, and lengths over 127.
    const texts = ["a\u0000b", "x,y", "é界🎉", "z".repeat(300), ",", "\t"];
    const batch = texts.flatMap((text, i) => [
      msg(senders[i % 2], `m${i}`, { text }),
      msg(senders[1], `o${i}`, { text: `other ${i}`, group: "ops" }),
    ]);
    const stored = store.commit(batch).filter((r) => r.group === "general");
    const frame = store.readFrameRange("general", 1, 6);
    assert.deepEqual(
      frame.map((m) => ({ seq: m.seq, senderId: m.senderId, body: [...m.body] })),
      stored.slice(1).map((r) => ({
        seq: r.message.seq,
        senderId: r.message.senderId,
        body: [...r.message.body],
      })),
    );
    assert.deepEqual(store.readFrameRange("general", 6, 9), []);
    assert.deepEqual(store.readFrameRange("ops", 0, 2).map((m) => m.seq), [1, 2]);
  } finally {
    store.close();
  }
});
