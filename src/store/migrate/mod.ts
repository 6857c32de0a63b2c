/**
 * `deno task admin migrate`: copies a grpc-chat SQLite database (what `deno task server -db
 * FILE` made) into a PostgreSQL database, so that a team moves to several nodes
 * (src/store/postgres) without losing history.
 *
 * **What is copied.** Every account, device (client, with its key hash and account), message
 * (group, sequence, sender, name, client message id, text, encoded body, time), cursor, room
 * with its members, roles and invites, and the one-time codes still valid (neither used nor
 * expired: the others grant nothing, and the SQLite backend itself clears them lazily). Each
 * group's counter row (`groups.last_seq`, which allocates sequences on PostgreSQL) is set to
 * the group's highest sequence, so that the next message of a group gets the next sequence.
 *
 * **The server id.** The source's id becomes the target's (`meta.server_id`): clients file
 * their identities by server id (src/client/identity_store.ts), so a device that reaches the
 * new nodes resumes as itself (same id, key, account, cursors) instead of registering anew and
 * being sent the whole history again. The id PostgreSQL's schema was made with is dropped.
 *
 * **What is not copied.** What the server keeps outside its database: the operator secret
 * (`<db>.admin-secret`: give it to the nodes with `-admin_secret`), and the groups, members and
 * modes of the command line (`-group`, `-members`, `-claim`, `-jwt_key`): start the nodes with
 * the same flags.
 *
 * **Safety.**
 * - The source is only read (opened read-only, in one read transaction). Its lock file
 *   (`<path>.lock`, which a running server holds: src/store/sqlite/store.ts) is taken for the
 *   whole copy, so a server running on it is refused up front, and none can start on it
 *   meanwhile.
 * - The target's schema is made (or upgraded) by the PostgreSQL backend's own code
 *   ({@link prepareSchema}), as a node would make it; then everything else is one
 *   transaction: all of it is copied or, on any error, nothing.
 * - That transaction locks the chat's tables first, and refuses a database that grpc-chat
 *   nodes are connected to: they would not see the copy (they read rooms and devices when they
 *   start, and hear of changes only by NOTIFY).
 * - A target holding any row (a message, a device, an account, a room, a code, a cursor) is
 *   refused, nothing changed. (What crashed nodes left of who was online is no content: it
 *   is cleared.) With {@link MigrateOptions.force} its rows are deleted and
 *   replaced by the source's instead, in the same transaction: a failed copy leaves them as
 *   they were. Nothing is ever merged: two databases' sequences cannot be.
 * - Before COMMIT the copy is checked: every table's count equals the source's, and in each
 *   group the count, the highest sequence and `groups.last_seq` agree with the source.
 *
 * **Speed.** Rows go in batches (one `INSERT ... SELECT FROM unnest($1::text[], ...)` per
 * batch: a statement of a fixed shape with one array per column), while the next batch is read
 * from SQLite. Measured on 2 cores with a local PostgreSQL 15 (fsync on): 100,000 messages in
 * 2.2-3.3 s, 1,000,000 in 30 s, about 35,000 messages a second, the time going to PostgreSQL's
 * inserts and index upkeep.
 *
 * Needs read access to the SQLite file, network access to PostgreSQL and the `PG*`
 * environment (the `pg` driver reads PGPASSWORD and the like).
 *
 * @example Copy a file into a database
 * ```ts ignore
 * import { migrate } from "./mod.ts";
 *
 * const summary = await migrate({
 *   from: "chat.db",
 *   to: "postgres://chat@127.0.0.1:5432/chat",
 *   onProgress: (event) => console.error(event),
 * });
 * console.log(summary.counts.messages, "messages copied");
 * ```
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import pg from "pg";
import { messageOf } from "../../shared/errors.ts";
import { StoreOpenError } from "../types.ts";
import {
  checkUrl,
  clientConfig,
  describeOpenError,
  redactUrl,
  sqlState,
} from "../postgres/connect.ts";
import { prepareSchema } from "../postgres/schema.ts";

/**
 * The SQLite schema version this code reads: src/store/sqlite/store.ts's `SCHEMA_VERSION`.
 * A file of an older version is refused (a server upgrades it when it opens it), and so is a
 * newer one: this code does not know its tables.
 */
export const SOURCE_SCHEMA_VERSION = 5;

/** The tables copied, in the order they are: each table's rows before those that name them. */
export const TABLES = [
  "accounts",
  "clients",
  "codes",
  "groups",
  "messages",
  "cursors",
  "rooms",
  "room_members",
  "room_invites",
] as const;

/** A table copied. */
export type Table = typeof TABLES[number];

/** A number of rows per table. */
export type Counts = Record<Table, number>;

/**
 * The target's tables of running nodes (who is online where: src/store/postgres/presence.ts),
 * not copied and not counted as content: since no node may be connected, what they hold was
 * left by nodes that crashed. They are emptied with the copy.
 */
const NODE_TABLES = ["nodes", "presence"] as const;

/** Rows per INSERT unless told: about 2 MB of statement for messages of 100 bytes. */
export const DEFAULT_BATCH_SIZE = 5_000;

/** How long the copy waits for the chat's tables (a node's transaction in flight). */
const LOCK_TIMEOUT = "10s";

/** How long nodes that were just stopped may take to go from `pg_stat_activity`. */
const NODES_GONE_MS = 3_000;

/** The `application_name` of the copy's connection, so that it is not taken for a node's. */
const APPLICATION_NAME = "grpc-chat migrate";

/**
 * Raised when the copy is refused or cannot be made: the source or the target cannot be used
 * as they are (no such file, in use, not a grpc-chat database, a non-empty target, nodes
 * connected, a check after the copy failed). The message names the file or the database and
 * says what to do. Nothing was changed, but for a schema made in an empty database.
 */
export class MigrateError extends Error {
  override name = "MigrateError";
}

/** How to {@link migrate}. */
export interface MigrateOptions {
  /** The SQLite file, as `deno task server -db` was given it. */
  from: string;
  /** The PostgreSQL database, `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`; it must exist. */
  to: string;
  /**
   * Replace what the target holds (deleted in the copy's transaction) rather than refuse it.
   * Nodes connected to it are refused all the same.
   */
  force?: boolean;
  /** Rows per INSERT: {@link DEFAULT_BATCH_SIZE} unless told. */
  batchSize?: number;
  /** Told of each step: see {@link MigrateEvent}. */
  onProgress?: (event: MigrateEvent) => void;
}

/** What the source holds, as read before the copy. */
export interface SourceInfo {
  /** The file. */
  path: string;
  /** Its server id, which the target takes. */
  serverId: string;
  /** The rows to copy, per table (`groups`: the groups that have messages). */
  counts: Counts;
  /** One-time codes used or expired, which are not copied. */
  codesLeftBehind: number;
}

/** A step of {@link migrate}, for progress lines. */
export type MigrateEvent =
  /** The source is read and the target locked; `replacing`: what `force` deletes, if anything. */
  | { kind: "start"; source: SourceInfo; target: string; replacing?: Counts }
  /** `rows` of `total` rows of `table` are in (not yet committed). */
  | { kind: "copied"; table: Table; rows: number; total: number }
  /** The counts and sequences were checked; COMMIT follows. */
  | { kind: "verified" };

/** What {@link migrate} did. */
export interface MigrateSummary {
  /** The source file. */
  from: string;
  /** The target, its URL without a password. */
  to: string;
  /** The source's server id, now the target's too. */
  serverId: string;
  /** The server id the target had before (made with its schema), now dropped. */
  previousServerId: string;
  /** Rows copied per table. */
  counts: Counts;
  /** One-time codes used or expired, not copied. */
  codesLeftBehind: number;
  /** With `force`: the rows the target held, deleted. Undefined when it held none. */
  replaced?: Counts;
  /** How long it took, from opening the source to COMMIT. */
  ms: number;
}

/** One table's copy: the SQLite query giving its rows, and PostgreSQL's types of its columns. */
interface TableCopy {
  table: Exclude<Table, "groups">;
  columns: readonly string[];
  types: readonly string[];
  /** The source rows, in the order of {@link columns}; `?` is now (for codes). */
  select: string;
}

const COPIES: readonly TableCopy[] = [
  {
    table: "accounts",
    columns: ["handle", "created_at"],
    types: ["text", "bigint"],
    select: "SELECT handle, created_at FROM accounts",
  },
  {
    table: "clients",
    columns: ["id", "name", "key_hash", "created_at", "account"],
    types: ["text", "text", "bytea", "bigint", "text"],
    select: "SELECT id, name, key_hash, created_at, account FROM clients",
  },
  {
    table: "codes",
    columns: ["hash", "kind", "handle", "creator", "created_at", "expires_at", "used_at"],
    types: ["bytea", "text", "text", "text", "bigint", "bigint", "bigint"],
    select: `SELECT hash, kind, handle, creator, created_at, expires_at, used_at FROM codes
      WHERE ${validCode("?")}`,
  },
  {
    table: "messages",
    columns: [
      "grp",
      "seq",
      "sender_id",
      "sender_name",
      "client_msg_id",
      "text",
      "body",
      "sent_at",
    ],
    types: ["text", "bigint", "text", "text", "text", "text", "bytea", "bigint"],
    // In key order: the primary key's own order, no sort.
    select: `SELECT grp, seq, sender_id, sender_name, client_msg_id, text, body, sent_at
      FROM messages ORDER BY grp, seq`,
  },
  {
    table: "cursors",
    columns: ["client_id", "grp", "seq"],
    types: ["text", "text", "bigint"],
    select: "SELECT client_id, grp, seq FROM cursors",
  },
  {
    table: "rooms",
    columns: ["name", "visibility", "history", "created_by", "created_at"],
    types: ["text", "text", "text", "text", "bigint"],
    select: "SELECT name, visibility, history, created_by, created_at FROM rooms",
  },
  {
    table: "room_members",
    columns: ["room", "member", "role", "joined_seq", "joined_at"],
    types: ["text", "text", "text", "bigint", "bigint"],
    select: "SELECT room, member, role, joined_seq, joined_at FROM room_members",
  },
  {
    table: "room_invites",
    columns: ["room", "handle", "invited_by", "created_at", "expires_at"],
    types: ["text", "text", "text", "bigint", "bigint"],
    select: "SELECT room, handle, invited_by, created_at, expires_at FROM room_invites",
  },
];

/** The condition of a code that still grants something, `now` being SQL for the time. */
function validCode(now: string): string {
  return `used_at IS NULL AND expires_at > ${now}`;
}

/** One statement per batch: the same text whatever the batch, so PostgreSQL plans it once. */
function insertSql(table: string, columns: readonly string[], types: readonly string[]): string {
  const arrays = types.map((type, i) => `$${i + 1}::${type}[]`).join(", ");
  return `INSERT INTO ${table} (${columns.join(", ")}) SELECT * FROM unnest(${arrays})`;
}

/** Each group's message count and highest sequence, by name. */
type GroupStats = Map<string, { count: number; last: number }>;

/**
 * Copies the SQLite database `options.from` into the PostgreSQL database `options.to`, as the
 * module's description says: the target's schema made by the PostgreSQL backend, then one
 * transaction that copies every table in batches, sets each group's counter row and the
 * server id, checks the copy and commits.
 *
 * @throws {MigrateError} if the source or the target cannot be used as they are (see
 *   {@link MigrateError}), or the check after the copy fails; nothing is copied.
 * @throws {RangeError} if `options.batchSize` is not a positive integer.
 * @throws {Error} what PostgreSQL refused while copying (a lost connection, a value it does not
 *   take); the transaction is rolled back, nothing is copied.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateSummary> {
  const { from, to, force = false, batchSize = DEFAULT_BATCH_SIZE, onProgress } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
  }
  const started = performance.now();
  try {
    checkUrl(to);
  } catch (error) {
    throw new MigrateError(messageOf(error));
  }
  const where = redactUrl(to);
  // The source first: a server on it is refused before the target is touched.
  using source = openSource(from);
  // No time bounds: one copy of a large database may run long, and nothing else waits on it.
  const client = new pg.Client({
    ...clientConfig(to),
    application_name: APPLICATION_NAME,
    statement_timeout: 0,
    query_timeout: undefined,
  });
  client.on("error", () => {}); // a lost connection fails the query in flight, said there
  try {
    let previousServerId: string;
    try {
      await client.connect();
      previousServerId = await prepareSchema(client, where);
    } catch (error) {
      throw new MigrateError(
        error instanceof StoreOpenError ? error.message : describeOpenError(to, error),
      );
    }
    await client.query("BEGIN");
    try {
      const replaced = await claimTarget(client, where, force, clientConfig(to).application_name!);
      const info = source.info();
      onProgress?.({ kind: "start", source: info, target: where, replacing: replaced });
      const counts = await copyAll(client, source, batchSize, onProgress);
      await verify(client, where, info.counts, source.groupStats());
      onProgress?.({ kind: "verified" });
      await client.query("UPDATE meta SET value = $1 WHERE key = 'server_id'", [info.serverId]);
      const committed = await client.query("COMMIT");
      if (committed.command !== "COMMIT") {
        throw new Error(`PostgreSQL rolled the copy back (${committed.command})`);
      }
      return {
        from,
        to: where,
        serverId: info.serverId,
        previousServerId,
        counts,
        codesLeftBehind: info.codesLeftBehind,
        replaced,
        ms: performance.now() - started,
      };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Locks the chat's tables in `client`'s transaction, refuses a target that nodes are connected
 * to, and one that holds rows unless `force` (then deletes them). Returns what was deleted.
 */
async function claimTarget(
  client: pg.Client,
  where: string,
  force: boolean,
  nodeApplication: string,
): Promise<Counts | undefined> {
  await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  try {
    // Exclusive of reads too: a node that starts meanwhile waits, then reads the copy.
    await client.query(
      `LOCK TABLE meta, ${[...TABLES, ...NODE_TABLES].join(", ")} IN ACCESS EXCLUSIVE MODE`,
    );
  } catch (error) {
    if (sqlState(error) !== "55P03") throw error; // lock_not_available
    throw new MigrateError(
      `the tables of PostgreSQL database ${where} stayed locked for ${LOCK_TIMEOUT}: grpc-chat ` +
        `nodes (or another migrate) are using it; stop them, then migrate`,
    );
  }
  const nodes = await connectedNodes(client, nodeApplication);
  if (nodes > 0) {
    throw new MigrateError(
      `grpc-chat nodes are connected to PostgreSQL database ${where} (${nodes} ` +
        `connection${nodes === 1 ? "" : "s"}): stop them, then migrate; nodes started ` +
        `during the copy would not see it`,
    );
  }
  const held = await countRows(client);
  const empty = !TABLES.some((table) => held[table] > 0);
  if (!empty && !force) {
    throw new MigrateError(
      `PostgreSQL database ${where} is not empty: it holds ${describeCounts(held)}; migrate ` +
        `copies into an empty database only (nothing was changed): name another, or give ` +
        `-force to delete what it holds and replace it with the copy`,
    );
  }
  // In the copy's transaction: a copy that fails gives the rows back.
  await client.query(`TRUNCATE ${[...(empty ? [] : TABLES), ...NODE_TABLES].join(", ")}`);
  return empty ? undefined : held;
}

/**
 * How many connections of grpc-chat nodes (`application_name` = `nodeApplication`) the target
 * database has, waiting a little for those of nodes just stopped to go.
 */
async function connectedNodes(client: pg.Client, nodeApplication: string): Promise<number> {
  const deadline = Date.now() + NODES_GONE_MS;
  for (;;) {
    // pg_stat_activity is read once per transaction unless its snapshot is cleared.
    await client.query("SELECT pg_stat_clear_snapshot()");
    const { rows: [{ n }] } = await client.query<{ n: number }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`,
      [nodeApplication],
    );
    if (n === 0 || Date.now() >= deadline) return n;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The rows of every copied table of the target, in `client`'s transaction. */
async function countRows(client: pg.Client): Promise<Counts> {
  const { rows: [row] } = await client.query<Counts>(
    `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ")}`,
  );
  return row;
}

/** Copies every table from `source` in batches, in `client`'s transaction. */
async function copyAll(
  client: pg.Client,
  source: Source,
  batchSize: number,
  onProgress: MigrateOptions["onProgress"],
): Promise<Counts> {
  const totals = source.info().counts;
  const counts = Object.fromEntries(TABLES.map((t) => [t, 0])) as Counts;
  const tell = (table: Table, rows: number) => {
    counts[table] = rows;
    onProgress?.({ kind: "copied", table, rows, total: totals[table] });
  };
  for (const copy of COPIES) {
    if (copy.table === "messages") {
      // The counter rows first: the same order as a node's commit (counter, then messages).
      const groups = [...source.groupStats()].map(([name, { last }]) => [name, last]);
      await copyRows(
        client,
        "groups",
        ["name", "last_seq"],
        ["text", "bigint"],
        groups,
        batchSize,
        tell,
      );
    }
    const rows = source.rows(copy.select);
    await copyRows(client, copy.table, copy.columns, copy.types, rows, batchSize, tell);
  }
  return counts;
}

/**
 * Inserts `rows` (arrays in the order of `columns`) into `table`, `batchSize` at a time: each
 * batch is sent, then the next one read while PostgreSQL stores it. Tells `tell` the rows in
 * after each batch.
 */
async function copyRows(
  client: pg.Client,
  table: Table,
  columns: readonly string[],
  types: readonly string[],
  rows: Iterable<readonly unknown[]>,
  batchSize: number,
  tell: (table: Table, rows: number) => void,
): Promise<void> {
  const text = insertSql(table, columns, types);
  let batch: unknown[][] = columns.map(() => []);
  let size = 0;
  let copied = 0;
  let inFlight: { done: Promise<unknown>; size: number } | undefined;
  const landed = async () => {
    if (!inFlight) return;
    await inFlight.done;
    copied += inFlight.size;
    inFlight = undefined;
    tell(table, copied);
  };
  const send = () => {
    const done = client.query({ name: `migrate_${table}`, text, values: batch });
    // Awaited by landed(); this keeps a failure from counting as unhandled meanwhile.
    done.catch(() => {});
    inFlight = { done, size };
    batch = columns.map(() => []);
    size = 0;
  };
  for (const row of rows) {
    for (let c = 0; c < columns.length; c++) batch[c].push(row[c]);
    if (++size === batchSize) {
      await landed();
      send();
    }
  }
  await landed();
  if (size > 0) send();
  await landed();
  if (copied === 0) tell(table, 0);
}

/**
 * Checks the copy in `client`'s transaction: each table's count is the source's, and each
 * group's count, highest sequence and counter row are the source's.
 *
 * @throws {MigrateError} naming what differs.
 */
async function verify(
  client: pg.Client,
  where: string,
  expected: Counts,
  groups: GroupStats,
): Promise<void> {
  const counts = await countRows(client);
  const wrong = TABLES.filter((t) => counts[t] !== expected[t])
    .map((t) => `${t}: ${counts[t]} copied, ${expected[t]} in the source`);
  const { rows } = await client.query<
    { name: string; last_seq: number | null; count: number | null; last: number | null }
  >(
    `SELECT coalesce(g.name, m.grp) AS name, g.last_seq, m.count, m.last
     FROM groups g FULL JOIN (SELECT grp, count(*) AS count, max(seq) AS last FROM messages
       GROUP BY grp) m ON m.grp = g.name`,
  );
  for (const row of rows) {
    const want = groups.get(row.name);
    if (
      !want || row.last_seq !== want.last || row.last !== want.last || row.count !== want.count
    ) {
      wrong.push(
        `group ${JSON.stringify(row.name)}: last_seq ${row.last_seq}, ${row.count} messages up ` +
          `to ${row.last}; the source has ${want?.count ?? 0} up to ${want?.last ?? 0}`,
      );
    }
  }
  if (rows.length !== groups.size) {
    wrong.push(`${rows.length} groups copied, ${groups.size} in the source`);
  }
  if (wrong.length > 0) {
    throw new MigrateError(
      `the copy into ${where} does not match the source (rolled back, nothing copied): ` +
        wrong.join("; "),
    );
  }
}

/** `3 messages, 1 room and 2 clients`: the tables with rows. */
export function describeCounts(counts: Counts): string {
  const names: Record<Table, [string, string]> = {
    accounts: ["account", "accounts"],
    clients: ["device", "devices"],
    codes: ["one-time code", "one-time codes"],
    groups: ["group sequence", "group sequences"],
    messages: ["message", "messages"],
    cursors: ["cursor", "cursors"],
    rooms: ["room", "rooms"],
    room_members: ["room member", "room members"],
    room_invites: ["room invite", "room invites"],
  };
  const parts = TABLES.filter((t) => counts[t] > 0)
    .map((t) => `${counts[t]} ${names[t][counts[t] === 1 ? 0 : 1]}`);
  if (parts.length === 0) return "nothing";
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/** The source database, read-only, locked and in one read transaction until disposed. */
interface Source extends Disposable {
  info(): SourceInfo;
  groupStats(): GroupStats;
  /** The rows `select` gives (`?` bound to the time the source was opened), as arrays. */
  rows(select: string): Iterable<readonly unknown[]>;
}

/**
 * Opens the SQLite file `path` for the copy: takes its lock file (refusing a file a server
 * holds), opens it read-only and starts the read transaction every later read is made in.
 *
 * @throws {MigrateError} if there is no such file, a server holds it, or it is not a
 *   grpc-chat database of {@link SOURCE_SCHEMA_VERSION}.
 */
function openSource(path: string): Source {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    throw new MigrateError(
      error instanceof Deno.errors.NotFound
        ? `there is no SQLite database ${path} (no such file)`
        : `cannot read the SQLite database ${path}: ${messageOf(error)}`,
    );
  }
  if (!stat.isFile) {
    throw new MigrateError(`${path} is not a file: name the SQLite database a server made`);
  }
  const lock = lockSource(path);
  let db: DatabaseSync;
  try {
    // Read-only: the source stays as it was, whatever happens to the copy.
    db = new DatabaseSync(path, { readOnly: true });
  } catch (error) {
    lock?.close();
    throw new MigrateError(`cannot open the SQLite database ${path}: ${messageOf(error)}`);
  }
  const now = Date.now();
  let info: SourceInfo;
  let groups: GroupStats;
  try {
    db.exec("BEGIN"); // one snapshot for every read of the copy
    info = { path, ...readSource(db, path, now) };
    groups = new Map();
    const stats = db.prepare(
      "SELECT grp, count(*) AS count, max(seq) AS last FROM messages GROUP BY grp ORDER BY grp",
    ).all() as { grp: string; count: number; last: number }[];
    for (const { grp, count, last } of stats) groups.set(grp, { count, last });
  } catch (error) {
    db.close();
    lock?.close();
    if (error instanceof MigrateError) throw error;
    throw new MigrateError(describeSourceError(path, error));
  }
  return {
    info: () => info,
    groupStats: () => groups,
    *rows(select: string) {
      const statement = db.prepare(select) as StatementSync & {
        setReturnArrays(on: boolean): void;
      };
      // Arrays, not row objects: the batches are built column by column anyway.
      statement.setReturnArrays(true);
      const params = select.includes("?") ? [now] : [];
      yield* statement.iterate(...params) as Iterable<readonly unknown[]>;
    },
    [Symbol.dispose]() {
      if (db.isOpen) db.close(); // ends the read transaction: nothing was written
      lock?.close();
    },
  };
}

/**
 * Takes `<path>.lock` as a server does (src/store/sqlite/store.ts), so that no server runs on
 * the file during the copy. Opened for reading: the lock is the same, and the copy needs no
 * write access. No lock file: no server has had the file open here, so none holds it.
 *
 * @throws {MigrateError} naming the lock file if a server holds it.
 */
function lockSource(path: string): Deno.FsFile | undefined {
  const lockPath = `${path}.lock`;
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(lockPath, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new MigrateError(`cannot open the lock file ${lockPath}: ${messageOf(error)}`);
  }
  if (!lock.tryLockSync(true)) {
    lock.close();
    throw new MigrateError(
      `the SQLite database ${path} is in use: a server holds its lock file ${lockPath}; ` +
        `stop the server, then migrate`,
    );
  }
  return lock;
}

/** The source's server id and counts, after checking that it is a grpc-chat database. */
function readSource(
  db: DatabaseSync,
  path: string,
  now: number,
): Omit<SourceInfo, "path"> {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (version === 0) {
    throw new MigrateError(
      `${path} is not a grpc-chat database (an SQLite file without a grpc-chat schema)`,
    );
  }
  if (version < SOURCE_SCHEMA_VERSION) {
    throw new MigrateError(
      `${path} was written by an older grpc-chat (schema ${version}; migrate reads ` +
        `${SOURCE_SCHEMA_VERSION}): start this version's server on it once (it upgrades the ` +
        `file), stop it, then migrate`,
    );
  }
  if (version > SOURCE_SCHEMA_VERSION) {
    throw new MigrateError(
      `${path} was written by a newer grpc-chat (schema ${version}; migrate reads ` +
        `${SOURCE_SCHEMA_VERSION}): migrate with that version`,
    );
  }
  const row = db.prepare("SELECT value FROM meta WHERE key = 'server_id'").get() as
    | { value: string }
    | undefined;
  if (!row) throw new MigrateError(`${path} has no server id (its table meta holds none)`);
  const { codes, ...rest } = db.prepare(
    `SELECT ${
      COPIES.filter((c) => c.table !== "codes")
        .map((c) => `(SELECT count(*) FROM ${c.table}) AS ${c.table}`).join(", ")
    },
      (SELECT count(*) FROM codes WHERE ${validCode("?1")}) AS valid_codes,
      (SELECT count(*) FROM codes) AS codes,
      (SELECT count(DISTINCT grp) FROM messages) AS groups`,
  ).get(now) as Omit<Counts, "codes"> & { valid_codes: number; codes: number };
  const { valid_codes: validCodes, ...counts } = rest;
  return {
    serverId: row.value,
    counts: { ...counts, codes: validCodes },
    codesLeftBehind: codes - validCodes,
  };
}

function describeSourceError(path: string, error: unknown): string {
  const message = messageOf(error);
  if (/not a database|malformed|corrupt/i.test(message)) {
    return `${path} is not a grpc-chat database: it is not an SQLite file, or it is corrupt (${message})`;
  }
  if (/no such table|no such column/i.test(message)) {
    return `${path} is not a grpc-chat database (${message})`;
  }
  return `cannot read the SQLite database ${path}: ${message}`;
}
