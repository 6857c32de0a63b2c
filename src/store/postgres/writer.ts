/**
 * The durable writes to PostgreSQL, over a pool of its own. A group commit is one statement
 * ({@link COMMIT}: sequences, messages, their notification and cursors), so one round trip and
 * one implicit transaction; other changes are transactions whose last statements (NOTIFY,
 * COMMIT) are sent at once, in pipeline mode.
 *
 * **Sequences.** Each group's last sequence is a counter row in `groups`; a commit adds its
 * number of new messages to it (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`) in the same
 * transaction as the messages, so the row stays locked until COMMIT: writers to one group take
 * turns, and a rollback gives the numbers back. Sequences are gap-free per group whichever node
 * commits. Counter rows are taken in group name order, so two commits never wait on each other
 * in a cycle; a commit and a room's deletion may (the commit's cursor-only groups are locked after
 * its groups with messages), and the one PostgreSQL picks as the deadlock's victim is made again.
 *
 * **Retries.** A commit first assumes that none of its messages is stored yet (the usual case:
 * one round trip). If one is (the unique retry key refuses it), the transaction rolls back,
 * taking nothing, and the commit is made again after looking up which are stored, one round
 * trip more. That also covers two nodes storing the same retry key at once: the second one's
 * transaction is refused when the first commits, and its second attempt finds the first's row.
 *
 * **Notifications.** Each transaction NOTIFYs what it changed ({@link CHANNEL}, payloads in
 * `payload.ts`) before its COMMIT: other nodes hear of it when it commits, in commit order,
 * and never of what rolled back.
 *
 * **Concurrent changes.** A room change locks the room's row first (`SELECT ... FOR UPDATE`),
 * so changes to one room from different nodes take turns; changes that add or drop a member
 * (join, create, invite, a release, a guest's revoke) first take an advisory lock on that
 * member, so a release cannot miss a join made meanwhile on another node. A transaction that
 * PostgreSQL chose as a deadlock victim is made again.
 *
 * @module
 */
import type pg from "pg";
import {
  type Appended,
  type ClientRecord,
  type CursorUpdate,
  guestOf,
  type NewClient,
  type NewCode,
  type NewMessage,
  type Proof,
  ProofRefusedError,
  type RoomChange,
  type RoomChanged,
  type RoomMemberRecord,
  StoreConflictError,
  type StoredMessage,
  storedMessage,
  type StoreWriter,
  type WriterFailedError,
} from "../types.ts";
import { MAX_DEVICES_PER_ACCOUNT } from "../../shared/limits.ts";
import { sqlState, storeError } from "./connect.ts";
import { type Announcement, CHANNEL, encodePayload } from "./payload.ts";

/** How many times a transaction is made before its error is given up on. */
const MAX_ATTEMPTS = 3;

/** The first key of the advisory locks on members (the second is a hash of the member). */
const MEMBER_LOCK = 0x6d656d62; // "memb"

/**
 * How large (in payload bytes, estimated from the bodies) a group's messages may be to travel
 * with their notification, under PostgreSQL's cap of 8,000 bytes a payload with room to spare.
 */
const INLINE_BYTES = 6_000;

/** The messages of a batch already stored, by their retry keys (`k.i` indexes the keys given). */
const STORED = `SELECT k.i, m.seq, m.sender_id AS "senderId", m.sender_name AS "senderName",
  m.text, m.sent_at AS "sentAtMs", m.body
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(sender_id, grp, client_msg_id, i)
  JOIN messages m
    ON m.sender_id = k.sender_id AND m.grp = k.grp AND m.client_msg_id = k.client_msg_id`;

/**
 * A group commit as one statement (so one implicit transaction, without BEGIN and COMMIT):
 *
 * - `alloc` takes `$2[i]` sequences of group `$1[i]`, the groups in the order given (name
 *   order), holding their counter rows until the statement commits;
 * - `stored` inserts the new messages, column by column (`$3` to `$10`): each message's
 *   sequence is its group's new last sequence less its `back`, how many new messages of its
 *   group come after it in the batch;
 * - `notified` NOTIFYs each group's (on `$11`, from node `$12`):
 *   `{"n":NODE,"k":"m","g":GROUP,"s":LAST_SEQ}`, and when they fit well under the 8,000 bytes
 *   of a payload, the messages too (`"b":[[SEQ,SENDER,BASE64_BODY],...]`): the other nodes
 *   then need no read;
 * - `cursors` moves cursors (`$13` to `$15`) forward, never past their group's last sequence,
 *   this statement's messages counted. The counter rows of groups without new messages are
 *   key-share locked (`locked`): a room deleted by another node meanwhile either waits for
 *   this cursor to be written (and deletes it with the room) or has gone first (and the
 *   cursor is not written), so no cursor outlives its room. Groups with new messages are
 *   locked by `alloc` already, and read from it: a statement does not see its own writes. A
 *   message to a room whose deletion commits first is stored all the same (the server checked
 *   its sender against the room before), under a name with no room; the server will not make
 *   a room of a name with messages stored under it (rooms.ts), so it is shown to nobody.
 *
 * Rows: `("a", group, new last sequence)` per group allocated, `("n", group, messages stored)`
 * per group notified.
 */
const COMMIT = `WITH alloc AS (
  INSERT INTO groups AS g (name, last_seq)
  SELECT name, n FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS t(name, n, i) ORDER BY i
  ON CONFLICT (name) DO UPDATE SET last_seq = g.last_seq + excluded.last_seq
  RETURNING g.name, g.last_seq),
stored AS (
  INSERT INTO messages (grp, seq, sender_id, sender_name, client_msg_id, text, body, sent_at)
  SELECT m.grp, a.last_seq - m.back, m.sender_id, m.sender_name, m.client_msg_id, m.text, m.body,
    m.sent_at
  FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::bytea[], $10::bigint[])
    AS m(grp, back, sender_id, sender_name, client_msg_id, text, body, sent_at)
  JOIN alloc a ON a.name = m.grp
  RETURNING grp, seq, sender_id, body),
notified AS (
  SELECT grp, count(*) AS n, pg_notify($11, json_build_object(
    'n', $12::text, 'k', 'm', 'g', grp, 's', max(seq),
    'b', CASE WHEN sum(octet_length(body) + octet_length(sender_id)) * 4 / 3 + count(*) * 32
      <= ${INLINE_BYTES}
      THEN json_agg(json_build_array(seq, sender_id, encode(body, 'base64')) ORDER BY seq) END
  )::text)
  FROM stored GROUP BY grp ORDER BY grp),
locked AS MATERIALIZED (
  SELECT name, last_seq FROM groups
  WHERE name = ANY($14::text[]) AND name <> ALL($1::text[])
  ORDER BY name FOR KEY SHARE),
cursors AS (
  INSERT INTO cursors AS c (client_id, grp, seq)
  SELECT u.client_id, u.grp, max(u.seq)
  FROM unnest($13::text[], $14::text[], $15::bigint[]) AS u(client_id, grp, seq)
  JOIN (SELECT name, last_seq FROM alloc UNION ALL SELECT name, last_seq FROM locked) g
    ON g.name = u.grp
  WHERE u.seq <= g.last_seq
  GROUP BY u.client_id, u.grp ORDER BY u.client_id, u.grp
  ON CONFLICT (client_id, grp) DO UPDATE SET seq = excluded.seq WHERE c.seq < excluded.seq)
SELECT 'a' AS k, name, last_seq AS v FROM alloc
UNION ALL SELECT 'n', grp, n FROM notified`;

const NOTIFY = "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p";

const INSERT_ACCOUNT =
  "INSERT INTO accounts (handle, created_at) VALUES ($1, $2) ON CONFLICT (handle) DO NOTHING";

/** Used once: the row that matches is marked by the statement that reads it. */
const USE_CODE = `UPDATE codes SET used_at = $1
  WHERE hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1
  RETURNING handle, creator`;

/** A room's rows, the counter row first (see {@link COMMIT}). */
const DELETE_ROOM = [
  "DELETE FROM groups WHERE name = $1",
  "DELETE FROM rooms WHERE name = $1",
  "DELETE FROM room_members WHERE room = $1",
  "DELETE FROM room_invites WHERE room = $1",
  "DELETE FROM codes WHERE kind = 'room' AND handle = $1",
  "DELETE FROM messages WHERE grp = $1",
  "DELETE FROM cursors WHERE grp = $1",
];

/** Records what a transaction changed, to be NOTIFYed with its COMMIT. */
type Announce = (change: Announcement) => void;

/** A message's retry key as one string (ids hold no control characters, PostgreSQL no NUL). */
function retryKey(m: NewMessage): string {
  return `${m.senderId}\u0000${m.group}\u0000${m.clientMsgId}`;
}

/**
 * The {@link StoreWriter} of a PostgreSQL database. Any number of nodes may write to one
 * database at once.
 *
 * {@link failed} never resolves: nothing that happens to PostgreSQL stops this writer for
 * good. While the database cannot be reached (a restart, a network cut) each call rejects
 * with the connection's error, and once it can, calls succeed again on new connections.
 */
export class PostgresWriter implements StoreWriter {
  /** Never resolves; see the class description. */
  readonly failed: Promise<WriterFailedError> = new Promise(() => {});
  #pool: pg.Pool;
  #nodeId: string;
  #where: string;
  #closed = false;
  #inFlight = new Set<Promise<unknown>>();

  /**
   * Writes through `pool` (which it owns: {@link close} ends it; it must be in pipeline mode),
   * announcing changes as node `nodeId`. `where` names the database in errors.
   */
  constructor(pool: pg.Pool, nodeId: string, where: string) {
    this.#pool = pool;
    this.#nodeId = nodeId;
    this.#where = where;
  }

  /**
   * See {@link StoreWriter.commit}. One transaction; the messages of each group are NOTIFYed
   * with the group's new last sequence.
   */
  commit(messages: readonly NewMessage[], cursors: readonly CursorUpdate[]): Promise<Appended[]> {
    return this.#run(async () => {
      for (let attempt = 1;; attempt++) {
        try {
          // The first attempt assumes that nothing is stored yet; see the module description.
          return await this.#commit(messages, cursors, attempt > 1);
        } catch (error) {
          const retry = sqlState(error) === "23505" &&
            (error as pg.DatabaseError).constraint === "messages_by_retry_key";
          if (attempt < MAX_ATTEMPTS && (retry || transient(error))) continue;
          throw error;
        }
      }
    });
  }

  async #commit(
    messages: readonly NewMessage[],
    cursors: readonly CursorUpdate[],
    lookUp: boolean,
  ): Promise<Appended[]> {
    const stored = lookUp ? await this.#stored(messages) : new Map<string, StoredMessage>();
    const results = new Array<Appended>(messages.length);
    /** Index of each retry key's first message; later ones of the batch are retries of it. */
    const firstOf = new Map<string, number>();
    const retries: [number, number][] = [];
    const fresh: number[] = [];
    const counts = new Map<string, number>();
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const key = retryKey(m);
      const first = firstOf.get(key);
      if (first !== undefined) {
        retries.push([i, first]);
        continue;
      }
      firstOf.set(key, i);
      const original = stored.get(key);
      if (original) {
        results[i] = { group: m.group, message: original, duplicate: true };
      } else {
        fresh.push(i);
        counts.set(m.group, (counts.get(m.group) ?? 0) + 1);
      }
    }
    // Each new message's distance from its group's end in this batch.
    const taken = new Map<string, number>();
    const back = fresh.map((i) => {
      const group = messages[i].group;
      const rank = (taken.get(group) ?? 0) + 1;
      taken.set(group, rank);
      return counts.get(group)! - rank;
    });
    const groups = [...counts.keys()].sort();
    const last = await this.#write(messages, fresh, back, groups, counts, cursors);
    fresh.forEach((i, k) => {
      const m = messages[i];
      const seq = last.get(m.group)! - back[k];
      results[i] = { group: m.group, duplicate: false, message: storedMessage(m, seq, m.sentAtMs) };
    });
    for (const [i, first] of retries) {
      results[i] = { group: messages[i].group, message: results[first].message, duplicate: true };
    }
    return results;
  }

  /** The stored originals of `messages` that are retries, by retry key. */
  async #stored(messages: readonly NewMessage[]): Promise<Map<string, StoredMessage>> {
    const found = new Map<string, StoredMessage>();
    if (messages.length === 0) return found;
    const keys = [...new Map(messages.map((m) => [retryKey(m), m])).values()];
    const { rows } = await this.#pool.query<StoredMessage & { i: number }>({
      name: "chat_stored",
      text: STORED,
      values: [
        keys.map((m) => m.senderId),
        keys.map((m) => m.group),
        keys.map((m) => m.clientMsgId),
      ],
    });
    for (const { i, ...message } of rows) found.set(retryKey(keys[i - 1]), message);
    return found;
  }

  /**
   * The commit's one statement ({@link COMMIT}): sequences, messages and their NOTIFY,
   * cursors. Resolves with each group's new last sequence.
   */
  async #write(
    messages: readonly NewMessage[],
    fresh: readonly number[],
    back: readonly number[],
    groups: readonly string[],
    counts: ReadonlyMap<string, number>,
    cursors: readonly CursorUpdate[],
  ): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    if (fresh.length === 0 && cursors.length === 0) return last;
    const column = <T>(f: (m: NewMessage) => T) => fresh.map((i) => f(messages[i]));
    const result = await this.#once({
      name: "chat_commit",
      text: COMMIT,
      values: [
        groups,
        groups.map((g) => counts.get(g)),
        column((m) => m.group),
        back,
        column((m) => m.senderId),
        column((m) => m.senderName),
        column((m) => m.clientMsgId),
        column((m) => m.text),
        column((m) => m.body),
        column((m) => m.sentAtMs),
        CHANNEL,
        this.#nodeId,
        cursors.map((c) => c.clientId),
        cursors.map((c) => c.group),
        cursors.map((c) => c.seq),
      ],
    });
    let stored = 0;
    for (const row of result.rows as { k: "a" | "n"; name: string; v: number }[]) {
      if (row.k === "a") last.set(row.name, row.v);
      else stored += row.v;
    }
    if (stored !== fresh.length) {
      // Cannot happen: each message's group row was just written. The statement has committed
      // by now; a fault here is loud, rather than sequences answered for unstored messages.
      throw new Error(`stored ${stored} of ${fresh.length} messages`);
    }
    return last;
  }

  /**
   * Runs one statement, a transaction of its own. A client PostgreSQL refused the statement on
   * goes back to the pool; one whose connection failed is dropped.
   */
  async #once(statement: pg.QueryConfig): Promise<pg.QueryResult> {
    const client = await this.#pool.connect();
    try {
      const result = await client.query(statement);
      client.release();
      return result;
    } catch (error) {
      this.#release(client, error);
      throw error;
    }
  }

  /**
   * Gives `client` back after `error`: to be used again if PostgreSQL refused a statement and
   * the connection is out of its transaction, else dropped.
   */
  #release(client: pg.PoolClient, error: unknown): void {
    const reusable = sqlState(error) !== undefined && client.getTransactionStatus() === "I";
    client.release(
      reusable ? undefined : error instanceof Error ? error : new Error(String(error)),
    );
  }

  /**
   * See {@link StoreWriter.addClient}.
   *
   * @throws {ProofRefusedError} if the proof does not hold; nothing is stored.
   * @throws {Error} if a client with this id is already stored (PostgreSQL's unique
   *   violation); it is left as it was.
   */
  addClient(client: NewClient): Promise<ClientRecord> {
    return this.#transaction(async (c, announce) => {
      const now = Date.now();
      const account = await this.#prove(c, client.proof, now);
      await c.query(
        "INSERT INTO clients (id, name, key_hash, created_at, account) VALUES ($1, $2, $3, $4, $5)",
        [client.id, client.name, client.keyHash, now, account],
      );
      announce({ kind: "client", id: client.id });
      return { id: client.id, name: client.name, keyHash: client.keyHash, account };
    });
  }

  /** The account `proof` gives (null: a guest), with its claim or code use done. */
  async #prove(c: pg.PoolClient, proof: Proof, now: number): Promise<string | null> {
    switch (proof.kind) {
      case "guest":
        return null;
      case "first-use":
        return (await c.query(INSERT_ACCOUNT, [proof.handle, now])).rowCount === 1
          ? proof.handle
          : null;
      case "token":
        await c.query(INSERT_ACCOUNT, [proof.handle, now]);
        await this.#roomForDevice(c, proof.handle);
        return proof.handle;
      case "invite": {
        const code = await this.#takeCode(c, proof.codeHash, "invite", now);
        const handle = code.handle ?? proof.handle;
        if (!handle) {
          throw new ProofRefusedError(
            "this invite names no handle, and your name cannot be one (ASCII letters, digits, '.', '_', '-')",
          );
        }
        if ((await c.query(INSERT_ACCOUNT, [handle, now])).rowCount !== 1) {
          throw new ProofRefusedError(`the handle ${handle} is already taken`);
        }
        return handle;
      }
      case "link": {
        const { handle, creator } = await this.#takeCode(c, proof.codeHash, "link", now);
        // The device that made the code must still be that account's: a code made before a
        // revoke or a release grants nothing. Share-locked: neither can happen meanwhile.
        const { rows } = creator === null ? { rows: [] } : await c.query<{ account: string }>(
          "SELECT account FROM clients WHERE id = $1 FOR SHARE",
          [creator],
        );
        if (handle === null || rows[0]?.account !== handle) {
          throw new ProofRefusedError(
            "the device that made this link code is no longer the account's",
          );
        }
        await this.#roomForDevice(c, handle);
        return handle;
      }
    }
  }

  /**
   * Refuses another device for `handle` if it has the most it may have. The account's row is
   * locked first, so that devices added at once on several nodes are counted one by one.
   */
  async #roomForDevice(c: pg.PoolClient, handle: string): Promise<void> {
    await c.query("SELECT 1 FROM accounts WHERE handle = $1 FOR UPDATE", [handle]);
    const { rows } = await c.query<{ n: number }>(
      "SELECT count(*) AS n FROM clients WHERE account = $1",
      [handle],
    );
    if (rows[0].n >= MAX_DEVICES_PER_ACCOUNT) {
      throw new ProofRefusedError(
        `the account ${handle} has ${MAX_DEVICES_PER_ACCOUNT} devices, the most it may have; revoke one first`,
      );
    }
  }

  async #takeCode(
    c: pg.PoolClient,
    hash: Uint8Array,
    kind: NewCode["kind"],
    now: number,
  ): Promise<{ handle: string | null; creator: string | null }> {
    const { rows } = await c.query<{ handle: string | null; creator: string | null }>(
      USE_CODE,
      [now, hash, kind],
    );
    if (!rows[0]) {
      throw new ProofRefusedError(
        `the ${kind} code is not valid (unknown, already used or expired)`,
      );
    }
    return rows[0];
  }

  /** See {@link StoreWriter.addCode}: used and expired codes are cleared meanwhile. */
  addCode(code: NewCode): Promise<void> {
    return this.#transaction(async (c) => {
      const now = Date.now();
      await Promise.all([
        c.query("DELETE FROM codes WHERE used_at IS NOT NULL OR expires_at <= $1", [now]),
        c.query(
          `INSERT INTO codes (hash, kind, handle, creator, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [code.hash, code.kind, code.handle, code.creator ?? null, now, code.expiresAtMs],
        ),
      ]);
    });
  }

  /**
   * See {@link StoreWriter.releaseHandle}. Announces the account, each of its devices (guests
   * now) and each room it was in or invited to.
   */
  releaseHandle(handle: string): Promise<number> {
    return this.#transaction(async (c, announce) => {
      if ((await c.query("DELETE FROM accounts WHERE handle = $1", [handle])).rowCount === 0) {
        return -1;
      }
      await c.query("DELETE FROM codes WHERE kind = 'link' AND handle = $1", [handle]);
      await this.#dropMember(c, handle, announce);
      const { rows } = await c.query<{ id: string }>(
        "UPDATE clients SET account = NULL WHERE account = $1 RETURNING id",
        [handle],
      );
      for (const { id } of rows) announce({ kind: "client", id });
      announce({ kind: "account", handle });
      return rows.length;
    });
  }

  /** See {@link StoreWriter.revokeDevice}. Announces the device, and a guest's rooms. */
  revokeDevice(clientId: string): Promise<boolean> {
    return this.#transaction(async (c, announce) => {
      const { rows } = await c.query<{ account: string | null }>(
        "DELETE FROM clients WHERE id = $1 RETURNING account",
        [clientId],
      );
      if (rows.length === 0) return false;
      if (rows[0].account === null) await this.#dropMember(c, `~${clientId}`, announce);
      announce({ kind: "client", id: clientId });
      return true;
    });
  }

  /**
   * See {@link StoreWriter.changeRoom}. Announces the room.
   *
   * The server checked the change against the rooms it holds, which another node may have
   * changed a moment ago: what the rules need is checked again here, under the room's lock.
   *
   * @throws {ProofRefusedError} if a join's room code does not hold; nothing is stored.
   * @throws {StoreConflictError} for a room made that exists, a change to a room that is not
   *   there, of a member who is not in it, a join of one already in, and a change that would
   *   leave a room with members but no owner; nothing is stored.
   */
  changeRoom(change: RoomChange): Promise<RoomChanged> {
    return this.#transaction(async (c, announce) => {
      const now = Date.now();
      const room = change.op === "create" ? change.room.name : change.room;
      const member = change.op === "create"
        ? change.owner.member
        : change.op === "join"
        ? change.member.member
        : change.op === "invite"
        ? change.handle
        : undefined;
      // The member first, then the room: the order #dropMember takes them in.
      if (member !== undefined) await this.#lockMember(c, member);
      if (change.op !== "create") {
        const locked = await c.query("SELECT 1 FROM rooms WHERE name = $1 FOR UPDATE", [room]);
        if (locked.rowCount === 0) {
          throw new StoreConflictError(`the room ${room} is gone`);
        }
      }
      announce({ kind: "room", name: room });
      const changed = (count: number | null) => {
        if (count !== 1) throw new StoreConflictError(`${change.op}: no such member of ${room}`);
      };
      const result = await this.#changeRoom(c, change, room, now, changed);
      if (!result.deleted && (change.op === "leave" || change.op === "role")) {
        const { rows } = await c.query<{ owners: number; members: number }>(
          `SELECT count(*) FILTER (WHERE role = 'owner') AS owners, count(*) AS members
           FROM room_members WHERE room = $1`,
          [room],
        );
        if (rows[0].members > 0 && rows[0].owners === 0) {
          throw new StoreConflictError(`${room} would be left without an owner`);
        }
      }
      return result;
    }).catch((error) => {
      // Made or joined at once on another node: the unique keys say so.
      if (sqlState(error) !== "23505") throw error;
      const what = change.op === "create"
        ? `the room ${change.room.name} exists`
        : `already in ${change.op === "join" ? change.room : "the room"}`;
      throw new StoreConflictError(what, { cause: error });
    });
  }

  async #changeRoom(
    c: pg.PoolClient,
    change: RoomChange,
    room: string,
    now: number,
    changed: (count: number | null) => void,
  ): Promise<RoomChanged> {
    switch (change.op) {
      case "create": {
        const { name, visibility, history, createdBy, createdAtMs } = change.room;
        await c.query(
          `INSERT INTO rooms (name, visibility, history, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5)`,
          [name, visibility, history, createdBy, createdAtMs],
        );
        await this.#addMember(c, name, change.owner);
        break;
      }
      case "join":
        if (change.codeHash) {
          const code = await this.#takeCode(c, change.codeHash, "room", now);
          if (code.handle !== change.room) {
            throw new ProofRefusedError(
              "the room code is not valid (unknown, already used or expired)",
            );
          }
        }
        await this.#addMember(c, change.room, change.member);
        break;
      case "leave": {
        changed(
          (await c.query("DELETE FROM room_members WHERE room = $1 AND member = $2", [
            room,
            change.member,
          ])).rowCount,
        );
        const { rows } = await c.query<{ n: number }>(
          "SELECT count(*) AS n FROM room_members WHERE room = $1",
          [room],
        );
        if (rows[0].n === 0) {
          await this.#deleteRoom(c, room);
          return { deleted: true };
        }
        break;
      }
      case "invite":
        await Promise.all([
          c.query("DELETE FROM room_invites WHERE room = $1 AND expires_at <= $2", [room, now]),
          c.query(
            `INSERT INTO room_invites AS i (room, handle, invited_by, created_at, expires_at)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (room, handle) DO UPDATE SET
                 invited_by = excluded.invited_by, created_at = excluded.created_at,
                 expires_at = excluded.expires_at
               WHERE i.expires_at <= excluded.created_at`,
            [room, change.handle, change.by, now, change.expiresAtMs],
          ),
        ]);
        break;
      case "role":
        changed(
          (await c.query("UPDATE room_members SET role = $1 WHERE room = $2 AND member = $3", [
            change.role,
            room,
            change.member,
          ])).rowCount,
        );
        break;
    }
    return { deleted: false };
  }

  async #addMember(c: pg.PoolClient, room: string, m: RoomMemberRecord): Promise<void> {
    await Promise.all([
      c.query(
        `INSERT INTO room_members (room, member, role, joined_seq, joined_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [room, m.member, m.role, m.joinedSeq, m.joinedAtMs],
      ),
      c.query("DELETE FROM room_invites WHERE room = $1 AND handle = $2", [room, m.member]),
    ]);
  }

  /** Deletes `room` with its members, invites, codes, messages, cursors and sequence. */
  async #deleteRoom(c: pg.PoolClient, room: string): Promise<void> {
    await Promise.all(DELETE_ROOM.map((text) => c.query(text, [room])));
  }

  /** Holds (until the transaction ends) the advisory lock on `member`'s room memberships. */
  async #lockMember(c: pg.PoolClient, member: string): Promise<void> {
    await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [MEMBER_LOCK, member]);
  }

  /**
   * Takes `member` out of every room it is in, and its invites: a room left without an owner
   * gets its longest-standing admin, else member, that is an account as owner; a room left
   * with no account (empty, or guests only) is deleted. Announces each room touched.
   */
  async #dropMember(c: pg.PoolClient, member: string, announce: Announce): Promise<void> {
    await this.#lockMember(c, member);
    const [invited, memberships] = await Promise.all([
      c.query<{ room: string }>("DELETE FROM room_invites WHERE handle = $1 RETURNING room", [
        member,
      ]),
      c.query<{ room: string }>("SELECT room FROM room_members WHERE member = $1", [member]),
    ]);
    for (const { room } of invited.rows) announce({ kind: "room", name: room });
    const rooms = [...new Set(memberships.rows.map((r) => r.room))].sort();
    if (rooms.length === 0) return;
    // In name order, like every writer that locks several: no two wait on each other in a cycle.
    await c.query("SELECT name FROM rooms WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE", [
      rooms,
    ]);
    for (const room of rooms) {
      const removed = await c.query("DELETE FROM room_members WHERE room = $1 AND member = $2", [
        room,
        member,
      ]);
      if (removed.rowCount === 0) continue; // it left on another node meanwhile
      announce({ kind: "room", name: room });
      const { rows: left } = await c.query<{ member: string; role: string }>(
        "SELECT member, role FROM room_members WHERE room = $1 ORDER BY joined_at, member",
        [room],
      );
      if (left.some((m) => m.role === "owner")) continue;
      // A room is run by accounts: its longest-standing admin, else member, that is one.
      const accounts = left.filter((m) => guestOf(m.member) === undefined);
      const heir = accounts.find((m) => m.role === "admin") ?? accounts[0];
      if (heir) {
        await c.query("UPDATE room_members SET role = 'owner' WHERE room = $1 AND member = $2", [
          room,
          heir.member,
        ]);
      } else {
        await this.#deleteRoom(c, room);
      }
    }
  }

  /**
   * Runs `work` in one transaction on a connection of the pool, and NOTIFYs what it announced
   * with the COMMIT: all of it, or (on a throw) none of it. Made again, up to
   * {@link MAX_ATTEMPTS} times, when PostgreSQL aborted it as a deadlock victim or for
   * serialization.
   */
  #transaction<T>(work: (c: pg.PoolClient, announce: Announce) => Promise<T>): Promise<T> {
    return this.#run(async () => {
      for (let attempt = 1;; attempt++) {
        try {
          return await this.#transactionOnce(work);
        } catch (error) {
          if (attempt < MAX_ATTEMPTS && transient(error)) continue;
          throw error;
        }
      }
    });
  }

  async #transactionOnce<T>(
    work: (c: pg.PoolClient, announce: Announce) => Promise<T>,
  ): Promise<T> {
    const client = await this.#pool.connect();
    const payloads = new Set<string>();
    const announce = (change: Announcement) => payloads.add(encodePayload(this.#nodeId, change));
    let result: T;
    try {
      await client.query("BEGIN");
      result = await work(client, announce);
      const [notified, committed] = await Promise.allSettled(corked(client, () => [
        payloads.size > 0
          ? client.query({ name: "chat_notify", text: NOTIFY, values: [CHANNEL, [...payloads]] })
          : Promise.resolve(undefined),
        client.query("COMMIT"),
      ]));
      if (notified.status === "rejected") throw notified.reason;
      if (committed.status === "rejected") throw committed.reason;
      if (committed.value.command !== "COMMIT") {
        throw new Error(`the transaction was rolled back (${committed.value.command})`);
      }
    } catch (error) {
      let broken: Error | undefined;
      if (client.getTransactionStatus() !== "I") {
        await client.query("ROLLBACK").catch((e) => broken = e);
      }
      // Back to the pool, out of its transaction; the pool drops a client whose connection
      // failed, and one whose ROLLBACK failed is dropped here.
      client.release(broken);
      throw error;
    }
    client.release();
    return result;
  }

  /** `write()`, unless closed; counted in flight until it settles, for {@link close}. */
  #run<T>(write: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new Error(`the database writer of ${this.#where} is closed`));
    }
    const call = write().catch((error) => {
      throw storeError(error, this.#where);
    });
    const settled = call.then(() => {}, () => {});
    this.#inFlight.add(settled);
    settled.then(() => this.#inFlight.delete(settled));
    return call;
  }

  /** Lets the calls in flight finish, then ends the pool; later calls reject. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    if (!this.#pool.ended) await this.#pool.end();
  }
}

/**
 * What `send` returns, the queries it makes on `client` (in pipeline mode: each is written as
 * it is made) going out in one write to the socket rather than one each: a transaction's
 * NOTIFY and COMMIT are then one system call.
 */
function corked<T>(client: pg.PoolClient, send: () => T): T {
  const socket = (client as unknown as pg.Client).connection?.stream;
  socket?.cork?.();
  try {
    return send();
  } finally {
    socket?.uncork?.();
  }
}

/** Whether PostgreSQL aborted a transaction that may well succeed if made again. */
function transient(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40P01" || state === "40001"; // deadlock_detected, serialization_failure
}
