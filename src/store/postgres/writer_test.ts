/**
 * The writer where several nodes share a database, which the contract (one backend at a time)
 * cannot see: concurrent commits to one group from two nodes, the same retry key from both at
 * once, rollbacks in between; and commits while PostgreSQL is down and after it is back.
 * Against a private PostgreSQL cluster; ignored when `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import { postgresTest } from "../../../tests/postgres.ts";
import { testMessage as m } from "../testing.ts";
import { type Appended, StoreConflictError } from "../types.ts";
import { eventually, fileCluster, Heard, openNodes } from "./testing.ts";

const pg = fileCluster();

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

postgresTest(
  "postgres writer: commits from two nodes to the same groups, with rollbacks between, give each group exactly 1..N",
  async () => {
    await using nodes = await openNodes(pg, 2);
    const rounds = 40;
    const acknowledged = new Map<string, number[]>([["general", []], ["other", []]]);
    let stored = 0;
    for (let round = 0; round < rounds; round++) {
      // Each node commits a batch (a few messages to both groups) at once, and every 5th
      // round a third batch that PostgreSQL refuses (a null text) after taking its sequences.
      const batches = nodes.map((node, n) => {
        const batch = Array.from(
          { length: 1 + ((round + n) % 4) },
          (_, i) => m(`s${n}`, `${round}.${i}`, { group: i % 2 ? "other" : "general" }),
        );
        stored += batch.length;
        return node.writer.commit(batch, []);
      });
      const refused = round % 5 === 0
        ? nodes[round % 2].writer.commit([
          m("r", `${round}`),
          { ...m("r", `${round}.x`, { group: "other" }), text: null as unknown as string },
        ], [])
        : undefined;
      for (const results of await Promise.all(batches)) {
        for (const a of results) {
          assert.equal(a.duplicate, false);
          acknowledged.get(a.group)!.push(a.message.seq);
        }
      }
      if (refused) await assert.rejects(refused);
    }
    const [reader] = [nodes[1].reader];
    let total = 0;
    for (const [group, seqs] of acknowledged) {
      const rows = await reader.readRange(group, 0, 1_000_000);
      assert.deepEqual(rows.map((r) => r.seq), range(rows.length), `${group}: gap-free`);
      assert.deepEqual(seqs.sort((a, b) => a - b), range(rows.length), `${group}: as acknowledged`);
      assert.equal(await reader.lastSeq(group), rows.length);
      total += rows.length;
    }
    assert.equal(total, stored);
  },
);

postgresTest(
  "postgres writer: the same retry key committed on two nodes at once is stored once, and both get its seq",
  async () => {
    await using nodes = await openNodes(pg, 2);
    const [a, b] = nodes;
    for (let round = 0; round < 25; round++) {
      // A failover: the client's send reached both nodes. Other messages ride in both batches.
      const same = m("c", `retry ${round}`);
      const [fromA, fromB] = await Promise.all([
        a.writer.commit([m("a", `${round}`), same], []),
        b.writer.commit([same, m("b", `${round}`)], []),
      ]);
      const onA = fromA[1], onB = fromB[0];
      assert.equal(onA.message.seq, onB.message.seq, `round ${round}: one seq`);
      assert.deepEqual(
        [onA.duplicate, onB.duplicate].sort(),
        [false, true],
        `round ${round}: one stored it, the other found it`,
      );
      assert.equal(fromA[0].duplicate || fromB[1].duplicate, false);
    }
    const rows = await a.reader.readRange("general", 0, 1000);
    assert.deepEqual(rows.map((r) => r.seq), range(75));
    assert.equal(rows.filter((r) => r.text.startsWith("retry ")).length, 25);
  },
);

postgresTest(
  "postgres writer: retries within a batch and of stored messages, mixed with new ones",
  async () => {
    await using nodes = await openNodes(pg, 1);
    const [{ writer, reader }] = nodes;
    await writer.commit([m("a", "1", { text: "first" }), m("a", "2")], []);
    const results = await writer.commit([
      m("a", "3"),
      m("a", "1", { text: "again" }),
      m("a", "3"),
      m("a", "4", { group: "other" }),
      m("a", "1"),
    ], [{ clientId: "a", group: "general", seq: 3 }]);
    const brief = (r: Appended[]) => r.map((x) => [x.group, x.message.seq, x.duplicate]);
    assert.deepEqual(brief(results), [
      ["general", 3, false],
      ["general", 1, true],
      ["general", 3, true],
      ["other", 1, false],
      ["general", 1, true],
    ]);
    assert.equal(results[1].message.text, "first");
    assert.equal(await reader.cursor("a", "general"), 3, "the cursor rode with the retried commit");
    assert.deepEqual((await reader.readRange("general", 0, 10)).map((x) => x.seq), [1, 2, 3]);
  },
);

postgresTest(
  "postgres writer: commits fail while PostgreSQL is stopped, without ending the process, and succeed once it is back",
  async () => {
    await using nodes = await openNodes(pg, 2);
    const [a, b] = nodes;
    using heard = new Heard(b.changes!);
    await a.writer.commit([m("a", "before")], []);
    // Connections in every pool: a's reader and writer, b's listener.
    await a.reader.lastSeq("general");
    const cluster = await pg.cluster();
    await cluster.stop();
    await assert.rejects(a.writer.commit([m("a", "down 1")], []));
    await assert.rejects(a.writer.addClient({
      id: "c1",
      name: "Luis",
      keyHash: new Uint8Array([1]),
      proof: { kind: "guest" },
    }));
    await assert.rejects(a.reader.lastSeq("general"));
    await cluster.start();
    const [after] = await eventually(
      () => a.writer.commit([m("a", "after")], []),
      "a commit after the restart",
    );
    assert.deepEqual([after.message.seq, after.duplicate], [2, false], "nothing refused was kept");
    assert.equal(await a.reader.lastSeq("general"), 2);
    // b listens again (after its backoff), and hears what is committed from then on.
    await heard.until((c) => c.filter((x) => x.kind === "resync").length === 2, "b's resync");
    await a.writer.commit([m("a", "later")], []);
    await heard.until(
      (c) => c.some((x) => x.kind === "messages" && x.through === 3),
      "the later commit",
    );
    assert.deepEqual(heard.changes.slice(0, 4).map((c) => c.kind), [
      "resync",
      "messages",
      "offline",
      "resync",
    ]);
    // "after" was heard only if b listened again before it was committed.
    const last = heard.changes.at(-1);
    assert.deepEqual(
      last?.kind === "messages" && [last.group, last.through],
      ["general", 3],
    );
  },
  { controlsServer: true },
);

postgresTest(
  "postgres writer: a commit's cursor for a room deleted on another node meanwhile is not kept",
  async () => {
    await using nodes = await openNodes(pg, 2);
    const [a, b] = nodes;
    const owner = { member: "alice", role: "owner" as const, joinedSeq: 0, joinedAtMs: 1 };
    const room = {
      name: "tmp",
      visibility: "open" as const,
      history: "all" as const,
      createdBy: "alice",
      createdAtMs: 1,
    };
    for (let round = 0; round < 10; round++) {
      await a.writer.changeRoom({ op: "create", room, owner });
      await a.writer.commit([m("x", `${round}`, { group: "tmp" })], []);
      await Promise.all([
        b.writer.commit([], [{ clientId: "x", group: "tmp", seq: 1 }]),
        a.writer.changeRoom({ op: "leave", room: "tmp", member: "alice" }),
      ]);
      assert.equal(await a.reader.room("tmp"), undefined);
      assert.equal(await a.reader.cursor("x", "tmp"), 0, `round ${round}: no cursor left`);
      assert.equal(await a.reader.lastSeq("tmp"), 0);
    }
  },
);

postgresTest(
  "postgres writer: devices added to one account on two nodes at once stop at the limit",
  async () => {
    await using nodes = await openNodes(pg, 2);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        nodes[i % 2].writer.addClient({
          id: `t${i}`,
          name: "Bo",
          keyHash: new Uint8Array([i]),
          proof: { kind: "token", handle: "bo" },
        })),
    );
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 10);
    assert.equal(await nodes[0].reader.devicesOf("bo"), 10);
  },
);

postgresTest(
  "postgres writer: room changes two nodes made on what each held are checked again under the room's lock: never a room with members and no owner, never a member twice",
  async () => {
    await using nodes = await openNodes(pg, 2);
    const [a, b] = nodes.map((n) => n.writer);
    const member = (name: string, role: "owner" | "admin" | "member") => ({
      member: name,
      role,
      joinedSeq: 0,
      joinedAtMs: 1,
    });
    const room = {
      name: "duel",
      visibility: "open",
      history: "all",
      createdBy: "alice",
      createdAtMs: 1,
    } as const;
    await a.changeRoom({ op: "create", room, owner: member("alice", "owner") });
    await b.changeRoom({ op: "join", room: "duel", member: member("bob", "member") });
    await a.changeRoom({ op: "role", room: "duel", member: "bob", role: "owner" });
    // Each owner demotes the other at once, as two nodes would that both saw two owners.
    const duel = await Promise.allSettled([
      a.changeRoom({ op: "role", room: "duel", member: "bob", role: "member" }),
      b.changeRoom({ op: "role", room: "duel", member: "alice", role: "member" }),
    ]);
    assert.deepEqual(duel.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const refused = duel.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(refused.reason instanceof StoreConflictError, String(refused.reason));
    assert.match(refused.reason.message, /duel would be left without an owner/);
    const [stored] = (await nodes[0].reader.rooms()).filter((r) => r.name === "duel");
    assert.deepEqual(stored.members.map((x) => x.role).filter((r) => r === "owner"), ["owner"]);
    // The same member joined through both nodes at once: one join, one conflict.
    const joins = await Promise.allSettled([
      a.changeRoom({ op: "join", room: "duel", member: member("chad", "member") }),
      b.changeRoom({ op: "join", room: "duel", member: member("chad", "member") }),
    ]);
    assert.deepEqual(joins.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const conflict = (joins.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
    assert.ok(conflict instanceof StoreConflictError, String(conflict));
    // A change to a member another node removed, or to a room another node deleted.
    await a.changeRoom({ op: "leave", room: "duel", member: "chad" });
    await assert.rejects(
      b.changeRoom({ op: "role", room: "duel", member: "chad", role: "admin" }),
      StoreConflictError,
    );
    await assert.rejects(
      b.changeRoom({ op: "leave", room: "gone", member: "chad" }),
      (e: Error) => e instanceof StoreConflictError && /the room gone is gone/.test(e.message),
    );
  },
);
