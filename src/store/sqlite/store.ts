/**
 * The durable state of a grpc-chat server in one SQLite file: clients, group
 * messages with their sequence numbers, each client's cursor per group, and
 * the database's lasting id.
 *
 * Every method is synchronous (node:sqlite). A server holds two connections
 * (see `mod.ts`): the serving thread's for reads, the writer's for commits.
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
  type NewMessage,
  type StoredMessage,
  storedMessage,
  StoreOpenError,
  type StoreReader,
} from "../types.ts";

/**
 * 2 added messages.body; 3 made the retry key (sender, group, client message id), it was
 * (sender, client message id), and added the meta table. Older files are upgraded when opened.
 */
const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS clients (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
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
 * whose {@link SqliteStore.commit} allocates every sequence number.
 */
export class SqliteStore implements StoreReader {
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
  #maxSeq: StatementSync;

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
    this.#upsertCursor = db.prepare(
      `INSERT INTO cursors (client_id, grp, seq) VALUES (?, ?, ?)
       ON CONFLICT (client_id, grp) DO UPDATE SET seq = max(seq, excluded.seq)`,
    );
    this.#readCursor = db.prepare("SELECT seq FROM cursors WHERE client_id = ? AND grp = ?");
    this.#countUnread = db.prepare(
      "SELECT count(*) AS n FROM messages WHERE grp = ? AND seq > ? AND sender_id <> ?",
    );
    this.#insertClient = db.prepare(
      "INSERT INTO clients (id, name, key_hash, created_at) VALUES (?, ?, ?, ?)",
    );
    this.#readClient = db.prepare("SELECT id, name, key_hash AS keyHash FROM clients WHERE id = ?");
    this.#maxSeq = db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM messages WHERE grp = ?");
  }

  /** This database's lasting id (32 hex digits), made when the file was created. */
  serverId(): string {
    return this.#serverId;
  }

  /** The highest sequence committed in `group` (0 for none), whichever connection committed it. */
  lastSeq(group: string): number {
    return (this.#maxSeq.get(group) as { seq: number }).seq;
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
    const results: Appended[] = [];
    const before = new Map<string, number>();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
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
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      for (const [group, seq] of before) this.#lastSeq.set(group, seq);
      throw error;
    }
    return results;
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
   * Stores a new client (durably: a client must never be handed an id the server forgets).
   *
   * @throws {Error} if a client with this id is already stored; it is left as it was.
   */
  addClient(client: ClientRecord): void {
    this.#insertClient.run(client.id, client.name, client.keyHash, Date.now());
  }

  /** The client with this id, if registered. */
  client(id: string): ClientRecord | undefined {
    const row = this.#readClient.get(id) as ClientRecord | undefined;
    return row && { id: row.id, name: row.name, keyHash: new Uint8Array(row.keyHash) };
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
  ).all() as unknown as (BodyFields & { grp: string; seq: number })[];
  const update = db.prepare("UPDATE messages SET body = ? WHERE grp = ? AND seq = ?");
  for (const row of rows) update.run(encodeBody(row), row.grp, row.seq);
}

/**
 * Version 2's retry key left out the group, so an id reused in another group was taken for a
 * retry and the message dropped. Its index goes; {@link SCHEMA} makes the new one, which the
 * stored rows satisfy (unique without the group, they are unique with it).
 */
function upgradeFromVersion2(db: DatabaseSync): void {
  db.exec("DROP INDEX IF EXISTS messages_by_client_msg_id");
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
