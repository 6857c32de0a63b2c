/**
 * The PostgreSQL backend: several server nodes on one database act as one chat service.
 * {@link openPostgres} makes or upgrades the schema (`schema.ts`), and gives a reader
 * (`reader.ts`) and a writer (`writer.ts`) on pools of their own, and the changes other nodes
 * commit (`changes.ts`, LISTEN/NOTIFY with payloads from `payload.ts`).
 *
 * The driver is npm `pg` (see BENCHMARKS.md): it needs `--allow-net` to the server and
 * `--allow-env=PG*` (it reads PGPASSWORD and the like when it connects).
 *
 * @example Open, write, read, close
 * ```ts ignore
 * import { openPostgres } from "./mod.ts";
 *
 * const store = await openPostgres("postgres://chat@127.0.0.1:5432/chat");
 * try {
 *   store.changes!.subscribe((change) => console.log("another node:", change));
 *   console.log(store.reader.serverId(), await store.reader.lastSeq("general"));
 * } finally {
 *   await store.close();
 * }
 * ```
 *
 * @module
 */
import pg from "pg";
import { type StoreBackend, StoreOpenError } from "../types.ts";
import { PostgresChanges } from "./changes.ts";
import { checkUrl, clientConfig, describeOpenError, newPool, redactUrl } from "./connect.ts";
import { PostgresPresence } from "./presence.ts";
import { PostgresReader } from "./reader.ts";
import { prepareSchema } from "./schema.ts";
import { PostgresWriter } from "./writer.ts";

export { type ListenOptions, PostgresChanges } from "./changes.ts";
export { PostgresPresence } from "./presence.ts";
export { PostgresReader } from "./reader.ts";
export { SCHEMA_VERSION } from "./schema.ts";
export { PostgresWriter } from "./writer.ts";
export { CHANNEL } from "./payload.ts";

/** Options for {@link openPostgres}. */
export interface PostgresOptions {
  /** Most connections the reader holds: 8 unless told. The writer holds up to 4, the listener 1. */
  poolSize?: number;
  /**
   * This node's id in the notifications it sends, to know its own when they come back:
   * 16 random hex digits unless told. Unique per running node.
   */
  nodeId?: string;
}

/** How many connections the writer keeps: commits go one at a time, the rest is rare. */
const WRITER_POOL_SIZE = 4;

/**
 * Opens the PostgreSQL database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, which
 * must exist): makes or upgrades its schema (one node at a time), then opens the reader, the
 * writer and the listener, LISTENing before it resolves, so that no change committed after
 * that goes unheard. {@link StoreBackend.close} closes the listener, the writer (after its
 * calls in flight) and the reader, and may be called more than once.
 *
 * @throws {StoreOpenError} if the database cannot be used (unreachable, refused login, no such
 *   database, a schema newer than this node knows, not a grpc-chat database); the message says
 *   why and what to do.
 * @throws {RangeError} if `options.poolSize` is not a positive integer.
 */
export async function openPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<StoreBackend> {
  const { poolSize = 8, nodeId = randomHex(8) } = options;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new RangeError(`poolSize must be a positive integer, not ${poolSize}`);
  }
  checkUrl(url);
  const where = redactUrl(url);
  const serverId = await openSchema(url, where);
  const readerPool = newPool(url, poolSize);
  const reader = new PostgresReader(readerPool, serverId, where);
  const presence = new PostgresPresence(readerPool, nodeId, where);
  const writer = new PostgresWriter(newPool(url, WRITER_POOL_SIZE, true), nodeId, where);
  let changes: PostgresChanges;
  try {
    changes = await PostgresChanges.start(clientConfig(url), nodeId);
  } catch (error) {
    await Promise.allSettled([writer.close(), reader.close()]);
    throw new StoreOpenError(describeOpenError(url, error));
  }
  let closed: Promise<void> | undefined;
  return {
    reader,
    writer,
    changes,
    presence,
    close() {
      closed ??= (async () => {
        await changes.close();
        // This node's devices are no longer online; if the database is away, its rows go stale.
        await presence.forget().catch(() => {});
        try {
          await writer.close();
        } finally {
          await reader.close();
        }
      })();
      return closed;
    },
  };
}

/** {@link prepareSchema} on a connection of its own, its errors put into words. */
async function openSchema(url: string, where: string): Promise<string> {
  const client = new pg.Client(clientConfig(url));
  client.on("error", () => {}); // a lost connection fails the query in flight
  try {
    await client.connect();
    return await prepareSchema(client, where);
  } catch (error) {
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError(describeOpenError(url, error));
  } finally {
    await client.end().catch(() => {});
  }
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
