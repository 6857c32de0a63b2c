/**
 * The durable state of a grpc-chat server in one SQLite file: clients, group
 * messages with their sequence numbers, each client's cursor per group, and
 * the database's lasting id.
 *
 * Every method is synchronous (node:sqlite). A server holds two connections
 * (see `mod.ts`): the serving thread's for reads, served as the asynchronous
 * `StoreReader` by `SqliteReader` (`reader.ts`), and the writer's for commits.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type BodyFields, encodeBody } from "../../protocol/body.ts";
import { messageOf } from "../../shared/errors.ts";
import {
  type Appended,
  type ClientRecord,
  type CursorUpdate,
  type FrameMessage,
  guestOf,
  memberKey,
  type NewClient,
  type NewCode,
  type NewMessage,
  type Proof,
  ProofRefusedError,
  type RoomChange,
  type RoomChanged,
  type RoomMemberRecord,
  type RoomRecord,
  type StoredMessage,
  storedMessage,
  StoreOpenError,
} from "../types.ts";
import { MAX_DEVICES_PER_ACCOUNT } from "../../shared/limits.ts";
import { handleOf } from "../../shared/validate.ts";

/**
 * 2 added messages.body; 3 made the retry key (sender, group, client message id), it was
 * (sender, client message id), and added the meta table; 4 added accounts (a device's
 * `account`, the accounts table, one-time codes); 5 added rooms (their members and
 * invites), whose tables {@link SCHEMA} makes. Older files are upgraded when opened.
 */
const SCHEMA_VERSION = 5;

/** Accounts and one-time codes (version 4); a version 3 file gets them in its upgrade. */
const ACCOUNTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  handle TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS codes (
  hash BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  handle TEXT,
  creator TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) WITHOUT ROWID;
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS clients (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  account TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS clients_by_account ON clients (account);
${ACCOUNTS_SCHEMA}
CREATE TABLE IF NOT EXISTS messages (
  grp TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  sender_name TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  text TEXT NOT NULL,
  body BLOB NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (grp, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_retry_key ON messages (sender_id, grp, client_msg_id);
CREATE TABLE IF NOT EXISTS cursors (
  client_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (client_id, grp)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
  name TEXT PRIMARY KEY,
  visibility TEXT NOT NULL,
  history TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_members (
  room TEXT NOT NULL,
  member TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_seq INTEGER NOT NULL,
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (room, member)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS room_members_by_member ON room_members (member);
CREATE TABLE IF NOT EXISTS room_invites (
  room TEXT NOT NULL,
  handle TEXT NOT NULL,
  invited_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (room, handle)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS room_invites_by_handle ON room_invites (handle);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

const MESSAGE_COLUMNS =
  "seq, sender_id AS senderId, sender_name AS senderName, text, sent_at AS sentAtMs, body";

/** Options for {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** `FULL` (default) makes each commit durable; `OFF` is for benchmarks only. */
  synchronous?: "FULL" | "OFF";
  /**
   * Hold `<path>.lock` (default true), so that no second server uses the file:
   * two would hand out the same sequence numbers. The writer's connection of the
   * same server opens the file again without it.
   */
  lock?: boolean;
}

/**
 * One connection to a grpc-chat SQLite file. A server has two: the serving
 * thread's, which holds the lock file and answers reads, and the writer's,
 * whose {@link SqliteStore.commit} allocates every sequence number. Its reads
 * are those of `StoreReader`, answered at once rather than as promises: the
 * writer thread and `InlineWriter` use it synchronously, and `SqliteReader`
 * serves it as a `StoreReader`.
 */
export class SqliteStore {
  /** The database file. */
  readonly path: string;
  #db: DatabaseSync;
  #lock: Deno.FsFile | undefined;
  #serverId: string;
  /** Sequences as this connection has committed them: only the writer's is ever used. */
  #lastSeq = new Map<string, number>();
  #insertMessage: StatementSync;
  #messageByRetryKey: StatementSync;
  #readRange: StatementSync;
  #readFrameRange: StatementSync;
  #upsertCursor: StatementSync;
  #readCursor: StatementSync;
  #countUnread: StatementSync;
  #insertClient: StatementSync;
  #readClient: StatementSync;
  #insertAccount: StatementSync;
  #useCode: StatementSync;
  #insertCode: StatementSync;
  #pruneCodes: StatementSync;
  #accountExists: StatementSync;
  #dropLinkCodes: StatementSync;
  #countDevices: StatementSync;
  #countGuests: StatementSync;
  #releaseAccount: StatementSync;
  #orphanDevices: StatementSync;
  #deleteClient: StatementSync;
  #maxSeq: StatementSync;
  #maxSeqs: StatementSync;
  #rooms: StatementSync;
  #roomMembers: StatementSync;
  #roomInvites: StatementSync;
  #room: StatementSync;
  #membersOf: StatementSync;
  #invitesOf: StatementSync;
  #roomCodes: StatementSync;
  #insertRoom: StatementSync;
  #insertMember: StatementSync;
  #deleteMember: StatementSync;
  #countMembers: StatementSync;
  #roomExists: StatementSync;
  #setRole: StatementSync;
  #insertInvite: StatementSync;
  #deleteInvite: StatementSync;
  #pruneInvites: StatementSync;
  #deleteRoomRows: StatementSync[];

  /**
   * Opens `path` (creating it if need be) and brings its schema up to date.
   *
   * @throws {StoreOpenError} if the lock file is held by another process, or the file
   * cannot be opened, is not a grpc-chat database, or was written by a newer one.
   * @throws {TypeError} if `options.synchronous` is neither `"FULL"` nor `"OFF"`.
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    const synchronous = options.synchronous ?? "FULL";
    if (synchronous !== "FULL" && synchronous !== "OFF") {
      throw new TypeError(
        `synchronous must be "FULL" or "OFF", not ${JSON.stringify(synchronous)}`,
      );
    }
    this.path = path;
    if (options.lock ?? true) this.#lock = lockFile(path);
    try {
      this.#db = new DatabaseSync(path);
    } catch (error) {
      this.#lock?.close();
      throw new StoreOpenError(`cannot open database ${path}: ${messageOf(error)}`);
    }
    try {
      // The reader and the writer connection may meet in a checkpoint: wait, don't fail.
      this.#db.exec("PRAGMA busy_timeout = 5000;");
      this.#db.exec("PRAGMA journal_mode = WAL;");
      this.#db.exec(`PRAGMA synchronous = ${synchronous};`);
      this.#serverId = prepareSchema(this.#db);
    } catch (error) {
      this.#db.close();
      this.#lock?.close();
      throw new StoreOpenError(describeOpenError(path, error));
    }
    const db = this.#db;
    this.#insertMessage = db.prepare(
      `INSERT INTO messages (grp, seq, sender_id, sender_name, client_msg_id, text, sent_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sender_id, grp, client_msg_id) DO NOTHING`,
    );
    this.#messageByRetryKey = db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND grp = ? AND client_msg_id = ?`,
    );
    // Catch-up reads only what frames need, as arrays: no text or name strings, no row objects.
    // One row per frame: node:sqlite makes a row of JS values for ~1 us, SQLite concatenates
    // the same range in a fraction of that (group_concat keeps a BLOB's bytes as they are).
    this.#readFrameRange = db.prepare(
      `SELECT group_concat(seq) AS seqs, group_concat(sender_id) AS senders,
              group_concat(length(body)) AS lengths, CAST(group_concat(body, '') AS BLOB) AS bodies
       FROM (SELECT seq, sender_id, body FROM messages
             WHERE grp = ? AND seq > ? AND seq <= ? ORDER BY seq)`,
    );
    // At run time on Deno 2.9.3; the Node types a worker is checked with lack it.
    (this.#readFrameRange as StatementSync & { setReturnArrays(on: boolean): void })
      .setReturnArrays(true);
    this.#readRange = db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE grp = ? AND seq > ? AND seq <= ? ORDER BY seq`,
    );
    // A cursor never passes its group's end. Acks are checked against what was sent, so this
    // only drops the cursor of a room deleted while the ack waited to be written: a room made
    // again under that name must not start from it.
    this.#upsertCursor = db.prepare(
      `INSERT INTO cursors (client_id, grp, seq)
       SELECT ?1, ?2, ?3 WHERE ?3 <= (SELECT coalesce(max(seq), 0) FROM messages WHERE grp = ?2)
       ON CONFLICT (client_id, grp) DO UPDATE SET seq = max(seq, excluded.seq)`,
    );
    this.#readCursor = db.prepare("SELECT seq FROM cursors WHERE client_id = ? AND grp = ?");
    this.#countUnread = db.prepare(
      "SELECT count(*) AS n FROM messages WHERE grp = ? AND seq > ? AND sender_id <> ?",
    );
    this.#insertClient = db.prepare(
      "INSERT INTO clients (id, name, key_hash, created_at, account) VALUES (?, ?, ?, ?, ?)",
    );
    this.#readClient = db.prepare(
      "SELECT id, name, key_hash AS keyHash, account FROM clients WHERE id = ?",
    );
    this.#insertAccount = db.prepare(
      "INSERT INTO accounts (handle, created_at) VALUES (?, ?) ON CONFLICT (handle) DO NOTHING",
    );
    // Used once: the row that matches is marked in the same statement that reads it.
    this.#useCode = db.prepare(
      `UPDATE codes SET used_at = ? WHERE hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?
       RETURNING handle, creator`,
    );
    this.#insertCode = db.prepare(
      "INSERT INTO codes (hash, kind, handle, creator, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    // Used and expired codes grant nothing: each new code clears them, so codes cannot pile up.
    this.#pruneCodes = db.prepare("DELETE FROM codes WHERE used_at IS NOT NULL OR expires_at <= ?");
    this.#accountExists = db.prepare("SELECT 1 AS yes FROM accounts WHERE handle = ?");
    this.#dropLinkCodes = db.prepare("DELETE FROM codes WHERE kind = 'link' AND handle = ?");
    this.#countDevices = db.prepare("SELECT count(*) AS n FROM clients WHERE account = ?");
    this.#countGuests = db.prepare("SELECT count(*) AS n FROM clients WHERE account IS NULL");
    this.#releaseAccount = db.prepare("DELETE FROM accounts WHERE handle = ?");
    this.#orphanDevices = db.prepare("UPDATE clients SET account = NULL WHERE account = ?");
    this.#deleteClient = db.prepare("DELETE FROM clients WHERE id = ?");
    this.#maxSeq = db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM messages WHERE grp = ?");
    // One statement for all the groups (a JSON array, in its order): one snapshot of them.
    this.#maxSeqs = db.prepare(
      `SELECT (SELECT coalesce(max(seq), 0) FROM messages WHERE grp = g.value) AS seq
       FROM json_each(?) AS g ORDER BY g.key`,
    );
    // rooms() and room() must list members and invites in the same order: keep them in step.
    this.#rooms = db.prepare(
      `SELECT name, visibility, history, created_by AS createdBy, created_at AS createdAtMs
       FROM rooms ORDER BY name`,
    );
    this.#roomMembers = db.prepare(
      `SELECT room, member, role, joined_seq AS joinedSeq, joined_at AS joinedAtMs
       FROM room_members ORDER BY room, joined_at, member`,
    );
    // Invites made in the same millisecond go by handle, so that the order is always the same.
    this.#roomInvites = db.prepare(
      `SELECT room, handle, expires_at AS expiresAtMs FROM room_invites WHERE expires_at > ?
       ORDER BY room, created_at, handle`,
    );
    this.#room = db.prepare(
      `SELECT name, visibility, history, created_by AS createdBy, created_at AS createdAtMs
       FROM rooms WHERE name = ?`,
    );
    this.#membersOf = db.prepare(
      `SELECT member, role, joined_seq AS joinedSeq, joined_at AS joinedAtMs
       FROM room_members WHERE room = ? ORDER BY joined_at, member`,
    );
    this.#invitesOf = db.prepare(
      `SELECT handle, expires_at AS expiresAtMs FROM room_invites WHERE room = ? AND expires_at > ?
       ORDER BY created_at, handle`,
    );
    this.#roomCodes = db.prepare(
      `SELECT count(*) AS n FROM codes
       WHERE kind = 'room' AND handle = ? AND used_at IS NULL AND expires_at > ?`,
    );
    this.#insertRoom = db.prepare(
      "INSERT INTO rooms (name, visibility, history, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.#insertMember = db.prepare(
      `INSERT INTO room_members (room, member, role, joined_seq, joined_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.#deleteMember = db.prepare("DELETE FROM room_members WHERE room = ? AND member = ?");
    this.#countMembers = db.prepare("SELECT count(*) AS n FROM room_members WHERE room = ?");
    this.#roomExists = db.prepare("SELECT 1 AS yes FROM rooms WHERE name = ?");
    this.#setRole = db.prepare("UPDATE room_members SET role = ? WHERE room = ? AND member = ?");
    this.#insertInvite = db.prepare(
      `INSERT INTO room_invites (room, handle, invited_by, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (room, handle) DO UPDATE SET
         invited_by = excluded.invited_by, created_at = excluded.created_at,
         expires_at = excluded.expires_at
       WHERE room_invites.expires_at <= excluded.created_at`,
    );
    this.#deleteInvite = db.prepare("DELETE FROM room_invites WHERE room = ? AND handle = ?");
    this.#pruneInvites = db.prepare("DELETE FROM room_invites WHERE room = ? AND expires_at <= ?");
    this.#deleteRoomRows = [
      "DELETE FROM rooms WHERE name = ?",
      "DELETE FROM room_members WHERE room = ?",
      "DELETE FROM room_invites WHERE room = ?",
      "DELETE FROM codes WHERE kind = 'room' AND handle = ?",
      "DELETE FROM messages WHERE grp = ?",
      "DELETE FROM cursors WHERE grp = ?",
    ].map((sql) => db.prepare(sql));
  }

  /** This database's lasting id (32 hex digits), made when the file was created. */
  serverId(): string {
    return this.#serverId;
  }

  /** The highest sequence committed in `group` (0 for none), whichever connection committed it. */
  lastSeq(group: string): number {
    return (this.#maxSeq.get(group) as { seq: number }).seq;
  }

  /** The highest sequence committed in each of `groups` (0 for none), in their order. */
  lastSeqs(groups: readonly string[]): number[] {
    if (groups.length === 0) return [];
    const rows = this.#maxSeqs.all(JSON.stringify(groups)) as { seq: number }[];
    return rows.map((row) => row.seq);
  }

  #committedSeq(group: string): number {
    let seq = this.#lastSeq.get(group);
    if (seq === undefined) {
      seq = this.lastSeq(group);
      this.#lastSeq.set(group, seq);
    }
    return seq;
  }

  /**
   * Stores messages and cursors in one transaction, one commit, giving each message
   * the next sequence of its group. A message whose (sender, group, client message id)
   * is already stored is not stored again: its original is returned, marked duplicate.
   * All or nothing: on error nothing is stored and the error is thrown.
   *
   * @throws {Error} what SQLite refused (a value a column does not take, a full disk);
   * nothing of the call is stored.
   */
  commit(messages: readonly NewMessage[], cursors: readonly CursorUpdate[] = []): Appended[] {
    const before = new Map<string, number>();
    try {
      return this.#transaction(() => {
        const results: Appended[] = [];
        for (const m of messages) {
          const last = this.#committedSeq(m.group);
          if (!before.has(m.group)) before.set(m.group, last);
          const seq = last + 1;
          const { changes } = this.#insertMessage.run(
            m.group,
            seq,
            m.senderId,
            m.senderName,
            m.clientMsgId,
            m.text,
            m.sentAtMs,
            m.body,
          );
          if (changes === 1) {
            this.#lastSeq.set(m.group, seq);
            results.push({
              group: m.group,
              duplicate: false,
              message: storedMessage(m, seq, m.sentAtMs),
            });
          } else {
            // The unique index refused it: a retry. Answer with the original.
            const original = this.#messageByRetryKey.get(
              m.senderId,
              m.group,
              m.clientMsgId,
            ) as unknown as StoredMessage;
            results.push({ group: m.group, message: original, duplicate: true });
          }
        }
        for (const c of cursors) this.#upsertCursor.run(c.clientId, c.group, c.seq);
        return results;
      });
    } catch (error) {
      // Rolled back: the sequences this call took are free again.
      for (const [group, seq] of before) this.#lastSeq.set(group, seq);
      throw error;
    }
  }

  /** Messages of `group` with `after < seq <= through`, in order. */
  readRange(group: string, after: number, through: number): StoredMessage[] {
    return this.#readRange.all(group, after, through) as unknown as StoredMessage[];
  }

  /** Like {@link readRange}, with only what a delivery frame needs: the catch-up path. */
  readFrameRange(group: string, after: number, through: number): FrameMessage[] {
    const [seqs, senders, lengths, bodies] = this.#readFrameRange.get(
      group,
      after,
      through,
    ) as unknown as [string | null, string, string, Uint8Array];
    if (seqs === null) return [];
    // Sender ids are hex and sequences numbers, so the commas cannot be part of a value.
    const seq = seqs.split(","), senderId = senders.split(","), length = lengths.split(",");
    const messages: FrameMessage[] = new Array(seq.length);
    let at = 0;
    let ordered = true;
    for (let i = 0; i < seq.length; i++) {
      const end = at + Number(length[i]);
      messages[i] = { seq: Number(seq[i]), senderId: senderId[i], body: bodies.subarray(at, end) };
      if (i > 0 && messages[i].seq < messages[i - 1].seq) ordered = false;
      at = end;
    }
    // SQLite feeds an aggregate in its subquery's order, though it does not promise to
    // (an ORDER BY inside each aggregate doubles the cost): a frame must be in order.
    return ordered ? messages : messages.sort((a, b) => a.seq - b.seq);
  }

  /** The highest sequence `clientId` has acknowledged in `group` (0 for none). */
  cursor(clientId: string, group: string): number {
    return (this.#readCursor.get(clientId, group) as { seq: number } | undefined)?.seq ?? 0;
  }

  /** How many messages after `after` in `group` were sent by someone other than `clientId`. */
  countUnread(group: string, after: number, clientId: string): number {
    return (this.#countUnread.get(group, after, clientId) as { n: number }).n;
  }

  /**
   * Stores a new device and applies its proof, in one transaction; see
   * {@link StoreWriter.addClient}.
   *
   * @throws {ProofRefusedError} if the proof does not hold; nothing is stored.
   * @throws {Error} if a client with this id is already stored; it is left as it was.
   */
  addClient(client: NewClient): ClientRecord {
    return this.#transaction(() => {
      const now = Date.now();
      const account = this.#prove(client.proof, now);
      this.#insertClient.run(client.id, client.name, client.keyHash, now, account);
      return { id: client.id, name: client.name, keyHash: client.keyHash, account };
    });
  }

  /** The account `proof` gives (null: a guest), with its claim or code use done. */
  #prove(proof: Proof, now: number): string | null {
    switch (proof.kind) {
      case "guest":
        return null;
      case "first-use":
        return this.#insertAccount.run(proof.handle, now).changes === 1 ? proof.handle : null;
      case "token":
        this.#insertAccount.run(proof.handle, now);
        this.#roomForDevice(proof.handle);
        return proof.handle;
      case "invite": {
        const code = this.#takeCode(proof.codeHash, "invite", now);
        const handle = code.handle ?? proof.handle;
        if (!handle) {
          throw new ProofRefusedError(
            "this invite names no handle, and your name cannot be one (ASCII letters, digits, '.', '_', '-')",
          );
        }
        if (this.#insertAccount.run(handle, now).changes !== 1) {
          throw new ProofRefusedError(`the handle ${handle} is already taken`);
        }
        return handle;
      }
      case "link": {
        const { handle, creator } = this.#takeCode(proof.codeHash, "link", now);
        // The device that made the code must still be that account's: a code made before a
        // revoke or a release grants nothing.
        if (handle === null || creator === null || this.client(creator)?.account !== handle) {
          throw new ProofRefusedError(
            "the device that made this link code is no longer the account's",
          );
        }
        this.#roomForDevice(handle);
        return handle;
      }
    }
  }

  #takeCode(
    hash: Uint8Array,
    kind: NewCode["kind"],
    now: number,
  ): { handle: string | null; creator: string | null } {
    const row = this.#useCode.get(now, hash, kind, now) as
      | { handle: string | null; creator: string | null }
      | undefined;
    if (!row) {
      throw new ProofRefusedError(
        `the ${kind} code is not valid (unknown, already used or expired)`,
      );
    }
    return row;
  }

  /** Every room with its members (longest-standing first) and invites, by name. */
  rooms(): RoomRecord[] {
    const rooms = new Map<string, RoomRecord>();
    for (const row of this.#rooms.all() as unknown as RoomRecord[]) {
      rooms.set(row.name, { ...row, members: [], invited: [] });
    }
    for (
      const row of this.#roomMembers.all() as unknown as (RoomMemberRecord & { room: string })[]
    ) {
      const { room, ...member } = row;
      rooms.get(room)?.members.push(member);
    }
    const invites = this.#roomInvites.all(Date.now()) as {
      room: string;
      handle: string;
      expiresAtMs: number;
    }[];
    for (const { room, handle, expiresAtMs } of invites) {
      rooms.get(room)?.invited.push({ handle, expiresAtMs });
    }
    return [...rooms.values()];
  }

  /** The room `name` as {@link rooms} gives it, if it exists. */
  room(name: string): RoomRecord | undefined {
    const row = this.#room.get(name) as Omit<RoomRecord, "members" | "invited"> | undefined;
    if (!row) return undefined;
    // Spread into plain objects, as rooms() makes them: node:sqlite's rows have no prototype.
    const members = (this.#membersOf.all(name) as unknown as RoomMemberRecord[])
      .map((member) => ({ ...member }));
    const invited = (this.#invitesOf.all(name, Date.now()) as {
      handle: string;
      expiresAtMs: number;
    }[]).map(({ handle, expiresAtMs }) => ({ handle, expiresAtMs }));
    return { ...row, members, invited };
  }

  /** How many unused, unexpired one-time codes of `room` are outstanding. */
  roomCodes(room: string): number {
    return (this.#roomCodes.get(room, Date.now()) as { n: number }).n;
  }

  /**
   * Makes a change to rooms in one transaction; see {@link StoreWriter.changeRoom}.
   *
   * @throws {ProofRefusedError} if a join's room code does not hold; nothing is stored.
   * @throws {Error} for a change to a room that is not there, or of a member who is not in it
   *   (the server's view and the file's differ: a bug, refused rather than stored), and what
   *   SQLite refused (a room that exists, a member already in); nothing is stored.
   */
  changeRoom(change: RoomChange): RoomChanged {
    return this.#transaction(() => {
      const now = Date.now();
      const room = change.op === "create" ? change.room.name : change.room;
      if (change.op !== "create" && !this.#roomExists.get(room)) {
        throw new Error(`there is no room ${JSON.stringify(room)} to ${change.op}`);
      }
      const changed = (changes: number | bigint) => {
        if (Number(changes) !== 1) throw new Error(`${change.op}: no such member of ${room}`);
      };
      switch (change.op) {
        case "create": {
          const { name, visibility, history, createdBy, createdAtMs } = change.room;
          this.#insertRoom.run(name, visibility, history, createdBy, createdAtMs);
          this.#addMember(name, change.owner);
          break;
        }
        case "join":
          if (change.codeHash) {
            const code = this.#takeCode(change.codeHash, "room", now);
            if (code.handle !== change.room) {
              throw new ProofRefusedError(
                "the room code is not valid (unknown, already used or expired)",
              );
            }
          }
          this.#addMember(change.room, change.member);
          break;
        case "leave":
          changed(this.#deleteMember.run(change.room, change.member).changes);
          if ((this.#countMembers.get(change.room) as { n: number }).n === 0) {
            this.#deleteRoom(change.room);
            return { deleted: true };
          }
          break;
        case "invite":
          this.#pruneInvites.run(change.room, now);
          this.#insertInvite.run(change.room, change.handle, change.by, now, change.expiresAtMs);
          break;
        case "role":
          changed(this.#setRole.run(change.role, change.room, change.member).changes);
          break;
      }
      return { deleted: false };
    });
  }

  #addMember(room: string, m: RoomMemberRecord): void {
    this.#insertMember.run(room, m.member, m.role, m.joinedSeq, m.joinedAtMs);
    this.#deleteInvite.run(room, m.member);
  }

  /** Deletes `room` with its members, invites, codes, messages and cursors. */
  #deleteRoom(room: string): void {
    for (const statement of this.#deleteRoomRows) statement.run(room);
    // A room made later under the same name starts at sequence 1 again.
    this.#lastSeq.delete(room);
  }

  /**
   * Takes `member` out of every room it is in (and its invites): a room left without an owner
   * gets its longest-standing admin, else member, that is an account as owner; a room left
   * with no account (empty, or guests only) is deleted.
   */
  #dropMember(member: string): void {
    const rooms = this.#db.prepare("SELECT room FROM room_members WHERE member = ?").all(
      member,
    ) as { room: string }[];
    this.#db.prepare("DELETE FROM room_invites WHERE handle = ?").run(member);
    for (const { room } of rooms) {
      this.#deleteMember.run(room, member);
      const left = this.#db.prepare(
        `SELECT member, role FROM room_members WHERE room = ? ORDER BY joined_at, member`,
      ).all(room) as { member: string; role: string }[];
      if (left.some((m) => m.role === "owner")) continue;
      // A room is run by accounts: its longest-standing admin, else member, that is one.
      const accounts = left.filter((m) => guestOf(m.member) === undefined);
      const heir = accounts.find((m) => m.role === "admin") ?? accounts[0];
      if (heir) this.#setRole.run("owner", room, heir.member);
      else this.#deleteRoom(room);
    }
  }

  #roomForDevice(handle: string): void {
    if (this.devicesOf(handle) >= MAX_DEVICES_PER_ACCOUNT) {
      throw new ProofRefusedError(
        `the account ${handle} has ${MAX_DEVICES_PER_ACCOUNT} devices, the most it may have; revoke one first`,
      );
    }
  }

  /** Stores a one-time code's hash, clearing used and expired ones. */
  addCode(code: NewCode): void {
    const now = Date.now();
    this.#transaction(() => {
      this.#pruneCodes.run(now);
      this.#insertCode.run(
        code.hash,
        code.kind,
        code.handle,
        code.creator ?? null,
        now,
        code.expiresAtMs,
      );
    });
  }

  /**
   * Deletes the account `handle` and its link codes; its devices become guests. Returns how
   * many devices it had, or -1 if there was no such account.
   */
  releaseHandle(handle: string): number {
    return this.#transaction(() => {
      if (!this.#accountExists.get(handle)) return -1;
      this.#releaseAccount.run(handle);
      this.#dropLinkCodes.run(handle);
      this.#dropMember(handle);
      return Number(this.#orphanDevices.run(handle).changes);
    });
  }

  /** Forgets the device `clientId` and a guest's rooms; returns whether it existed. */
  revokeDevice(clientId: string): boolean {
    return this.#transaction(() => {
      const client = this.client(clientId);
      if (!client) return false;
      this.#deleteClient.run(clientId);
      if (client.account === null) this.#dropMember(memberKey(client));
      return true;
    });
  }

  /** Runs `work` in one transaction: all of it, or (on a throw) none of it. */
  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** The client with this id, if registered. */
  client(id: string): ClientRecord | undefined {
    const row = this.#readClient.get(id) as ClientRecord | undefined;
    return row && {
      id: row.id,
      name: row.name,
      keyHash: new Uint8Array(row.keyHash),
      account: row.account ?? null,
    };
  }

  /** How many devices prove `handle`. */
  devicesOf(handle: string): number {
    return (this.#countDevices.get(handle) as { n: number }).n;
  }

  /** How many guest devices are registered. */
  guestCount(): number {
    return (this.#countGuests.get() as { n: number }).n;
  }

  /** Closes the connection and releases the lock file; later calls throw. Idempotent. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
    this.#lock?.close();
    this.#lock = undefined;
  }
}

/**
 * Brings the schema of `db` to {@link SCHEMA_VERSION}, in one transaction, and gives the
 * database's id: made here when the file is new, read back otherwise, so that every
 * connection to one file, the writer's too, gives the same.
 */
function prepareSchema(db: DatabaseSync): string {
  db.exec("BEGIN IMMEDIATE");
  try {
    const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `it was written by a newer grpc-chat (schema ${version}, this one knows ${SCHEMA_VERSION})`,
      );
    }
    if (version === 1) upgradeFromVersion1(db);
    if (version === 1 || version === 2) upgradeFromVersion2(db);
    if (version >= 1 && version <= 3) upgradeFromVersion3(db);
    db.exec(SCHEMA);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('server_id', ?)").run(
      newServerId(),
    );
    if (version !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    const { value } = db.prepare("SELECT value FROM meta WHERE key = 'server_id'").get() as {
      value: string;
    };
    db.exec("COMMIT");
    return value;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** Version 1 had no message bodies: add the column and make them (in the caller's transaction). */
function upgradeFromVersion1(db: DatabaseSync): void {
  db.exec("ALTER TABLE messages ADD COLUMN body BLOB NOT NULL DEFAULT x''");
  const rows = db.prepare(
    "SELECT grp, seq, sender_id AS senderId, sender_name AS senderName, text, sent_at AS sentAtMs FROM messages",
  ).all() as unknown as (Omit<BodyFields, "senderHandle"> & { grp: string; seq: number })[];
  const update = db.prepare("UPDATE messages SET body = ? WHERE grp = ? AND seq = ?");
  // Version 1 knew no accounts: every sender was a guest.
  for (const row of rows) update.run(encodeBody({ ...row, senderHandle: "" }), row.grp, row.seq);
}

/**
 * Version 2's retry key left out the group, so an id reused in another group was taken for a
 * retry and the message dropped. Its index goes; {@link SCHEMA} makes the new one, which the
 * stored rows satisfy (unique without the group, they are unique with it).
 */
function upgradeFromVersion2(db: DatabaseSync): void {
  db.exec("DROP INDEX IF EXISTS messages_by_client_msg_id");
}

/**
 * Version 3 had no accounts: display names were the credential. Each name that is a valid
 * handle becomes the account of the first device that registered with it, as claim on first
 * use would have done; later devices of that name, and names that are no handle, are guests.
 */
function upgradeFromVersion3(db: DatabaseSync): void {
  const hasClients = db.prepare(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clients'",
  ).get();
  if (!hasClients) return; // SCHEMA makes the table, with its account column.
  db.exec("ALTER TABLE clients ADD COLUMN account TEXT");
  db.exec(ACCOUNTS_SCHEMA);
  const clients = db.prepare(
    "SELECT id, name, created_at AS at FROM clients ORDER BY created_at, id",
  )
    .all() as { id: string; name: string; at: number }[];
  const claim = db.prepare(
    "INSERT INTO accounts (handle, created_at) VALUES (?, ?) ON CONFLICT (handle) DO NOTHING",
  );
  const own = db.prepare("UPDATE clients SET account = ? WHERE id = ?");
  for (const { id, name, at } of clients) {
    const handle = handleOf(name);
    if (handle && claim.run(handle, at).changes === 1) own.run(handle, id);
  }
}

/** 128 random bits in hex. */
function newServerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Takes the lock file of `path`, or says who holds it. */
function lockFile(path: string): Deno.FsFile {
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(`${path}.lock`, { create: true, write: true, mode: 0o600 });
  } catch (error) {
    throw new StoreOpenError(`cannot use database ${path}: ${messageOf(error)}`);
  }
  if (!lock.tryLockSync(true)) {
    lock.close();
    throw new StoreOpenError(
      `database ${path} is in use by another process (is another server running on it?)`,
    );
  }
  return lock;
}

function describeOpenError(path: string, error: unknown): string {
  const message = messageOf(error);
  if (/locked|busy/i.test(message)) {
    return `database ${path} is in use by another process (is another server running on it?)`;
  }
  if (/not a database|malformed|corrupt/i.test(message)) {
    return `database ${path} is not a grpc-chat database or is corrupt (${message}); move it away or pick another with -db`;
  }
  if (/readonly|read-only|unable to open|permission/i.test(message)) {
    return `database ${path} cannot be written (${message}); check its permissions or pick another with -db`;
  }
  return `cannot use database ${path}: ${message}`;
}
