import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { encodeBody } from "../../protocol/body.ts";
import { type NewMessage, Store, StoreOpenError } from "./store.ts";

function tempDb(): string {
  return Deno.makeTempDirSync({ prefix: "chat-store-" }) + "/chat.db";
}

function msg(
  senderId: string,
  clientMsgId: string,
  text = clientMsgId,
  group = "general",
): NewMessage {
  const fields = { senderId, senderName: senderId.toUpperCase(), text, sentAtMs: 1000 };
  return { group, clientMsgId, ...fields, body: encodeBody(fields) };
}

Deno.test("store: sequences are per group, gap-free and increasing", () => {
  const store = new Store(tempDb());
  const results = store.commit([
    msg("a", "1"),
    msg("b", "1"),
    msg("a", "2", "x", "other"),
    msg("a", "3"),
  ]);
  assert.deepEqual(results.map((r) => [r.group, r.message.seq]), [
    ["general", 1],
    ["general", 2],
    ["other", 1],
    ["general", 3],
  ]);
  assert.equal(store.lastSeq("general"), 3);
  assert.equal(store.lastSeq("other"), 1);
  assert.equal(store.lastSeq("empty"), 0);
  store.close();
});

Deno.test("store: a retried client message id returns the original and stores nothing", () => {
  const store = new Store(tempDb());
  const [first] = store.commit([msg("a", "m1", "hello")]);
  const [again, other] = store.commit([msg("a", "m1", "changed text"), msg("b", "m1", "bob's")]);
  assert.equal(again.duplicate, true);
  assert.deepEqual(again.message, first.message);
  assert.equal(other.duplicate, false, "the same id from another client is another message");
  assert.equal(other.message.seq, 2);
  assert.deepEqual(store.readRange("general", 0, 10).map((m) => m.text), ["hello", "bob's"]);
  // A duplicate inside one batch is caught too.
  const [x, y] = store.commit([msg("c", "dup"), msg("c", "dup")]);
  assert.equal(x.duplicate, false);
  assert.equal(y.duplicate, true);
  assert.equal(y.message.seq, x.message.seq);
  assert.equal(store.lastSeq("general"), 3);
  store.close();
});

Deno.test("store: readRange returns messages in order with wire field names", () => {
  const store = new Store(tempDb());
  store.commit(Array.from({ length: 10 }, (_, i) => msg("a", `m${i}`)));
  const page = store.readRange("general", 3, 6);
  assert.deepEqual(page.map((m) => m.seq), [4, 5, 6]);
  assert.deepEqual(Object.keys(page[0]).sort(), [
    "body",
    "senderId",
    "senderName",
    "sentAtMs",
    "seq",
    "text",
  ]);
  assert.equal(page[0].senderName, "A");
  assert.deepEqual(store.readRange("general", 10, 20), []);
  store.close();
});

Deno.test("store: readFrameRange gives each message's exact bytes, in order, per group", () => {
  const store = new Store(tempDb());
  const senders = ["ab".repeat(16), "cd".repeat(16)];
  // Texts whose encodings hold NUL bytes, commas, multi-byte characters, and lengths over 127.
  const texts = ["a\u0000b", "x,y", "é界🎉", "z".repeat(300), ",", "\t"];
  const batch = texts.flatMap((text, i) => [
    msg(senders[i % 2], `m${i}`, text),
    msg(senders[1], `o${i}`, `other ${i}`, "ops"),
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
  store.close();
});

Deno.test("store: cursors only move forward", () => {
  const store = new Store(tempDb());
  assert.equal(store.cursor("a", "general"), 0);
  store.commit([], [{ clientId: "a", group: "general", seq: 5 }]);
  store.commit([], [{ clientId: "a", group: "general", seq: 3 }]);
  assert.equal(store.cursor("a", "general"), 5);
  assert.equal(store.cursor("b", "general"), 0);
  store.close();
});

Deno.test("store: unread counts leave out the client's own messages", () => {
  const store = new Store(tempDb());
  store.commit([msg("a", "1"), msg("b", "1"), msg("b", "2"), msg("a", "2")]);
  assert.equal(store.countUnread("general", 0, "a"), 2);
  assert.equal(store.countUnread("general", 2, "a"), 1);
  assert.equal(store.countUnread("general", 0, "b"), 2);
  store.close();
});

Deno.test("store: a failed commit stores nothing and leaves sequences as they were", () => {
  const store = new Store(tempDb());
  store.commit([msg("a", "1")]);
  assert.throws(() =>
    store.commit([msg("a", "2"), { ...msg("a", "3"), text: null as unknown as string }])
  );
  assert.equal(store.lastSeq("general"), 1);
  assert.deepEqual(store.readRange("general", 0, 10).map((m) => m.seq), [1]);
  const [next] = store.commit([msg("a", "2")]);
  assert.equal(next.message.seq, 2);
  store.close();
});

Deno.test("store: everything is there after close and reopen", () => {
  const path = tempDb();
  const store = new Store(path);
  store.addClient({ id: "c1", name: "Luis", keyHash: new Uint8Array([1, 2, 3]) });
  store.commit([msg("c1", "1"), msg("c1", "2")], [{ clientId: "c1", group: "general", seq: 1 }]);
  store.close();
  const reopened = new Store(path);
  assert.deepEqual(reopened.client("c1"), {
    id: "c1",
    name: "Luis",
    keyHash: new Uint8Array([1, 2, 3]),
  });
  assert.equal(reopened.client("nope"), undefined);
  assert.equal(reopened.lastSeq("general"), 2);
  assert.equal(reopened.cursor("c1", "general"), 1);
  const [third] = reopened.commit([msg("c1", "3")]);
  assert.equal(third.message.seq, 3);
  reopened.close();
});

Deno.test("store: a second store on the same file is refused while the first is open", () => {
  const path = tempDb();
  const store = new Store(path);
  assert.throws(
    () => new Store(path),
    (e) => e instanceof StoreOpenError && /in use/.test(e.message),
  );
  store.close();
  new Store(path).close();
});

Deno.test("store: a file that is not a database is refused with a clear error", () => {
  const path = tempDb();
  Deno.writeTextFileSync(path, "this is not sqlite ".repeat(100));
  assert.throws(
    () => new Store(path),
    (e) => e instanceof StoreOpenError && /not a grpc-chat database or is corrupt/.test(e.message),
  );
});

Deno.test("store: a version 1 file (no message bodies) is upgraded when opened", () => {
  const path = tempDb();
  const v1 = new DatabaseSync(path);
  v1.exec(`
    CREATE TABLE messages (grp TEXT NOT NULL, seq INTEGER NOT NULL, sender_id TEXT NOT NULL,
      sender_name TEXT NOT NULL, client_msg_id TEXT NOT NULL, text TEXT NOT NULL,
      sent_at INTEGER NOT NULL, PRIMARY KEY (grp, seq)) WITHOUT ROWID;
    INSERT INTO messages VALUES ('general', 1, 'a1', 'Ann', 'm1', 'old message', 42);
    PRAGMA user_version = 1;`);
  v1.close();
  const store = new Store(path);
  const [row] = store.readRange("general", 0, 1);
  assert.deepEqual(
    row.body,
    encodeBody({ senderId: "a1", senderName: "Ann", text: "old message", sentAtMs: 42 }),
  );
  const [next] = store.commit([msg("b", "m2")]);
  assert.equal(next.message.seq, 2);
  store.close();
});
