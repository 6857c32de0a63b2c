/**
 * The SQLite backend: one file, two connections. The serving thread's
 * {@link SqliteStore} holds the lock file and answers reads, as a
 * {@link SqliteReader}; the writer's own connection commits, on a worker
 * thread by default.
 *
 * @module
 */
import type { StoreBackend, StoreWriter } from "../types.ts";
import { SqliteReader } from "./reader.ts";
import { SqliteStore } from "./store.ts";
import { InlineWriter, WorkerWriter } from "./writer.ts";

export { SqliteReader } from "./reader.ts";
export { SqliteStore, type SqliteStoreOptions } from "./store.ts";
export { InlineWriter, WorkerWriter, type WorkerWriterOptions } from "./writer.ts";

/** Options for {@link openSqlite}. */
export interface SqliteOptions {
  /** `FULL` (default) makes each commit durable; `OFF` is for benchmarks only. */
  synchronous?: "FULL" | "OFF";
  /**
   * Where commits run: `"worker"` (default) on a thread of their own, `"inline"` on the
   * calling thread, through a second connection like the worker's.
   */
  writer?: "worker" | "inline";
  /** The worker module for `"worker"` (default `./worker.ts`); tests give one that dies. */
  workerUrl?: URL;
}

/**
 * Opens the SQLite database at `path` (creating it if need be): its reader, which takes
 * `<path>.lock`, then its writer. {@link StoreBackend.close} closes the writer, then the
 * reader, and may be called more than once.
 *
 * @throws {StoreOpenError} if the database cannot be used; the message says why and what to do.
 * @throws {WriterFailedError} if the writer thread dies while it opens the database.
 * @throws {TypeError} if `options.writer` or `options.synchronous` is not one of the values
 * allowed.
 */
export async function openSqlite(path: string, options: SqliteOptions = {}): Promise<StoreBackend> {
  const { synchronous = "FULL", writer: kind = "worker", workerUrl } = options;
  if (kind !== "worker" && kind !== "inline") {
    throw new TypeError(`writer must be "worker" or "inline", not ${JSON.stringify(kind)}`);
  }
  const readerStore = new SqliteStore(path, { synchronous });
  let writer: StoreWriter;
  // The inline writer's connection: the worker's lives and dies on its thread.
  let writerStore: SqliteStore | undefined;
  try {
    if (kind === "inline") {
      writerStore = new SqliteStore(path, { synchronous, lock: false });
      writer = new InlineWriter(writerStore);
    } else {
      writer = await WorkerWriter.start(path, { synchronous, workerUrl });
    }
  } catch (error) {
    readerStore.close();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    reader: new SqliteReader(readerStore),
    writer,
    close() {
      closed ??= (async () => {
        try {
          await writer.close();
        } finally {
          writerStore?.close();
          readerStore.close();
        }
      })();
      return closed;
    },
  };
}
