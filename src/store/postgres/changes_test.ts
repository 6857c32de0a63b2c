/**
 * What one node hears of another's commits on a shared database: two backends opened on one
 * database (two nodes), against a private PostgreSQL cluster; and the listener when the
 * server restarts under it. Ignored when `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import { postgresTest } from "../../../tests/postgres.ts";
import { testMessage as m } from "../testing.ts";
import type { StoreChange } from "../types.ts";
import type { PostgresChanges } from "./mod.ts";
import { eventually, fileCluster, Heard, openNodes, waitFor } from "./testing.ts";

const pg = fileCluster();

const messages = (heard: Heard) => heard.of("messages").map((c) => [c.group, c.through]);

/** A change without the messages it may carry, to compare what it says of the store. */
function bare(change: StoreChange): StoreChange {
  if (change.kind !== "messages") return change;
  const { kind, group, through } = change;
  return { kind, group, through };
}

postgresTest("postgres changes: the first thing a subscriber hears is resync", async () => {
  await using nodes = await openNodes(pg);
  using heard = new Heard(nodes[0].changes!);
  await heard.until((c) => c.length > 0, "a first event");
  assert.deepEqual(heard.changes, [{ kind: "resync" }]);
});

postgresTest(
  "postgres changes: a commit on one node is heard by the other as messages, with its group and last seq, in commit order; not by the node itself",
  async () => {
    await using nodes = await openNodes(pg);
    const [a, b] = nodes;
    using heardA = new Heard(a.changes!);
    using heardB = new Heard(b.changes!);
    await a.writer.commit([m("x", "1"), m("x", "2"), m("x", "3", { group: "other" })], []);
    await a.writer.commit([m("x", "4")], [{ clientId: "x", group: "general", seq: 3 }]);
    // Retries only: nothing stored, nothing to hear.
    await a.writer.commit([m("x", "4")], []);
    // A cursor alone changes nothing another node keeps.
    await a.writer.commit([], [{ clientId: "y", group: "general", seq: 1 }]);
    await b.writer.commit([m("y", "1", { group: "other" })], []);
    await heardB.until((c) => c.length >= 4, "a's three commits");
    await heardA.until((c) => c.length >= 2, "b's commit");
    // Small commits bring their messages along: sequence, sender and the very body stored.
    const carried = heardB.of("messages").map((c) =>
      c.messages?.map((x) => [x.seq, x.senderId, Array.from(x.body)])
    );
    const body = (id: string, group?: string) => Array.from(m("x", id, { group }).body);
    assert.deepEqual(carried, [
      [[1, "x", body("1")], [2, "x", body("2")]],
      [[1, "x", body("3", "other")]],
      [[3, "x", body("4")]],
    ]);
    assert.deepEqual(heardB.changes.map(bare), [
      { kind: "resync" },
      { kind: "messages", group: "general", through: 2 },
      { kind: "messages", group: "other", through: 1 },
      { kind: "messages", group: "general", through: 3 },
    ]);
    // b's commit came after a's: had a heard its own, they would be before it.
    assert.deepEqual(heardA.changes.map(bare), [
      { kind: "resync" },
      { kind: "messages", group: "other", through: 2 },
    ]);
    // A commit too large to travel along comes as its group and last sequence only.
    const big = Array.from({ length: 4 }, (_, i) => m("x", `big${i}`, { text: "x".repeat(2_000) }));
    await a.writer.commit(big, []);
    await heardB.until((c) => c.length >= 5, "the large commit");
    assert.deepEqual(heardB.changes.at(-1), { kind: "messages", group: "general", through: 7 });
  },
);

postgresTest(
  "postgres changes: commits from two nodes to one group are heard by a third in commit order",
  async () => {
    await using nodes = await openNodes(pg, 3);
    const [a, b, c] = nodes;
    using heardA = new Heard(a.changes!);
    const rounds = 30;
    // b and c commit to both groups at once, round after round: the two nodes' commits to a
    // group take turns on its counter row, and a hears each group's last seq rise by one.
    for (let i = 0; i < rounds; i++) {
      const [b1, c1] = await Promise.all([
        b.writer.commit([m("b", `${i}`)], []),
        c.writer.commit([m("c", `${i}`, { group: "side" })], []),
      ]);
      await Promise.all([
        b.writer.commit([m("b", `side ${i}`, { group: "side" })], []),
        c.writer.commit([m("c", `general ${i}`)], []),
      ]);
      assert.equal(b1[0].duplicate || c1[0].duplicate, false);
    }
    await heardA.until(
      (ch) => ch.filter((x) => x.kind === "messages").length >= 4 * rounds,
      "b's and c's commits",
    );
    const general = heardA.of("messages").filter((x) => x.group === "general").map((x) =>
      x.through
    );
    const side = heardA.of("messages").filter((x) => x.group === "side").map((x) => x.through);
    assert.deepEqual(general, Array.from({ length: 2 * rounds }, (_, i) => i + 1));
    assert.deepEqual(side, Array.from({ length: 2 * rounds }, (_, i) => i + 1));
  },
);

postgresTest(
  "postgres changes: room, client and account changes are heard, with every room a release or a revoke touched",
  async () => {
    await using nodes = await openNodes(pg);
    const [a, b] = nodes;
    using heard = new Heard(b.changes!);
    const device = (id: string, handle?: string) => ({
      id,
      name: id,
      keyHash: new Uint8Array([1]),
      proof: handle ? { kind: "first-use" as const, handle } : { kind: "guest" as const },
    });
    await a.writer.addClient(device("a1", "alice"));
    await a.writer.addClient(device("a2", "bob"));
    await a.writer.addClient(device("g1"));
    const owner = (member: string, at = 1000) => ({
      member,
      role: "owner" as const,
      joinedSeq: 0,
      joinedAtMs: at,
    });
    const settings = (name: string) => ({
      name,
      visibility: "open" as const,
      history: "all" as const,
      createdBy: "alice",
      createdAtMs: 1000,
    });
    await a.writer.changeRoom({ op: "create", room: settings("one"), owner: owner("alice") });
    await a.writer.changeRoom({ op: "create", room: settings("two"), owner: owner("bob") });
    await a.writer.changeRoom({
      op: "invite",
      room: "two",
      handle: "alice",
      by: "bob",
      expiresAtMs: Date.now() + 60_000,
    });
    await a.writer.changeRoom({ op: "create", room: settings("hall"), owner: owner("~g1") });
    await heard.until((c) => c.length >= 8, "three clients and four room changes");
    assert.deepEqual(heard.changes.slice(1), [
      { kind: "client", id: "a1" },
      { kind: "client", id: "a2" },
      { kind: "client", id: "g1" },
      { kind: "room", name: "one" },
      { kind: "room", name: "two" },
      { kind: "room", name: "two" },
      { kind: "room", name: "hall" },
    ]);
    heard.changes.length = 0;
    // alice: in "one" (deleted with her), invited to "two"; a1 becomes a guest.
    assert.equal(await a.writer.releaseHandle("alice"), 1);
    await heard.until((c) => c.some((x) => x.kind === "account"), "the release");
    assert.deepEqual(
      heard.changes.map((c) => JSON.stringify(c)).sort(),
      [
        { kind: "account", handle: "alice" },
        { kind: "client", id: "a1" },
        { kind: "room", name: "one" },
        { kind: "room", name: "two" },
      ].map((c) => JSON.stringify(c)).sort(),
    );
    assert.deepEqual(heard.changes.at(-1), { kind: "account", handle: "alice" });
    heard.changes.length = 0;
    // A guest's revoke takes it out of its rooms ("hall", deleted: no account left in it).
    assert.equal(await a.writer.revokeDevice("g1"), true);
    await heard.until((c) => c.some((x) => x.kind === "client"), "the revoke");
    assert.deepEqual(heard.changes, [{ kind: "room", name: "hall" }, { kind: "client", id: "g1" }]);
    assert.equal(await b.reader.room("hall"), undefined);
    assert.equal(await b.reader.client("g1"), undefined);
    // Nothing that failed is heard: a refused room change stores and announces nothing.
    heard.changes.length = 0;
    await assert.rejects(a.writer.changeRoom({ op: "leave", room: "nowhere", member: "bob" }));
    await a.writer.changeRoom({ op: "role", room: "two", member: "bob", role: "owner" });
    await heard.until((c) => c.length >= 1, "the role change");
    assert.deepEqual(heard.changes, [{ kind: "room", name: "two" }]);
  },
);

postgresTest(
  "postgres changes: after PostgreSQL restarts, the listener says offline, then resync, and hears later commits",
  async () => {
    await using nodes = await openNodes(pg);
    const [a, b] = nodes;
    using heard = new Heard(b.changes!);
    await heard.until((c) => c.length >= 1, "the first resync");
    await (await pg.cluster()).restart();
    await heard.until(
      (c) => c.filter((x) => x.kind === "resync").length >= 2,
      "offline then resync after the restart",
    );
    const kinds = heard.changes.map((c) => c.kind);
    assert.deepEqual(kinds, ["resync", "offline", "resync"], "offline once per loss");
    // Heard again: a's commit (its pool reconnects by itself).
    await eventually(() => a.writer.commit([m("a", "after")], []), "a commit after the restart");
    await heard.until((c) => c.some((x) => x.kind === "messages"), "a commit after the restart");
    assert.deepEqual(heard.of("messages").map(bare), [
      { kind: "messages", group: "general", through: 1 },
    ]);
  },
  { controlsServer: true },
);

postgresTest(
  "postgres changes: while PostgreSQL is down the listener stays offline and tries again, then resyncs once it is back",
  async () => {
    await using nodes = await openNodes(pg);
    const [a, b] = nodes;
    using heard = new Heard(b.changes!);
    await heard.until((c) => c.length >= 1, "the first resync");
    const cluster = await pg.cluster();
    await cluster.stop();
    await heard.until((c) => c.some((x) => x.kind === "offline"), "offline");
    // Attempts to listen again fail meanwhile (100 ms doubling): no second offline, no resync.
    const listener = b.changes as PostgresChanges;
    await waitFor(() => listener.failedAttempts >= 3, "three failed attempts");
    const offline = heard.changes.length;
    assert.deepEqual(heard.changes.map((c) => c.kind), ["resync", "offline"]);
    await assert.rejects(a.writer.commit([m("a", "while down")], []));
    await cluster.start();
    await heard.until((c) => c.at(-1)?.kind === "resync", "resync once back");
    assert.equal(heard.changes.length, offline + 1);
    const change = heard.changes[offline - 1] as Extract<StoreChange, { kind: "offline" }>;
    assert.equal(change.kind, "offline");
    assert.ok(change.reason.length > 0);
    await eventually(() => a.writer.commit([m("a", "back")], []), "a commit once back");
    await heard.until((c) => c.some((x) => x.kind === "messages"), "the commit once back");
    assert.deepEqual(messages(heard), [["general", 1]]);
  },
  { controlsServer: true },
);

postgresTest("postgres changes: unsubscribing stops the calls; close stops them all", async () => {
  await using nodes = await openNodes(pg, 3);
  const [a, b, c] = nodes;
  const calls: StoreChange[] = [];
  const stop = b.changes!.subscribe((change) => calls.push(change));
  const afterClose: StoreChange[] = [];
  c.changes!.subscribe((change) => afterClose.push(change));
  using heardB = new Heard(b.changes!);
  await heardB.until((ch) => ch.length >= 1, "resync");
  stop();
  await c.close();
  const closedWith = afterClose.length;
  await a.writer.commit([m("a", "1")], []);
  await heardB.until((ch) => ch.length >= 2, "the commit");
  assert.deepEqual(calls, [{ kind: "resync" }]);
  assert.equal(afterClose.length, closedWith, "nothing after close");
});
