import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { encodeBody } from "../../protocol/body.ts";
import type { DeliveryFrame } from "../../protocol/wire.ts";
import { SqliteReader, SqliteStore } from "../../store/sqlite/mod.ts";
import type { NewMessage } from "../../store/types.ts";
import { Fanout } from "./fanout.ts";
import { GroupFeed } from "./feed.ts";
import { AckError, Subscription } from "./subscription.ts";

function newMessage(senderId: string, clientMsgId: string): NewMessage {
  const fields = {
    senderId,
    senderName: senderId,
    text: clientMsgId,
    sentAtMs: 0,
    senderHandle: "",
  };
  return { group: "general", clientMsgId, ...fields, body: encodeBody(fields) };
}

/** A feed whose fan-out wakes subscribers at once, or after the turn as the server's does. */
function setup(recentKept?: number, { deferred = false } = {}) {
  const store = new SqliteStore(Deno.makeTempDirSync({ prefix: "chat-fanout-" }) + "/chat.db");
  const feed = new GroupFeed("general", new SqliteReader(store), 0, recentKept);
  const fanout = deferred
    ? new Fanout((group) => group === feed.name ? feed : undefined)
    : new Fanout((group) => group === feed.name ? feed : undefined, (wake) => wake());
  let n = 0;
  /** Stores and publishes messages from `senderId`, as the committer would. */
  const send = (senderId: string, count = 1) => {
    const batch: NewMessage[] = Array.from(
      { length: count },
      () => newMessage(senderId, `m${++n}`),
    );
    fanout.publish(store.commit(batch));
  };
  return { store, feed, fanout, send };
}

/** Resolves once `done` holds: reads from the store end in later turns. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function subscriber(feed: GroupFeed, clientId: string, cursor = 0, window = 1024) {
  const frames: DeliveryFrame[] = [];
  const acks: number[] = [];
  const sub = new Subscription({
    feed,
    clientId,
    cursor,
    window,
    // A transport that takes each frame at once.
    write: (f, done) => {
      frames.push(f);
      done();
    },
    onAcked: (s) => acks.push(s),
  });
  const seqs = () => frames.flatMap((f) => f.messages.map((m) => m.seq));
  return { sub, frames, acks, seqs };
}

Deno.test("fanout: backlog then live, no gap and no duplicate at the switch", async () => {
  const { store, feed, send } = setup();
  send("a", 5);
  const b = subscriber(feed, "b", 2);
  b.sub.start();
  await until(() => b.seqs().length === 3, "the backlog read");
  assert.deepEqual(b.seqs(), [3, 4, 5]);
  send("a", 2);
  assert.deepEqual(b.seqs(), [3, 4, 5, 6, 7]);
  assert.deepEqual(b.frames.map((f) => f.throughSeq), [5, 7]);
  store.close();
});

Deno.test("fanout: the sender is not sent its own message; others are", () => {
  const { store, feed, send } = setup();
  const a = subscriber(feed, "a");
  const b = subscriber(feed, "b");
  a.sub.start();
  b.sub.start();
  send("a");
  send("b");
  assert.deepEqual(a.seqs(), [2]);
  assert.deepEqual(b.seqs(), [1]);
  // a had nothing outstanding for seq 1, so it was accounted without a frame.
  assert.deepEqual(a.acks, [1]);
  assert.deepEqual(a.frames.map((f) => f.throughSeq), [2]);
  store.close();
});

Deno.test("fanout: a stalled subscriber holds at most its window, then catches up from the store", async () => {
  const { store, feed, send } = setup(100);
  let storeReads = 0;
  const readFrameRange = store.readFrameRange.bind(store);
  store.readFrameRange = (...args) => (storeReads++, readFrameRange(...args));
  const slow = subscriber(feed, "slow", 0, 10);
  slow.sub.start();
  for (let batch = 0; batch < 100; batch++) send("a", 50);
  assert.equal(slow.seqs().length, 10, "only the window is in flight");
  assert.deepEqual(slow.seqs(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(storeReads, 0, "live messages came from memory");
  // Acking reads on: the early messages are no longer in memory, so they come from the store.
  while (slow.sub.sent < feed.lastSeq) {
    const sent = slow.sub.sent;
    slow.sub.ack(sent);
    await until(() => slow.sub.sent > sent, `the frame after ${sent}`);
  }
  assert.deepEqual(slow.seqs(), Array.from({ length: 5000 }, (_, i) => i + 1));
  assert.ok(slow.frames.every((f) => f.messages.length <= 10));
  assert.ok(storeReads > 400, `caught up from the store (${storeReads} reads)`);
  store.close();
});

Deno.test("fanout: frames batch up to the frame limit during catch-up", async () => {
  const { store, feed, send } = setup();
  send("a", 1000);
  const b = subscriber(feed, "b");
  b.sub.start();
  await until(() => b.seqs().length === 1000, "the backlog read");
  assert.deepEqual(b.frames.map((f) => f.messages.length), [256, 256, 256, 232]);
  store.close();
});

Deno.test("fanout: acks are cumulative, move forward only, and cannot pass what was sent", async () => {
  const { store, feed, send } = setup();
  send("a", 3);
  const b = subscriber(feed, "b");
  b.sub.start();
  await until(() => b.seqs().length === 3, "the backlog read");
  b.sub.ack(2);
  b.sub.ack(1);
  b.sub.ack(3);
  assert.deepEqual(b.acks, [2, 3]);
  assert.throws(() => b.sub.ack(4), AckError);
  assert.throws(() => b.sub.ack(-1), AckError);
  store.close();
});

Deno.test("fanout: a stopped subscription is written nothing more", () => {
  const { store, feed, send } = setup();
  const b = subscriber(feed, "b");
  b.sub.start();
  send("a");
  b.sub.stop();
  send("a");
  assert.deepEqual(b.seqs(), [1]);
  assert.equal(feed.subscribers.size, 0);
  store.close();
});

Deno.test("fanout: subscribers at the same place share one frame; a sender gets a copy without its own", () => {
  const { store, feed, fanout, send } = setup();
  const [b, c, a] = [subscriber(feed, "b"), subscriber(feed, "c"), subscriber(feed, "a")];
  for (const s of [b, c, a]) s.sub.start();
  send("a");
  send("b", 0);
  fanout.publish(store.commit([newMessage("a", "x1"), newMessage("z", "x2")]));
  assert.equal(b.frames[1], c.frames[1], "the same object, so it is encoded once");
  assert.deepEqual(b.frames[1].messages.map((m) => m.senderId), ["a", "z"]);
  assert.deepEqual(a.frames.at(-1)!.messages.map((m) => m.senderId), ["z"]);
  store.close();
});

Deno.test("fanout: while a frame is with the transport, new messages wait and then share one frame", () => {
  const { store, feed, send } = setup();
  const frames: DeliveryFrame[] = [];
  let take = () => {};
  const sub = new Subscription({
    feed,
    clientId: "b",
    cursor: 0,
    write: (f, done) => {
      frames.push(f);
      take = done; // The transport is busy until take() is called.
    },
    onAcked: () => {},
  });
  sub.start();
  send("a");
  assert.equal(frames.length, 1, "idle: the first message goes out at once");
  send("a");
  send("a");
  send("a");
  assert.equal(frames.length, 1, "busy: the next three wait");
  take();
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[1].messages.map((m) => m.seq), [2, 3, 4], "and go out together");
  store.close();
});

Deno.test("fanout: subscribers wake after the turn, and commits of one turn share a frame", async () => {
  const { store, feed, send } = setup(undefined, { deferred: true });
  const b = subscriber(feed, "b");
  b.sub.start();
  send("a", 2);
  send("a", 3);
  assert.deepEqual(b.seqs(), [], "nothing is written in the turn of the commit");
  assert.equal(feed.lastSeq, 5, "the feed knows the messages at once");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(b.frames.map((f) => f.messages.map((m) => m.seq)), [[1, 2, 3, 4, 5]]);
  store.close();
});

Deno.test("fanout: a batch of several groups feeds each its own run and wakes each once, after the turn", async () => {
  const store = new SqliteStore(Deno.makeTempDirSync({ prefix: "chat-fanout-" }) + "/chat.db");
  const feeds = new Map(
    ["general", "ops"].map((g) => [g, new GroupFeed(g, new SqliteReader(store), 0)]),
  );
  const fanout = new Fanout((group) => feeds.get(group));
  const woken: string[] = [];
  for (const feed of feeds.values()) feed.subscribers.add({ pump: () => woken.push(feed.name) });
  const inGroup = (group: string, id: string) => ({ ...newMessage("a", id), group });
  // "elsewhere" is not served here: its messages are stored but fed to no one.
  fanout.publish(store.commit([
    inGroup("general", "g1"),
    inGroup("general", "g2"),
    inGroup("ops", "o1"),
    inGroup("elsewhere", "e1"),
  ]));
  fanout.publish(store.commit([inGroup("general", "g3")]));
  assert.deepEqual(woken, [], "nobody is woken in the turn of the commits");
  assert.equal(feeds.get("general")!.lastSeq, 3);
  assert.equal(feeds.get("ops")!.lastSeq, 1);
  assert.deepEqual((await feeds.get("general")!.read(0, 3)).map((m) => m.seq), [1, 2, 3]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(woken.sort(), ["general", "ops"], "each feed once, however many commits");
  store.close();
});

Deno.test("feed: with nobody subscribed it holds no message; who comes later is sent them from the store, then live ones from memory", async () => {
  const { store, feed, send } = setup(4);
  let storeReads = 0;
  const readFrameRange = store.readFrameRange.bind(store);
  store.readFrameRange = (...args) => {
    storeReads++;
    return readFrameRange(...args);
  };
  send("a", 3);
  assert.equal(feed.lastSeq, 3);
  const b = subscriber(feed, "b");
  b.sub.start();
  await until(() => b.seqs().length === 3, "the backlog read");
  assert.deepEqual(b.seqs(), [1, 2, 3]);
  assert.equal(storeReads, 1, "the backlog came from the store");
  send("a", 2);
  assert.deepEqual(b.seqs(), [1, 2, 3, 4, 5]);
  assert.equal(storeReads, 1, "live messages come from memory");
  store.close();
});

/** A feed fed by a fan-out that reads gaps from `reader`, as when nodes share a database. */
function clustered(
  reader: (stored: SqliteReader) => Pick<SqliteReader, "readFrameRange">,
) {
  const store = new SqliteStore(Deno.makeTempDirSync({ prefix: "chat-fanout-" }) + "/chat.db");
  const stored = new SqliteReader(store);
  const feed = new GroupFeed("general", stored, 0);
  const fanout = new Fanout(
    (g) => g === feed.name ? feed : undefined,
    (wake) => wake(),
    { lastSeqs: (groups) => stored.lastSeqs(groups), ...reader(stored) },
  );
  return { store, feed, fanout };
}

Deno.test("fanout: a commit that does not follow on waits for the messages before it, read from the store", async () => {
  const reads: string[] = [];
  const { store, feed, fanout } = clustered((stored) => ({
    readFrameRange: (group, after, through) => {
      reads.push(`${after}..${through}`);
      return stored.readFrameRange(group, after, through);
    },
  }));
  const b = subscriber(feed, "b");
  b.sub.start();
  // Another node commits 1..3 (only stored here); this node commits 4..5 and publishes them.
  store.commit([newMessage("x", "x1"), newMessage("x", "x2"), newMessage("x", "x3")]);
  fanout.publish(store.commit([newMessage("a", "a1"), newMessage("a", "a2")]));
  assert.deepEqual(b.seqs(), [], "4 and 5 wait for 1..3");
  assert.ok(fanout.isBehind("general"));
  // What is heard of meanwhile joins the wait; what is already held is not taken twice.
  fanout.heard("general", 3);
  store.commit([newMessage("x", "x4")]);
  fanout.heard("general", 6);
  await until(() => !fanout.isBehind("general"), "the gap closed");
  assert.deepEqual(b.seqs(), [1, 2, 3, 4, 5, 6], "each once, in order");
  assert.deepEqual(reads, ["0..3", "5..6"], "only what was missing was read");
  fanout.heard("general", 6);
  fanout.publish([]);
  assert.deepEqual(b.seqs(), [1, 2, 3, 4, 5, 6]);
  store.close();
});

Deno.test("fanout: a gap that cannot be read now is read again later; nothing is skipped meanwhile", async () => {
  let failing = 2;
  const errors: unknown[] = [];
  const { store, feed, fanout } = clustered((stored) => ({
    readFrameRange: (group, after, through) =>
      failing-- > 0
        ? Promise.reject(new Error("the database is away"))
        : stored.readFrameRange(group, after, through),
  }));
  fanout.onError = (error) => errors.push(error);
  const b = subscriber(feed, "b");
  b.sub.start();
  store.commit([newMessage("x", "x1")]);
  fanout.heard("general", 1);
  fanout.publish(store.commit([newMessage("a", "a1")]));
  await until(() => b.seqs().length === 2, "both delivered");
  assert.deepEqual(b.seqs(), [1, 2]);
  assert.equal(errors.length, 2, "each failed read was told");
  store.close();
});

Deno.test("fanout: latest() says where a group ends in the store and reads what the feed misses; a long gap is read in pieces, and not at all when nobody reads", async () => {
  const reads: string[] = [];
  const { store, feed, fanout } = clustered((stored) => ({
    readFrameRange: (group, after, through) => {
      reads.push(`${after}..${through}`);
      return stored.readFrameRange(group, after, through);
    },
  }));
  // Another node's 3,000 messages, while nobody reads here: the feed only moves on.
  store.commit(Array.from({ length: 3_000 }, (_, i) => newMessage("x", `x${i}`)));
  assert.deepEqual(await fanout.latest([feed]), [3_000]);
  await until(() => !fanout.isBehind("general"), "caught up");
  assert.equal(feed.lastSeq, 3_000);
  assert.deepEqual(reads, [], "nothing read for no one");
  // With a reader, the next 2,500 are read in pieces of at most 1,024.
  const b = subscriber(feed, "b", 3_000, 10_000);
  b.sub.start();
  store.commit(Array.from({ length: 2_500 }, (_, i) => newMessage("x", `y${i}`)));
  fanout.heard("general", 5_500);
  await until(() => !fanout.isBehind("general") && b.seqs().length === 2_500, "caught up");
  assert.deepEqual(reads, ["3000..4024", "4024..5048", "5048..5500"]);
  assert.deepEqual(b.seqs(), Array.from({ length: 2_500 }, (_, i) => 3_001 + i));
  store.close();
});
