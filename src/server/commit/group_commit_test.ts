import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { encodeBody } from "../../protocol/body.ts";
import { CommitterClosedError, GroupCommitter } from "./group_commit.ts";
import { CURSOR_FLUSH_MS } from "../../shared/limits.ts";
import { InlineWriter, SqliteReader, SqliteStore } from "../../store/sqlite/mod.ts";
import type { Appended, NewMessage, StoreWriter } from "../../store/types.ts";

function setup() {
  const store = new SqliteStore(Deno.makeTempDirSync({ prefix: "chat-commit-" }) + "/chat.db");
  const published: Appended[][] = [];
  const committer = new GroupCommitter(
    new SqliteReader(store),
    new InlineWriter(store),
    (batch) => published.push(batch),
  );
  return { store, committer, published };
}

function msg(senderId: string, clientMsgId: string): NewMessage {
  const fields = {
    senderId,
    senderName: senderId,
    text: clientMsgId,
    sentAtMs: 1,
    senderHandle: "",
  };
  return { group: "general", clientMsgId, ...fields, body: encodeBody(fields) };
}

Deno.test("commit: sends that arrive together share one commit, in arrival order", async () => {
  const { store, committer, published } = setup();
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => committer.append(msg(`c${i % 3}`, `m${i}`))),
  );
  assert.deepEqual(results.map((r) => r.message.seq), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.equal(committer.stats.commits, 1);
  assert.equal(committer.stats.largestBatch, 50);
  assert.equal(published.length, 1);
  assert.equal(published[0].length, 50);
  store.close();
});

Deno.test("commit: a retry in a later batch resolves to the original and is not published", async () => {
  const { store, committer, published } = setup();
  const first = await committer.append(msg("a", "x"));
  const again = await committer.append(msg("a", "x"));
  assert.equal(again.duplicate, true);
  assert.equal(again.message.seq, first.message.seq);
  assert.equal(published.length, 1);
  assert.equal(store.lastSeq("general"), 1);
  store.close();
});

Deno.test("commit: cursors are written without a message, and with the next commit", async () => {
  const { store, committer } = setup();
  for (let i = 1; i <= 4; i++) await committer.append(msg("b", `early ${i}`));
  committer.saveCursor({ clientId: "a", group: "general", seq: 3 });
  committer.saveCursor({ clientId: "a", group: "general", seq: 2 });
  assert.equal(store.cursor("a", "general"), 0, "not written synchronously");
  await committer.append(msg("b", "1"));
  assert.equal(store.cursor("a", "general"), 3);
  committer.saveCursor({ clientId: "a", group: "general", seq: 4 });
  const deadline = Date.now() + 2000;
  while (store.cursor("a", "general") !== 4 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(store.cursor("a", "general"), 4, "written by the timer");
  store.close();
});

Deno.test("commit: a failed commit rejects its sends and the next one works", async () => {
  const { store, committer } = setup();
  const bad = committer.append({ ...msg("a", "1"), text: null as unknown as string });
  const good = committer.append(msg("a", "2"));
  await assert.rejects(bad);
  await assert.rejects(good, "the whole batch fails together");
  const later = await committer.append(msg("a", "2"));
  assert.equal(later.message.seq, 1);
  store.close();
});

Deno.test("commit: close writes what is waiting and refuses more", async () => {
  const { store, committer } = setup();
  const pending = committer.append(msg("a", "1"));
  committer.saveCursor({ clientId: "z", group: "general", seq: 1 });
  committer.close();
  assert.equal((await pending).message.seq, 1);
  assert.equal(store.cursor("z", "general"), 1);
  await assert.rejects(committer.append(msg("a", "2")), CommitterClosedError);
  store.close();
});

Deno.test("commit: acks whose flush time comes during a commit are written right after it", async () => {
  const store = new SqliteStore(Deno.makeTempDirSync({ prefix: "chat-commit-" }) + "/chat.db");
  const inline = new InlineWriter(store);
  // The first commit waits until released, as a slow disk would.
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const commits: number[] = [];
  const writer: StoreWriter = {
    commit: async (messages, cursors) => {
      commits.push(cursors.length);
      if (commits.length === 1) await released;
      return inline.commit(messages, cursors);
    },
    addClient: (client) => inline.addClient(client),
    addCode: (code) => inline.addCode(code),
    releaseHandle: (handle) => inline.releaseHandle(handle),
    revokeDevice: (id) => inline.revokeDevice(id),
    changeRoom: (change) => inline.changeRoom(change),
    failed: inline.failed,
    close: () => inline.close(),
  };
  const committer = new GroupCommitter(new SqliteReader(store), writer, () => {});
  const sent = committer.append(msg("a", "m1"));
  await new Promise((r) => setImmediate(r)); // the first commit starts
  committer.saveCursor({ clientId: "b", group: "general", seq: 1 });
  // The cursor's flush time passes while the first commit is still in flight.
  await new Promise((r) => setTimeout(r, CURSOR_FLUSH_MS * 2));
  assert.deepEqual(commits, [0], "nothing else was started meanwhile");
  release();
  await sent;
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(commits, [0, 1], "the ack went in the next commit at once");
  await committer.close();
  assert.equal(store.cursor("b", "general"), 1);
  store.close();
});

Deno.test("commit: a change between commits comes after the messages appended before it, and those appended meanwhile are checked again after it", async () => {
  const { store, committer } = setup();
  let open = true;
  const check = () => open ? undefined : new Error("the room closed");
  const before = committer.append(msg("a", "before"), check);
  let during: Promise<Appended> | undefined;
  const change = committer.between(async () => {
    // Everything appended before the change is stored when it runs.
    assert.equal(store.lastSeq("general"), 1);
    during = committer.append(msg("a", "during"), check);
    const alsoDuring = committer.append(msg("b", "unchecked"));
    // Nothing is committed while the change runs, however long it takes.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(store.lastSeq("general"), 1);
    open = false;
    return { alsoDuring }; // Not awaited here: it is committed after the change.
  });
  assert.equal((await before).message.seq, 1);
  const { alsoDuring: unchecked } = await change;
  await assert.rejects(during!, /the room closed/);
  assert.equal((await unchecked).message.seq, 2, "a message without a check is stored after it");
  assert.equal(store.lastSeq("general"), 2);
  store.close();
});

Deno.test("commit: a failed commit tells its senders before the next commit's checks are asked", async () => {
  const store = new SqliteStore(Deno.makeTempDirSync({ prefix: "chat-commit-" }) + "/chat.db");
  const inline = new InlineWriter(store);
  // Commits that end when the test says: the next message is appended while one is in flight.
  let release = () => {};
  const writer = Object.assign(Object.create(inline), {
    commit: (messages: readonly NewMessage[], cursors: []) => {
      const result = inline.commit(messages, cursors);
      result.catch(() => {}); // settled when released, below
      return new Promise<Appended[]>((resolve, reject) => {
        release = () => result.then(resolve, reject);
      });
    },
  }) as StoreWriter;
  const committer = new GroupCommitter(new SqliteReader(store), writer, () => {});
  // A stream's state, as a Publish stream keeps it: once one of its messages failed, the rest
  // must not be stored ahead of its resend.
  let failed = false;
  const bad = committer.append(
    { ...msg("a", "1"), text: null as unknown as string },
    undefined,
    () => failed = true,
  );
  const badSettled = bad.catch((error) => error);
  await new Promise((resolve) => setImmediate(resolve)); // the failing commit is in flight
  const later = committer.append(
    msg("a", "2"),
    () => failed ? new Error("an earlier message of this stream failed") : undefined,
  );
  const laterSettled = later.catch((error) => error);
  release();
  assert.match(String(await badSettled), /NOT NULL constraint failed/);
  assert.match(String(await laterSettled), /an earlier message of this stream failed/);
  assert.equal(store.lastSeq("general"), 0, "nothing stored ahead of the failed one");
  store.close();
});
