/**
 * `deno task admin migrate` as a team would run it: a database made by the real SQLite server
 * (accounts, a guest, messages in the operator's groups and in rooms, roles, invites, cursors),
 * the server stopped, the admin program run as a process, then a real server on the PostgreSQL
 * URL: every device resumes as itself, with its unread messages and no others, and the chat
 * goes on from where it was. Also the refusals: a non-empty target, a source a server holds, bad
 * command lines. On a private PostgreSQL cluster (tests/postgres.ts); ignored when
 * `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Buffer } from "node:buffer";
import { fileCluster } from "../src/store/postgres/testing.ts";
import { rawClient, register, roomCall, send } from "./grpc.ts";
import {
  type ChatProcess,
  connectClient,
  receivedMessages,
  runToEnd,
  startClient,
  startServer,
} from "./harness.ts";
import { postgresTest } from "./postgres.ts";

const cluster = fileCluster();

/** Runs `deno task admin ARGS` (or the compiled admin program) to its end. */
function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runToEnd("admin", args);
}

/** The rows of each table of the SQLite file, read after its server stopped. */
function sqliteCounts(path: string): Record<string, number> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      accounts: count("SELECT count(*) AS n FROM accounts"),
      clients: count("SELECT count(*) AS n FROM clients"),
      codes: count(
        `SELECT count(*) AS n FROM codes WHERE used_at IS NULL AND expires_at > ${Date.now()}`,
      ),
      groups: count("SELECT count(DISTINCT grp) AS n FROM messages"),
      messages: count("SELECT count(*) AS n FROM messages"),
      cursors: count("SELECT count(*) AS n FROM cursors"),
      rooms: count("SELECT count(*) AS n FROM rooms"),
      room_members: count("SELECT count(*) AS n FROM room_members"),
      room_invites: count("SELECT count(*) AS n FROM room_invites"),
    };
  } finally {
    db.close();
  }
}

/** The counts of the summary `migrate` printed: `  table   N ...` lines. */
function summaryCounts(stdout: string): Record<string, number> {
  return Object.fromEntries(
    [...stdout.matchAll(/^ {2}(\w+) +(\d+)/gm)].map(([, table, n]) => [table, Number(n)]),
  );
}

/** The stored identity a client process keeps for `name` on server `serverId`. */
function identityOf(stateDir: string, serverId: string, name: string) {
  const { clientId, key } = JSON.parse(
    Deno.readTextFileSync(`${stateDir}/servers/${serverId}/${name}.json`),
  );
  return { clientId: clientId as string, key: key as string };
}

/** A reply as plain data: longs as numbers, bytes as hex, for deepEqual across servers. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_, v) => {
    if (typeof v === "bigint") return Number(v);
    if (v && typeof v === "object" && v.type === "Buffer") {
      return Buffer.from(v.data).toString("hex");
    }
    return v;
  }));
}

postgresTest(
  "migrate: a SQLite server's database copied by deno task admin migrate serves on PostgreSQL: devices resume as themselves with exactly their unread, sequences go on, history, rooms, roles, invites and codes as before",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-migrate-" });
    const db = `${dir}/chat.db`;
    const groupFlags = ["-group", "ops=alice,bob"];
    let server = await startServer({ db, extra: groupFlags });
    const port = server.port;
    const raw = rawClient(port);
    const bobDir = `${dir}/bob`;
    let bob: ChatProcess | undefined;
    try {
      // Alice and Chad by raw calls, Bob as a client process, a guest (a name that is no handle).
      const alice = await register(raw, "Alice");
      const chad = await register(raw, "Chad");
      const guest = await register(raw, "Zed Q");
      assert.equal(guest.handle, "");
      const serverId = alice.serverId;
      const bobProc = await connectClient({ name: "Bob", port, stateDir: bobDir });
      bob = bobProc.proc;
      const bobId = identityOf(bobDir, serverId, "Bob");
      // An operator's invite for frank, unused.
      const invite = await admin(
        "invite",
        "-handle",
        "frank",
        "-port",
        String(port),
        "-secret_file",
        `${db}.admin-secret`,
      );
      assert.equal(invite.code, 0, invite.stderr);
      const frankCode = invite.stdout.trim();
      // Rooms: dev (invite-only: Bob admin, Chad invited, a code outstanding), lobby (open,
      // the guest in it).
      await roomCall(raw, alice, "CreateRoom", { name: "dev", visibility: 1 });
      await roomCall(raw, alice, "InviteToRoom", { room: "dev", handle: "bob" });
      await roomCall(raw, bobId, "JoinRoom", { room: "dev" });
      await roomCall(raw, alice, "SetRole", { room: "dev", handle: "bob", role: 2 });
      await roomCall(raw, alice, "InviteToRoom", { room: "dev", handle: "chad" });
      const { code: roomCode } = await roomCall<{ code: string }>(raw, alice, "InviteToRoom", {
        room: "dev",
      });
      await roomCall(raw, alice, "CreateRoom", { name: "lobby" });
      await roomCall(raw, guest, "JoinRoom", { room: "lobby" });
      // Messages Bob reads, then leaves; then one in each of his groups while he is away.
      await send(raw, alice, "g1");
      await send(raw, chad, "g2");
      await send(raw, alice, "o1", undefined, "ops");
      await send(raw, alice, "d1", undefined, "dev");
      await send(raw, guest, "l1", undefined, "lobby");
      for (const line of ["[general] .*: g2", "[ops] .*: o1", "[dev] .*: d1"]) {
        await bob.waitForLine(new RegExp(`^\\${line}$`));
      }
      await bob.closeInput();
      assert.equal((await bob.status).code, 0, bob.transcript());
      await send(raw, alice, "u1");
      await send(raw, alice, "u2", undefined, "ops");
      await send(raw, alice, "u3", undefined, "dev");

      // What the SQLite server answers, to compare with what the PostgreSQL one does.
      const state = async () => ({
        bob: plain(await register(raw, "Bob", bobId.clientId, bobId.key)),
        guest: plain(await register(raw, "Zed Q", guest.clientId, guest.key)),
        rooms: plain(await roomCall(raw, bobId, "ListRooms")),
        guestRooms: plain(await roomCall(raw, guest, "ListRooms")),
        members: plain(await roomCall(raw, alice, "ListMembers", { room: "dev" })),
        lobby: plain(await roomCall(raw, guest, "ListMembers", { room: "lobby" })),
        history: plain(
          await Promise.all(
            ["general", "ops", "dev"].map((room) => roomCall(raw, alice, "History", { room })),
          ),
        ),
        lobbyHistory: plain(await roomCall(raw, guest, "History", { room: "lobby" })),
      });
      const before = await state();
      assert.deepEqual(
        (before.bob as { groups: { name: string; unread: number }[] }).groups
          .map((g) => [g.name, g.unread]),
        [["general", 1], ["ops", 1], ["dev", 1]],
        "Bob has one unread message in each of his groups",
      );
      assert.equal((await server.proc.stop()).code, 0, server.proc.transcript());

      // The copy.
      const url = await cluster.database();
      const copy = await admin("migrate", "-from", db, "-to", url);
      assert.equal(copy.code, 0, copy.stderr);
      assert.match(
        copy.stdout,
        new RegExp(`^migrated ${db} to ${url} in \\d+\\.\\d s; server id ${serverId} kept\n`),
      );
      const counts = sqliteCounts(db);
      assert.deepEqual(summaryCounts(copy.stdout), counts);
      assert.deepEqual(
        [counts.messages, counts.groups, counts.rooms, counts.codes, counts.clients],
        [8, 4, 2, 2, 4],
      );
      assert.match(copy.stderr, new RegExp(`^admin: migrate ${db} \\(server id ${serverId}: `));
      assert.match(copy.stderr, /^admin: messages: 8 of 8 \(100%\)$/m);
      assert.match(copy.stderr, /^admin: checked: every table's rows/m);

      // A node on the PostgreSQL database, at the same address, with the same flags and secret.
      server = await startServer({
        db: url,
        port,
        extra: [...groupFlags, "-admin_secret", `${db}.admin-secret`],
      });
      assert.deepEqual(await state(), before, "the same answers, from PostgreSQL");

      // Bob's client resumes from its state dir: the same device, its three unread messages.
      bob = startClient({ name: "Bob", port, stateDir: bobDir, label: "bob (again)" });
      const connected = await bob.waitForLine(/^\* connected/, { stream: "stderr" });
      assert.equal(
        connected,
        `* connected to 127.0.0.1:${port} as ${bobProc.id} (resumed); 1 unread message in ` +
          "general; 1 unread message in ops; 1 unread message in dev (admin)",
      );
      // Each group goes on from its last sequence. Groups are delivered side by side, each in
      // order: once Bob has the new message of each, he has all he will get of it.
      const next = await Promise.all([
        send(raw, alice, "after the move"),
        send(raw, alice, "next", undefined, "ops"),
        send(raw, alice, "next", undefined, "dev"),
      ]);
      assert.deepEqual(next.map((reply) => Number(reply.seq)), [4, 3, 3]);
      for (const line of ["general\\] .*: after the move", "ops\\] .*: next", "dev\\] .*: next"]) {
        await bob.waitForLine(new RegExp(`^\\[${line}$`));
      }
      assert.deepEqual(
        receivedMessages(bob).map((m) => `${m.group} ${m.text}`).sort(),
        ["dev next", "dev u3", "general after the move", "general u1", "ops next", "ops u2"],
        "his unread messages and the new ones, once each",
      );
      assert.equal(Number((await send(raw, guest, "next", undefined, "lobby")).seq), 2);
      const history = await roomCall<{ messages: { seq: number; text: string }[] }>(
        raw,
        alice,
        "History",
        { room: "general" },
      );
      assert.deepEqual(
        history.messages.map((m) => [Number(m.seq), m.text]),
        [[1, "g1"], [2, "g2"], [3, "u1"], [4, "after the move"]],
      );

      // Invites and codes made on SQLite hold on PostgreSQL: Chad's invite, the room code (for
      // a new account, Erin), the operator's invite for frank.
      const chadJoined = await roomCall<{ room: { role: number } }>(raw, chad, "JoinRoom", {
        room: "dev",
      });
      assert.equal(chadJoined.room.role, 1);
      const erin = await register(raw, "Erin");
      await roomCall(raw, erin, "JoinRoom", { room: "dev", code: roomCode });
      const frank = await register(raw, "Frank", "", "", { invite: frankCode });
      assert.equal(frank.handle, "frank");
      const members = await roomCall<{ members: { handle: string; role: number }[] }>(
        raw,
        alice,
        "ListMembers",
        { room: "dev" },
      );
      assert.deepEqual(
        members.members.map((m) => [m.handle, m.role]),
        [["alice", 3], ["bob", 2], ["chad", 1], ["erin", 1]],
      );
      assert.equal(frank.serverId, serverId);
    } finally {
      raw.close();
      await bob?.stop();
      await server.proc.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** A SQLite database with one account, one device and one message, its server stopped. */
async function smallDatabase(dir: string, name = "chat.db"): Promise<string> {
  const db = `${dir}/${name}`;
  const server = await startServer({ db });
  const raw = rawClient(server.port);
  try {
    const alice = await register(raw, "Alice");
    await send(raw, alice, "one");
  } finally {
    raw.close();
    await server.proc.stop();
  }
  return db;
}

postgresTest(
  "migrate: a target that holds anything is refused (exit 1, naming it, nothing changed); -force replaces it",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-migrate-" });
    try {
      const first = await smallDatabase(dir, "first.db");
      const second = await smallDatabase(dir, "second.db");
      const url = await cluster.database();
      assert.equal((await admin("migrate", "-from", first, "-to", url)).code, 0);
      const pg = await cluster.cluster();
      const snapshot = () =>
        pg.psql(
          "SELECT (SELECT value FROM meta WHERE key = 'server_id'), " +
            "(SELECT string_agg(grp || '#' || seq || ' ' || text, ',') FROM messages), " +
            "(SELECT string_agg(id, ',') FROM clients)",
          { url },
        );
      const copied = await snapshot();

      const refused = await admin("migrate", "-from", second, "-to", url);
      assert.deepEqual(refused, {
        code: 1,
        stdout: "",
        stderr: `admin: migrate: PostgreSQL database ${url} is not empty: it holds 1 account, ` +
          "1 device, 1 group sequence and 1 message; migrate copies into an empty database " +
          "only (nothing was changed): name another, or give -force to delete what it holds " +
          "and replace it with the copy\n",
      });
      assert.equal(await snapshot(), copied);

      const forced = await admin("migrate", "-from", second, "-to", url, "-force");
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(
        forced.stderr,
        new RegExp(
          `^admin: -force: deleting what ${url} holds \\(1 account, 1 device, 1 group sequence ` +
            "and 1 message\\); kept if the copy fails$",
          "m",
        ),
      );
      assert.match(
        forced.stdout,
        /; replaced 1 account, 1 device, 1 group sequence and 1 message\n/,
      );
      const replaced = await snapshot();
      assert.notEqual(replaced, copied);
      assert.match(replaced, /^[0-9a-f]{32}\|general#1 one\|[0-9a-f]{32}$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

postgresTest(
  "migrate: a source a running server holds is refused (exit 1, naming its lock file); the target is not touched",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-migrate-" });
    const db = `${dir}/chat.db`;
    const server = await startServer({ db });
    try {
      const url = await cluster.database();
      const refused = await admin("migrate", "-from", db, "-to", url);
      assert.deepEqual(refused, {
        code: 1,
        stdout: "",
        stderr: `admin: migrate: the SQLite database ${db} is in use: a server holds its lock ` +
          `file ${db}.lock; stop the server, then migrate\n`,
      });
      const pg = await cluster.cluster();
      assert.equal(
        await pg.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", { url }),
        "0",
      );
    } finally {
      await server.proc.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

postgresTest(
  "migrate: bad command lines exit 2, naming the flag and value; a missing file, an unreachable or missing database exit 1, naming them",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat-migrate-" });
    try {
      const url = await cluster.database();
      const usage = "usage: deno task admin invite|release|revoke";
      const line = async (...args: string[]) => {
        const { code, stdout, stderr } = await admin("migrate", ...args);
        return { code, stdout, stderr: stderr.split("\n")[0], usage: stderr.includes(usage) };
      };
      assert.deepEqual(await line("-from", "chat.db"), {
        code: 2,
        stdout: "",
        stderr: "admin: migrate needs -from FILE and -to URL",
        usage: true,
      });
      assert.deepEqual(await line("-from", "chat.db", "-to", "mysql://chat:hunter2@db/chat"), {
        code: 2,
        stdout: "",
        stderr:
          "admin: flag -to must be a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB, " +
          "got 'mysql://chat:***@db/chat'",
        usage: true,
      });
      assert.deepEqual(await line("-from", "chat.db", "-to", "other.db"), {
        code: 2,
        stdout: "",
        stderr:
          "admin: flag -to must be a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB, " +
          "got 'other.db'",
        usage: true,
      });
      assert.deepEqual(await line("-from", url, "-to", url), {
        code: 2,
        stdout: "",
        stderr: `admin: flag -from names the SQLite file to copy, got the URL '${url}' (the ` +
          "PostgreSQL database goes in -to)",
        usage: true,
      });
      assert.deepEqual(await line("-from", `${dir}/missing.db`, "-to", url), {
        code: 1,
        stdout: "",
        stderr: `admin: migrate: there is no SQLite database ${dir}/missing.db (no such file)`,
        usage: false,
      });
      const db = await smallDatabase(dir);
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closed = `postgres://chat@127.0.0.1:${(listener.addr as Deno.NetAddr).port}/chat`;
      listener.close();
      assert.deepEqual(await line("-from", db, "-to", closed), {
        code: 1,
        stdout: "",
        stderr: `admin: migrate: cannot connect to PostgreSQL at ${closed}: connection refused ` +
          "(is it running, on that host and port?)",
        usage: false,
      });
      const missing = (await cluster.cluster()).urlFor("no_such_db");
      assert.deepEqual(await line("-from", db, "-to", missing), {
        code: 1,
        stdout: "",
        stderr: `admin: migrate: PostgreSQL database "no_such_db" does not exist (${missing}): ` +
          "create it (createdb no_such_db) or name another in the URL",
        usage: false,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
