/**
 * The copy itself, with both stores opened directly: a SQLite file filled through
 * `SqliteStore`, copied by {@link migrate} into a database of a private PostgreSQL cluster,
 * then read through the PostgreSQL backend and compared with what the SQLite backend reads.
 * Ignored when `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { postgresTest } from "../../../tests/postgres.ts";
import { openPostgres } from "../postgres/mod.ts";
import { fileCluster } from "../postgres/testing.ts";
import { SqliteReader } from "../sqlite/reader.ts";
import { SqliteStore } from "../sqlite/store.ts";
import { tempDatabase, testMessage as m } from "../testing.ts";
import {
  type Counts,
  describeCounts,
  migrate,
  MigrateError,
  type MigrateEvent,
  SOURCE_SCHEMA_VERSION,
  TABLES,
} from "./mod.ts";
import type { StoreReader } from "../types.ts";

const cluster = fileCluster();

const GROUPS = ["general", "ops", "dev", "é界"];
const CLIENTS = ["a1", "a2", "b1", "g1", "c1", "nobody"];
const HANDLES = ["alice", "bob", "carol", "dan"];
const hash = (text: string) => new TextEncoder().encode(text.padEnd(32, "."));
const HOUR = 3_600_000;

/**
 * Fills the SQLite file `path` as a server would have: accounts (claimed, by invite, by
 * link), a guest, codes (valid, used, expired), messages in three groups and a room, cursors,
 * rooms with roles and an invite, and a room left by its last member (gone). Returns the
 * file's server id.
 */
function fill(path: string, { messages = 0 } = {}): string {
  const store = new SqliteStore(path);
  try {
    const later = Date.now() + HOUR;
    store.addClient({
      id: "a1",
      name: "Alice",
      keyHash: hash("a1"),
      proof: { kind: "first-use", handle: "alice" },
    });
    store.addClient({
      id: "b1",
      name: "Bob",
      keyHash: hash("b1"),
      proof: { kind: "first-use", handle: "bob" },
    });
    store.addClient({ id: "g1", name: "Guest Q", keyHash: hash("g1"), proof: { kind: "guest" } });
    store.addCode({
      hash: hash("link-a"),
      kind: "link",
      handle: "alice",
      creator: "a1",
      expiresAtMs: later,
    });
    store.addClient({
      id: "a2",
      name: "Alice (phone)",
      keyHash: hash("a2"),
      proof: { kind: "link", codeHash: hash("link-a") },
    });
    const general = [1, 2, 3, 4, 5].map((i) =>
      m(i % 2 ? "a1" : "b1", `g${i}`, { text: `general ${i} 你好 👋`, sentAtMs: 1000 + i })
    );
    const ops = [1, 2, 3].map((i) => m("b1", `o${i}`, { group: "ops", sentAtMs: 2000 + i }));
    const unicode = [m("g1", "u1", { group: "é界" })];
    store.commit([...general.slice(0, 3), ops[0], ...unicode]);
    store.commit([...general.slice(3), ...ops.slice(1)], [
      { clientId: "b1", group: "general", seq: 3 },
      { clientId: "b1", group: "ops", seq: 3 },
      { clientId: "g1", group: "general", seq: 5 },
    ]);
    for (let i = 0; i < messages; i += 1000) {
      store.commit(
        Array.from(
          { length: Math.min(1000, messages - i) },
          (_, k) => m("a1", `bulk${i + k}`, { group: GROUPS[(i + k) % 3], text: "x".repeat(80) }),
        ),
      );
    }
    store.changeRoom({
      op: "create",
      room: {
        name: "dev",
        visibility: "invite",
        history: "since-join",
        createdBy: "alice",
        createdAtMs: 5000,
      },
      owner: { member: "alice", role: "owner", joinedSeq: 0, joinedAtMs: 5000 },
    });
    store.changeRoom({
      op: "join",
      room: "dev",
      member: { member: "bob", role: "member", joinedSeq: 0, joinedAtMs: 5001 },
    });
    store.changeRoom({ op: "role", room: "dev", member: "bob", role: "admin" });
    store.changeRoom({
      op: "join",
      room: "dev",
      member: { member: "~g1", role: "member", joinedSeq: 0, joinedAtMs: 5002 },
    });
    store.changeRoom({ op: "invite", room: "dev", handle: "dan", by: "alice", expiresAtMs: later });
    store.commit([m("a1", "d1", { group: "dev" }), m("b1", "d2", { group: "dev" })], [
      { clientId: "a1", group: "dev", seq: 2 },
    ]);
    // A room whose last member left is gone with its messages: nothing of it is copied.
    store.changeRoom({
      op: "create",
      room: {
        name: "tmp",
        visibility: "open",
        history: "all",
        createdBy: "bob",
        createdAtMs: 6000,
      },
      owner: { member: "bob", role: "owner", joinedSeq: 0, joinedAtMs: 6000 },
    });
    store.commit([m("b1", "t1", { group: "tmp" })]);
    store.changeRoom({ op: "leave", room: "tmp", member: "bob" });
    // Each new code clears the used and expired ones: these come last. Two are left behind
    // by the copy: carol's invite (used below) and a link code that expires at once.
    store.addCode({ hash: hash("inv-carol"), kind: "invite", handle: "carol", expiresAtMs: later });
    store.addCode({ hash: hash("inv-dan"), kind: "invite", handle: "dan", expiresAtMs: later });
    store.addCode({
      hash: hash("room-dev"),
      kind: "room",
      handle: "dev",
      creator: "alice",
      expiresAtMs: later,
    });
    const soon = Date.now() + 1;
    store.addCode({
      hash: hash("expired"),
      kind: "link",
      handle: "bob",
      creator: "b1",
      expiresAtMs: soon,
    });
    store.addClient({
      id: "c1",
      name: "Carol",
      keyHash: hash("c1"),
      proof: { kind: "invite", handle: "carol", codeHash: hash("inv-carol") },
    });
    while (Date.now() <= soon) {
      // Until the link code has expired (a millisecond).
    }
    return store.serverId();
  } finally {
    store.close();
  }
}

/** What the source of {@link fill} holds, per table. */
function filled(messages = 0): Counts {
  return {
    accounts: 3,
    clients: 5,
    codes: 2, // dan's invite and dev's room code; carol's is used, a link code expired
    groups: 4,
    messages: 11 + messages,
    cursors: 4,
    rooms: 1,
    room_members: 3,
    room_invites: 1,
  };
}

/** Everything a server reads of a store, in plain objects (SQLite's rows have no prototype). */
async function readAll(reader: StoreReader) {
  const plain = <T extends object>(rows: T[]) => rows.map((row) => ({ ...row }));
  const lastSeqs = await reader.lastSeqs(GROUPS);
  return {
    serverId: reader.serverId(),
    lastSeqs,
    messages: await Promise.all(
      GROUPS.map(async (g, i) => plain(await reader.readRange(g, 0, lastSeqs[i]))),
    ),
    frames: await Promise.all(
      GROUPS.map(async (g, i) => plain(await reader.readFrameRange(g, 0, lastSeqs[i]))),
    ),
    cursors: await Promise.all(
      CLIENTS.flatMap((c) => GROUPS.map((g) => reader.cursor(c, g))),
    ),
    unread: await Promise.all(CLIENTS.map((c) => reader.countUnread("general", 2, c))),
    clients: await Promise.all(CLIENTS.map((c) => reader.client(c))),
    devices: await Promise.all(HANDLES.map((h) => reader.devicesOf(h))),
    guests: await reader.guestCount(),
    rooms: (await reader.rooms()).map((r) => ({ ...r, members: plain(r.members) })),
    roomCodes: await reader.roomCodes("dev"),
    tmp: await reader.room("tmp"),
  };
}

/** What the SQLite file reads, through the SQLite backend's reader. */
async function readSqlite(path: string) {
  const store = new SqliteStore(path);
  try {
    return await readAll(new SqliteReader(store));
  } finally {
    store.close();
  }
}

/** Runs `work` on a plain connection to `url`. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The rows of every copied table, and the server id, as PostgreSQL holds them. */
async function targetState(url: string): Promise<{ counts: Counts; serverId: string }> {
  return await withClient(url, async (client) => {
    const { rows: [row] } = await client.query(
      `SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(", ")},
        (SELECT value FROM meta WHERE key = 'server_id') AS server_id`,
    );
    const { server_id: serverId, ...counts } = row;
    return { counts, serverId };
  });
}

const empty = (): Counts => Object.fromEntries(TABLES.map((t) => [t, 0])) as Counts;

postgresTest(
  "migrate: every table is copied; the PostgreSQL backend reads what the SQLite one did (server id too) and goes on from there",
  async () => {
    using db = tempDatabase();
    const serverId = fill(db.path);
    const before = await readSqlite(db.path);
    const url = await cluster.database();
    const events: MigrateEvent[] = [];
    // Batches of 2: every table of more than one row goes in several.
    const summary = await migrate({
      from: db.path,
      to: url,
      batchSize: 2,
      onProgress: (e) => events.push(e),
    });
    assert.equal(summary.serverId, serverId);
    assert.notEqual(
      summary.previousServerId,
      serverId,
      "the schema was made with an id of its own",
    );
    assert.deepEqual(summary.counts, filled());
    assert.equal(summary.codesLeftBehind, 2);
    assert.equal(summary.replaced, undefined);
    assert.equal(summary.from, db.path);
    assert.equal(summary.to, url);

    // Events: the start, each batch of each table (in the order copied), the check.
    assert.deepEqual(events[0], {
      kind: "start",
      source: { path: db.path, serverId, counts: filled(), codesLeftBehind: 2 },
      target: url,
      replacing: undefined,
    });
    const copied = events.filter((e) => e.kind === "copied");
    const steps = (table: string) =>
      copied.filter((e) => e.table === table).map((e) => [e.rows, e.total]);
    assert.deepEqual(steps("messages"), [[2, 11], [4, 11], [6, 11], [8, 11], [10, 11], [11, 11]]);
    assert.deepEqual(steps("rooms"), [[1, 1]]);
    assert.deepEqual([...new Set(copied.map((e) => e.table))], [...TABLES]);
    assert.deepEqual(events.at(-1), { kind: "verified" });

    const node = await openPostgres(url);
    try {
      assert.deepEqual(await readAll(node.reader), before);
      assert.deepEqual(await targetState(url), { counts: filled(), serverId });
      // The counters go on from each group's highest sequence.
      const appended = await node.writer.commit([
        m("b1", "next", { group: "general" }),
        m("a1", "next", { group: "ops" }),
        m("a1", "next", { group: "dev" }),
        m("g1", "new group", { group: "fresh" }),
        // A retry of a copied message: answered with the original, stored once.
        m("a1", "g1", { text: "again" }),
      ], [{ clientId: "b1", group: "general", seq: 6 }]);
      assert.deepEqual(
        appended.map((a) => [a.group, a.message.seq, a.duplicate]),
        [["general", 6, false], ["ops", 4, false], ["dev", 3, false], ["fresh", 1, false], [
          "general",
          1,
          true,
        ]],
      );
      assert.equal(await node.reader.cursor("b1", "general"), 6);
      // The codes: dan's invite and the room code work once; carol's (used) and the expired
      // link code were left behind.
      const dan = await node.writer.addClient({
        id: "d1",
        name: "Dan",
        keyHash: hash("d1"),
        proof: { kind: "invite", handle: "dan", codeHash: hash("inv-dan") },
      });
      assert.equal(dan.account, "dan");
      await assert.rejects(
        node.writer.addClient({
          id: "c2",
          name: "Carol",
          keyHash: hash("c2"),
          proof: { kind: "invite", handle: "carol", codeHash: hash("inv-carol") },
        }),
        /the invite code is not valid/,
      );
      await assert.rejects(
        node.writer.addClient({
          id: "b2",
          name: "Bob",
          keyHash: hash("b2"),
          proof: { kind: "link", codeHash: hash("expired") },
        }),
        /the link code is not valid/,
      );
      await node.writer.changeRoom({
        op: "join",
        room: "dev",
        member: { member: "carol", role: "member", joinedSeq: 3, joinedAtMs: 7000 },
        codeHash: hash("room-dev"),
      });
      assert.equal(await node.reader.roomCodes("dev"), 0);
      // The invited account joins; its invite is then gone.
      await node.writer.changeRoom({
        op: "join",
        room: "dev",
        member: { member: "dan", role: "member", joinedSeq: 3, joinedAtMs: 7001 },
      });
      const dev = await node.reader.room("dev");
      assert.deepEqual(
        dev?.members.map((x) => [x.member, x.role]),
        [["alice", "owner"], ["bob", "admin"], ["~g1", "member"], ["carol", "member"], [
          "dan",
          "member",
        ]],
      );
      assert.deepEqual(dev?.invited, []);
    } finally {
      await node.close();
    }
    // The source is as it was: read-only, its lock given back.
    assert.deepEqual(await readSqlite(db.path), before);
  },
);

postgresTest(
  "migrate: a target that holds anything is refused, nothing changed; -force replaces it, and a copy that fails keeps what it had",
  async () => {
    using first = tempDatabase();
    using second = tempDatabase();
    const firstId = fill(first.path);
    const secondId = fill(second.path, { messages: 25 });
    const url = await cluster.database();
    await migrate({ from: first.path, to: url });
    const copied = await targetState(url);
    assert.deepEqual(copied, { counts: filled(), serverId: firstId });

    await assert.rejects(
      migrate({ from: second.path, to: url }),
      new MigrateError(
        `PostgreSQL database ${url} is not empty: it holds 3 accounts, 5 devices, 2 one-time ` +
          "codes, 4 group sequences, 11 messages, 4 cursors, 1 room, 3 room members and 1 room " +
          "invite; migrate copies into an empty database only (nothing was changed): name " +
          "another, or give -force to delete what it holds and replace it with the copy",
      ),
    );
    assert.deepEqual(await targetState(url), copied);

    // Even one account alone is something: refused.
    const lone = await cluster.database();
    const node = await openPostgres(lone);
    await node.writer.addClient({
      id: "x",
      name: "Xavier",
      keyHash: hash("x"),
      proof: { kind: "first-use", handle: "xavier" },
    });
    await node.close();
    await assert.rejects(
      migrate({ from: first.path, to: lone }),
      /is not empty: it holds 1 account and 1 device; migrate copies/,
    );

    // A copy that fails (PostgreSQL refuses a value, in the last batch) takes nothing with it:
    // the rows -force was replacing are all there. SQLite keeps what a column is given.
    using bad = tempDatabase();
    fill(bad.path, { messages: 40 });
    const raw = new DatabaseSync(bad.path);
    raw.exec("UPDATE messages SET sent_at = 'not a time' WHERE grp = 'é界'");
    raw.close();
    await assert.rejects(
      migrate({ from: bad.path, to: url, force: true, batchSize: 10 }),
      (error: Error) =>
        !(error instanceof MigrateError) &&
        error.message === 'invalid input syntax for type bigint: "not a time"',
    );
    assert.deepEqual(await targetState(url), copied);

    const events: MigrateEvent[] = [];
    const summary = await migrate({
      from: second.path,
      to: url,
      force: true,
      onProgress: (e) => events.push(e),
    });
    assert.deepEqual(summary.replaced, filled());
    assert.equal(summary.previousServerId, firstId);
    assert.equal(summary.serverId, secondId);
    assert.deepEqual(events[0].kind === "start" && events[0].replacing, filled());
    assert.deepEqual(await targetState(url), { counts: filled(25), serverId: secondId });
    const after = await openPostgres(url);
    try {
      assert.deepEqual(await readAll(after.reader), await readSqlite(second.path));
    } finally {
      await after.close();
    }
  },
);

postgresTest(
  "migrate: a target that grpc-chat nodes are connected to is refused, -force or not; what crashed nodes left of presence is cleared",
  async () => {
    using db = tempDatabase();
    fill(db.path);
    const url = await cluster.database();
    const node = await openPostgres(url);
    try {
      for (const force of [false, true]) {
        await assert.rejects(
          migrate({ from: db.path, to: url, force }),
          (error: Error) =>
            error instanceof MigrateError &&
            new RegExp(
              `^grpc-chat nodes are connected to PostgreSQL database ${url} \\(\\d+ connections?\\): stop them, then migrate`,
            ).test(error.message),
        );
      }
    } finally {
      await node.close();
    }
    assert.deepEqual((await targetState(url)).counts, empty());
    // Once it is gone, the copy goes ahead. What a crashed node left of who was online is no
    // content: not refused, and cleared.
    const presence = "SELECT (SELECT count(*)::int FROM nodes) AS nodes, " +
      "(SELECT count(*)::int FROM presence) AS presence";
    await withClient(url, (client) =>
      client.query(
        `INSERT INTO nodes VALUES ('crashed', now() - interval '1 hour');
         INSERT INTO presence VALUES ('crashed', 'alice', 2)`,
      ));
    assert.deepEqual(
      await withClient(url, async (client) => (await client.query(presence)).rows[0]),
      { nodes: 1, presence: 1 },
    );
    assert.deepEqual((await migrate({ from: db.path, to: url })).counts, filled());
    assert.deepEqual(
      await withClient(url, async (client) => (await client.query(presence)).rows[0]),
      { nodes: 0, presence: 0 },
    );
  },
);

postgresTest(
  "migrate: a source a server holds is refused, naming its lock file; the target is not touched",
  async () => {
    using db = tempDatabase();
    fill(db.path);
    const url = await cluster.database();
    const server = new SqliteStore(db.path); // holds <path>.lock, as a server does
    try {
      await assert.rejects(
        migrate({ from: db.path, to: url }),
        new MigrateError(
          `the SQLite database ${db.path} is in use: a server holds its lock file ` +
            `${db.path}.lock; stop the server, then migrate`,
        ),
      );
    } finally {
      server.close();
    }
    const tables = await withClient(
      url,
      async (client) =>
        (await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'"))
          .rows[0].n,
    );
    assert.equal(tables, 0, "no schema was made");
    // While the copy runs, it holds the lock: a server cannot start on the file.
    let refused: unknown;
    await migrate({
      from: db.path,
      to: url,
      onProgress: (e) => {
        if (e.kind !== "verified") return;
        try {
          new SqliteStore(db.path).close();
        } catch (error) {
          refused = error;
        }
      },
    });
    assert.match(String(refused), /is in use by another process/);
    new SqliteStore(db.path).close(); // and given back after
  },
);

postgresTest("migrate: what is not a grpc-chat SQLite database is refused, naming it", async () => {
  const url = await cluster.database();
  const dir = await Deno.makeTempDir({ prefix: "chat-migrate-" });
  try {
    const refusal = async (from: string) => {
      try {
        await migrate({ from, to: url });
      } catch (error) {
        assert.ok(error instanceof MigrateError, String(error));
        return error.message;
      }
      throw new Error(`${from} was copied`);
    };
    assert.equal(
      await refusal(`${dir}/missing.db`),
      `there is no SQLite database ${dir}/missing.db (no such file)`,
    );
    assert.equal(
      await refusal(dir),
      `${dir} is not a file: name the SQLite database a server made`,
    );
    await Deno.writeTextFile(
      `${dir}/notes.txt`,
      "not a database at all, but long enough ".repeat(40),
    );
    assert.match(
      await refusal(`${dir}/notes.txt`),
      new RegExp(`^${dir}/notes.txt is not a grpc-chat database: it is not an SQLite file`),
    );
    const withVersion = (name: string, version: number) => {
      const sqlite = new DatabaseSync(`${dir}/${name}`);
      sqlite.exec(`CREATE TABLE t (x); PRAGMA user_version = ${version}`);
      sqlite.close();
      return `${dir}/${name}`;
    };
    assert.equal(
      await refusal(withVersion("other.db", 0)),
      `${dir}/other.db is not a grpc-chat database (an SQLite file without a grpc-chat schema)`,
    );
    assert.equal(
      await refusal(withVersion("old.db", 4)),
      `${dir}/old.db was written by an older grpc-chat (schema 4; migrate reads ` +
        `${SOURCE_SCHEMA_VERSION}): start this version's server on it once (it upgrades the ` +
        "file), stop it, then migrate",
    );
    assert.equal(
      await refusal(withVersion("new.db", 9)),
      `${dir}/new.db was written by a newer grpc-chat (schema 9; migrate reads ` +
        `${SOURCE_SCHEMA_VERSION}): migrate with that version`,
    );
    assert.deepEqual(await targetState(url).catch(() => undefined), undefined, "no schema made");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

postgresTest("migrate: a target that cannot be used is refused, naming it", async () => {
  using db = tempDatabase();
  fill(db.path);
  const pg = await cluster.cluster();
  const refusal = async (to: string) => {
    try {
      await migrate({ from: db.path, to });
    } catch (error) {
      assert.ok(error instanceof MigrateError, String(error));
      return error.message;
    }
    throw new Error(`copied into ${to}`);
  };
  assert.equal(
    await refusal("mysql://chat:secret@127.0.0.1/chat"),
    "mysql://chat:***@127.0.0.1/chat is not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB)",
  );
  const missing = pg.urlFor("no_such_db");
  assert.equal(
    await refusal(missing),
    `PostgreSQL database "no_such_db" does not exist (${missing}): create it (createdb ` +
      "no_such_db) or name another in the URL",
  );
  // A port nothing listens on.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const closed = `postgres://chat@127.0.0.1:${port}/chat`;
  assert.equal(
    await refusal(closed),
    `cannot connect to PostgreSQL at ${closed}: connection refused (is it running, on that ` +
      "host and port?)",
  );
});

postgresTest(
  "migrate: many messages in the default batches; counters and reads as in the source",
  async () => {
    using db = tempDatabase();
    const bulk = 30_000;
    fill(db.path, { messages: bulk });
    const url = await cluster.database();
    const summary = await migrate({ from: db.path, to: url });
    assert.deepEqual(summary.counts, filled(bulk));
    const node = await openPostgres(url);
    try {
      assert.deepEqual(await readAll(node.reader), await readSqlite(db.path));
      assert.deepEqual(
        await node.reader.lastSeqs(["general", "ops", "dev", "é界"]),
        [10_005, 10_003, 10_002, 1],
      );
    } finally {
      await node.close();
    }
    console.log(
      `${summary.counts.messages} messages in ${summary.ms.toFixed(0)} ms: ` +
        `${Math.round(summary.counts.messages / summary.ms * 1000)} messages/s`,
    );
  },
);

Deno.test("migrate: counts are said in words, the empty tables left out", () => {
  assert.equal(describeCounts(empty()), "nothing");
  assert.equal(describeCounts({ ...empty(), messages: 1 }), "1 message");
  assert.equal(
    describeCounts({ ...empty(), messages: 3, clients: 1, rooms: 2 }),
    "1 device, 3 messages and 2 rooms",
  );
});
