/**
 * How the PostgreSQL backend connects: `pg` settings shared by its pools and its listening
 * client (numbers and bytes as the store's types want them, TCP keepalive, a connect timeout),
 * an `'error'` listener on every client (without one a lost connection ends the process), and
 * errors told apart and put into words.
 *
 * @module
 */
import pg from "pg";
import { Buffer } from "node:buffer";
import { messageOf } from "../../shared/errors.ts";
import { StoreOpenError, StoreUnavailableError } from "../types.ts";

/** PostgreSQL's type ids: `int8` (bigint, count(*)) and `bytea`. */
const INT8 = 20;
const BYTEA = 17;

/** How long a connection attempt may take before it fails. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * How long one statement may run (PostgreSQL's `statement_timeout`), and a little more, how long
 * the driver waits for its answer: a database that hangs fails the call (UNAVAILABLE) rather
 * than holding it, and the commits behind it, for ever.
 */
export const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * The writer's bounds. A lock waited for longer than this fails (`lock_timeout`): a node that
 * froze holding a room's or a group's row cannot stall the other nodes' commits. And a
 * connection idle inside a transaction this long is ended by PostgreSQL
 * (`idle_in_transaction_session_timeout`), releasing what a frozen node held.
 */
export const WRITER_LOCK_TIMEOUT_MS = 2_000;
export const WRITER_IDLE_IN_TRANSACTION_MS = 10_000;

/** `bytea` in the text format (`\x` and hex) as a Uint8Array, with no copy beyond the decode. */
function parseBytea(text: string): Uint8Array {
  if (!text.startsWith("\\x")) {
    // `bytea_output = escape` on this server: pg's own parser knows that format.
    const buffer = pg.types.getTypeParser(BYTEA, "text")(text) as Buffer;
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  const buffer = Buffer.from(text.slice(2), "hex");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Result types: `bigint` as a JS number (sequences, times and counts stay far below 2^53) and
 * `bytea` as a plain Uint8Array (a Buffer would not compare equal to one); the rest as pg does.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format !== "binary") {
      if (oid === INT8) return Number;
      if (oid === BYTEA) return parseBytea;
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** The settings of every connection to `url`. */
export function clientConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    types,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "grpc-chat",
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 5_000,
  };
}

/**
 * A pool of up to `max` connections to `url`. Each client gets an `'error'` listener when it
 * connects (pg-pool's own covers idle clients only): a connection lost while checked out then
 * fails its query instead of ending the process, and the pool drops the client when released
 * with the error. `pipeline`: queries sent before the previous ones are answered (the writer's
 * transactions end with NOTIFY and COMMIT in one round trip).
 */
export function newPool(url: string, max: number, pipeline = false): pg.Pool {
  const bounds = pipeline
    ? {
      lock_timeout: WRITER_LOCK_TIMEOUT_MS,
      idle_in_transaction_session_timeout: WRITER_IDLE_IN_TRANSACTION_MS,
    }
    : {};
  const pool = new pg.Pool({ ...clientConfig(url), ...bounds, max, pipeline });
  // A lost idle connection: the pool has already dropped it and will open another.
  pool.on("error", () => {});
  // Checked out: the query in flight rejects with the same error, and that is where it is seen.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Whether PostgreSQL itself refused a statement (an SQLSTATE), rather than the connection failing. */
export function isDatabaseError(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError;
}

/** The SQLSTATE of a refused statement, or undefined. */
export function sqlState(error: unknown): string | undefined {
  return isDatabaseError(error) ? error.code : undefined;
}

/**
 * Whether `error` says the database could not be reached or went away (it is down, restarting,
 * refusing connections, or the connection broke), rather than that the statement was wrong.
 */
export function unreachable(error: unknown): boolean {
  const state = sqlState(error);
  // Class 08: connection exception; 57P01..57P03: shut down, crashed, starting; 53300: too
  // many connections; 55P03, 57014, 25P03: a lock, a statement or a transaction over its time
  // (the database, or a node holding what this call needs, is stuck: later may work).
  if (state !== undefined) return /^08|^57P0[123]$|^53300$|^55P03$|^57014$|^25P03$/.test(state);
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === "string" &&
    /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)$/.test(code)
  ) {
    return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|Query read timeout/i
    .test(messageOf(error));
}

/**
 * `error` as the store reports it: a {@link StoreUnavailableError} (saying what happened) when
 * the database could not be reached, else `error` itself.
 */
export function storeError(error: unknown, where: string): unknown {
  if (!unreachable(error)) return error;
  return new StoreUnavailableError(
    `the database at ${where} cannot be reached: ${messageOf(error)}`,
    {
      cause: error,
    },
  );
}

/** `url` without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return "(an unparsable PostgreSQL URL)";
  }
}

/**
 * Checks that `url` is a PostgreSQL URL.
 *
 * @throws {StoreOpenError} if it is not `postgres://...` or `postgresql://...`.
 */
export function checkUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new StoreOpenError(
      `${JSON.stringify(url)} is not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB)`,
    );
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    throw new StoreOpenError(
      `${redactUrl(url)} is not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB)`,
    );
  }
}

/** Why the database at `url` cannot be used, in words that say what to do. */
export function describeOpenError(url: string, error: unknown): string {
  const where = redactUrl(url);
  const state = sqlState(error);
  const message = messageOf(error);
  if (state === "3D000") {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    return `PostgreSQL database ${JSON.stringify(name)} does not exist (${where}): ` +
      `create it (createdb ${name}) or name another in the URL`;
  }
  if (state === "28P01" || state === "28000") {
    return `PostgreSQL refused the login to ${where} (${message}): check the user and ` +
      `password in the URL (or PGPASSWORD)`;
  }
  if (state === "42501") {
    return `the PostgreSQL role of ${where} may not make the chat's tables (${message}): ` +
      `grant it CREATE on the database's schema, or use the database's owner`;
  }
  if (state === "53300") {
    return `PostgreSQL at ${where} has no connection to spare (${message}): raise ` +
      `max_connections or lower the nodes' pool sizes`;
  }
  if (/ECONNREFUSED|connection refused/i.test(message)) {
    return `cannot connect to PostgreSQL at ${where}: connection refused (is it running, ` +
      `on that host and port?)`;
  }
  if (/timeout/i.test(message)) {
    return `cannot connect to PostgreSQL at ${where}: no answer within ` +
      `${CONNECT_TIMEOUT_MS / 1000} s (${message})`;
  }
  return `cannot use PostgreSQL database ${where}: ${message}`;
}
