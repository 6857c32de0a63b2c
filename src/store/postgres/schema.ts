/**
 * The PostgreSQL schema: the SQLite backend's tables (`../sqlite/store.ts`) with PostgreSQL's
 * types (`bytea` for hashes and bodies, `bigint` for sequences and times, text keys in the `C`
 * collation so that they compare as bytes, as SQLite's do), plus `groups`, each group's last
 * sequence: the counter row a commit updates to allocate gap-free sequences.
 *
 * Its version is kept in `meta` (`schema_version`), next to the database's lasting
 * `server_id`, made once when the schema is made. Each node brings an empty or older database
 * up to {@link SCHEMA_VERSION} itself, one node at a time under an advisory lock, and refuses a
 * newer one.
 *
 * @module
 */
import type pg from "pg";
import { StoreOpenError } from "../types.ts";

/** The version of the schema this code makes and reads (PostgreSQL's own count, not SQLite's). */
export const SCHEMA_VERSION = 2;

/**
 * The DDL that takes a database from version `i` to `i + 1`, at index `i`. Version 0 is an
 * empty database. A new version appends its upgrade here and raises {@link SCHEMA_VERSION}.
 */
const UPGRADES: readonly string[] = [
  `
CREATE TABLE meta (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE accounts (
  handle text COLLATE "C" PRIMARY KEY,
  created_at bigint NOT NULL
);
CREATE TABLE codes (
  hash bytea PRIMARY KEY,
  kind text NOT NULL,
  handle text COLLATE "C",
  creator text COLLATE "C",
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at bigint
);
CREATE INDEX codes_by_handle ON codes (handle);
CREATE TABLE clients (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  key_hash bytea NOT NULL,
  created_at bigint NOT NULL,
  account text COLLATE "C"
);
CREATE INDEX clients_by_account ON clients (account);
CREATE TABLE groups (
  name text COLLATE "C" PRIMARY KEY,
  last_seq bigint NOT NULL
);
CREATE TABLE messages (
  grp text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  sender_id text COLLATE "C" NOT NULL,
  sender_name text NOT NULL,
  client_msg_id text COLLATE "C" NOT NULL,
  text text NOT NULL,
  body bytea NOT NULL,
  sent_at bigint NOT NULL,
  PRIMARY KEY (grp, seq)
);
CREATE UNIQUE INDEX messages_by_retry_key ON messages (sender_id, grp, client_msg_id);
CREATE TABLE cursors (
  client_id text COLLATE "C" NOT NULL,
  grp text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (client_id, grp)
);
CREATE INDEX cursors_by_group ON cursors (grp);
CREATE TABLE rooms (
  name text COLLATE "C" PRIMARY KEY,
  visibility text NOT NULL,
  history text NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE room_members (
  room text COLLATE "C" NOT NULL,
  member text COLLATE "C" NOT NULL,
  role text NOT NULL,
  joined_seq bigint NOT NULL,
  joined_at bigint NOT NULL,
  PRIMARY KEY (room, member)
);
CREATE INDEX room_members_by_member ON room_members (member);
CREATE TABLE room_invites (
  room text COLLATE "C" NOT NULL,
  handle text COLLATE "C" NOT NULL,
  invited_by text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (room, handle)
);
CREATE INDEX room_invites_by_handle ON room_invites (handle);
`,
  // 2: who is online on each node (src/store/postgres/presence.ts).
  `
CREATE TABLE nodes (
  node_id text COLLATE "C" PRIMARY KEY,
  seen_at timestamptz NOT NULL
);
CREATE TABLE presence (
  node_id text COLLATE "C" NOT NULL,
  member text COLLATE "C" NOT NULL,
  devices integer NOT NULL,
  PRIMARY KEY (node_id, member)
);
CREATE INDEX presence_by_member ON presence (member);
`,
];

/** The tables the schema makes: a database holding any of them but no `meta` is not ours. */
const TABLES = [
  "meta",
  "accounts",
  "codes",
  "clients",
  "groups",
  "messages",
  "cursors",
  "rooms",
  "room_members",
  "room_invites",
  "nodes",
  "presence",
];

/** Held (for its transaction) by the node that makes or upgrades the schema: the same key on every node. */
const LOCK = "pg_advisory_xact_lock(hashtextextended('grpc-chat schema', 0))";

/**
 * Brings the schema of the database `client` is connected to up to {@link SCHEMA_VERSION} and
 * gives the database's lasting server id (32 hex digits), made here when the schema is.
 * A database already at this version is only read; otherwise the work is one transaction
 * under an advisory lock, so that nodes starting together make the schema once, one after
 * the other. `where` names the database in messages (its URL without a password).
 *
 * @throws {StoreOpenError} if the database's schema is newer than this code knows, or it holds
 *   tables of the same names that are not a grpc-chat schema.
 * @throws {Error} what PostgreSQL refused (a lost connection, a role that may not create
 *   tables); nothing is changed.
 */
export async function prepareSchema(client: pg.ClientBase, where: string): Promise<string> {
  const known = await readMeta(client, where);
  if (known?.version === SCHEMA_VERSION && known.serverId) return known.serverId;
  if (known && known.version > SCHEMA_VERSION) throw newerSchema(where, known.version);
  await client.query("BEGIN");
  try {
    await client.query(`SELECT ${LOCK}`);
    // Under the lock each statement sees what a node before us committed.
    const meta = await readMeta(client, where);
    let version = meta?.version ?? 0;
    if (!meta) await refuseForeignTables(client, where);
    if (version > SCHEMA_VERSION) throw newerSchema(where, version);
    for (; version < SCHEMA_VERSION; version++) await client.query(UPGRADES[version]);
    await client.query(
      `INSERT INTO meta (key, value) VALUES ('schema_version', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(SCHEMA_VERSION)],
    );
    await client.query(
      "INSERT INTO meta (key, value) VALUES ('server_id', $1) ON CONFLICT (key) DO NOTHING",
      [newServerId()],
    );
    const { rows } = await client.query<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'server_id'",
    );
    await client.query("COMMIT");
    return rows[0].value;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** The schema version and server id in `meta`; undefined when there is no `meta` table. */
async function readMeta(
  client: pg.ClientBase,
  where: string,
): Promise<{ version: number; serverId?: string } | undefined> {
  // Asked first, not caught: inside the transaction an error would abort it. From the catalog
  // as of this statement, not to_regclass(): that answers from the session's catalog cache,
  // which may still say "no such table" after another node made it while we waited.
  const { rows: [{ present }] } = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
       WHERE schemaname = current_schema() AND tablename = 'meta') AS present`,
  );
  if (!present) return undefined; // an empty database
  const { rows } = await client.query<{ key: string; value: string }>(
    "SELECT key, value FROM meta WHERE key IN ('schema_version', 'server_id')",
  );
  const value = (key: string) => rows.find((r) => r.key === key)?.value;
  const version = Number(value("schema_version") ?? Number.NaN);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new StoreOpenError(
      `PostgreSQL database ${where} is not a grpc-chat database: its table "meta" holds no ` +
        `schema version (${
          JSON.stringify(value("schema_version") ?? null)
        }); use an empty database`,
    );
  }
  return { version, serverId: value("server_id") };
}

/** Refuses a database without `meta` that has tables by the schema's names. */
async function refuseForeignTables(client: pg.ClientBase, where: string): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables
     WHERE schemaname = current_schema() AND tablename = ANY($1::text[]) ORDER BY 1`,
    [TABLES],
  );
  if (rows.length > 0) {
    throw new StoreOpenError(
      `PostgreSQL database ${where} is not a grpc-chat database: it has tables ` +
        `${rows.map((r) => r.name).join(", ")} but no grpc-chat schema; use an empty database`,
    );
  }
}

function newerSchema(where: string, version: number): StoreOpenError {
  return new StoreOpenError(
    `PostgreSQL database ${where} has schema version ${version}, newer than this node knows ` +
      `(${SCHEMA_VERSION}): a newer grpc-chat upgraded it; upgrade this node to that version`,
  );
}

/** 128 random bits in hex, like the SQLite backend's server ids. */
function newServerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
