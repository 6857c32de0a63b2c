/**
 * The server's storage: the interfaces every backend implements (`types.ts`)
 * and the backends. SQLite, embedded, is the default: {@link openSqlite}; several nodes share
 * one PostgreSQL database: {@link openPostgres}.
 *
 * @example Open, read, close
 * ```ts
 * import { openSqlite } from "./mod.ts";
 *
 * const store = await openSqlite(`${await Deno.makeTempDir()}/chat.db`);
 * try {
 *   console.log(store.reader.serverId(), await store.reader.lastSeq("general"));
 * } finally {
 *   await store.close();
 * }
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { openSqlite, type SqliteOptions } from "./sqlite/mod.ts";
export { openPostgres, type PostgresOptions } from "./postgres/mod.ts";
