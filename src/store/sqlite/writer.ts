/**
 * Where the server's writes happen. SQLite's commit (with its fsync) is
 * synchronous; on the event loop it would stall every other call for its
 * duration. {@link WorkerWriter} runs commits on a worker thread with its own
 * connection, so the main thread goes on serving while the disk syncs.
 * {@link InlineWriter} commits on the calling thread, for tests and tools.
 *
 * @module
 */
import {
  type Appended,
  type ClientRecord,
  type CursorUpdate,
  type NewClient,
  type NewCode,
  type NewMessage,
  ProofRefusedError,
  type RoomChange,
  type RoomChanged,
  StoreOpenError,
  type StoreWriter,
  WriterFailedError,
} from "../types.ts";
import type { SqliteStore } from "./store.ts";
import { flattenCommit, unflattenAppended } from "./commit_wire.ts";

/**
 * Writes on the calling thread through a {@link SqliteStore} it borrows: whoever made the
 * store closes it. It cannot fail apart from its caller, so {@link failed} never resolves.
 */
export class InlineWriter implements StoreWriter {
  /** Never resolves: the writer runs on its caller's thread and stops only with it. */
  readonly failed: Promise<WriterFailedError> = new Promise(() => {});
  #store: SqliteStore;
  #closed = false;

  /** Writes through `store`, which stays the caller's to close. */
  constructor(store: SqliteStore) {
    this.#store = store;
  }

  /** See {@link StoreWriter.commit}. Rejects with what the store threw. */
  commit(messages: readonly NewMessage[], cursors: readonly CursorUpdate[]): Promise<Appended[]> {
    return this.#run(() => this.#store.commit(messages, cursors));
  }

  /** See {@link StoreWriter.addClient}. Rejects with what the store threw. */
  addClient(client: NewClient): Promise<ClientRecord> {
    return this.#run(() => this.#store.addClient(client));
  }

  /** See {@link StoreWriter.addCode}. */
  addCode(code: NewCode): Promise<void> {
    return this.#run(() => this.#store.addCode(code));
  }

  /** See {@link StoreWriter.releaseHandle}. */
  releaseHandle(handle: string): Promise<number> {
    return this.#run(() => this.#store.releaseHandle(handle));
  }

  /** See {@link StoreWriter.revokeDevice}. */
  revokeDevice(clientId: string): Promise<boolean> {
    return this.#run(() => this.#store.revokeDevice(clientId));
  }

  /** See {@link StoreWriter.changeRoom}. */
  changeRoom(change: RoomChange): Promise<RoomChanged> {
    return this.#run(() => this.#store.changeRoom(change));
  }

  /** `write`'s result, or its throw as a rejection; refused once closed. */
  #run<T>(write: () => T): Promise<T> {
    try {
      this.#checkOpen();
      return Promise.resolve(write());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Refuses later calls; the store stays open (it is borrowed). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error(`the database writer of ${this.#store.path} is closed`);
  }
}

/** Options for {@link WorkerWriter.start}. */
export interface WorkerWriterOptions {
  /** `FULL` (default) makes each commit durable; `OFF` is for benchmarks only. */
  synchronous?: "FULL" | "OFF";
  /** The worker module (default `./worker.ts`); tests give one that dies. */
  workerUrl?: URL;
}

/** A call's answer from worker.ts: a result, or an error's message and name. */
interface Reply {
  id: number;
  result?: unknown;
  error?: string;
  errorName?: string;
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Writes on a worker thread with its own connection to the database. If the thread dies,
 * {@link failed} resolves with a {@link WriterFailedError}, and every call in flight and
 * every later one rejects with that same error.
 */
export class WorkerWriter implements StoreWriter {
  /** Resolves (once, never rejects) with the error of a thread that died. */
  readonly failed: Promise<WriterFailedError>;
  #resolveFailed: (error: WriterFailedError) => void;
  #failure: WriterFailedError | undefined;
  #worker: Worker;
  #path: string;
  #calls = new Map<number, PendingCall>();
  #nextId = 1;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker, path: string) {
    this.#worker = worker;
    this.#path = path;
    const { promise, resolve } = Promise.withResolvers<WriterFailedError>();
    this.failed = promise;
    this.#resolveFailed = resolve;
    worker.onmessage = ({ data }: MessageEvent<Reply>) => {
      const call = this.#calls.get(data.id);
      this.#calls.delete(data.id);
      if (data.error === undefined) return call?.resolve(data.result);
      // Errors the callers tell apart keep their class across the thread boundary.
      const error = data.errorName === "StoreOpenError"
        ? new StoreOpenError(data.error)
        : data.errorName === "ProofRefusedError"
        ? new ProofRefusedError(data.error)
        : new Error(data.error);
      call?.reject(error);
    };
    worker.onerror = (event) => {
      // Handled here: unhandled, a worker's error would end the whole process.
      event.preventDefault();
      this.#fail(new WriterFailedError(`the database writer stopped: ${event.message}`));
    };
  }

  /**
   * Starts the writer thread and opens `path` there, without the lock file: the caller
   * holds it through its own connection.
   *
   * @throws {StoreOpenError} if the thread cannot open the database.
   * @throws {WriterFailedError} if the thread dies, or its module cannot be loaded.
   */
  static async start(path: string, options: WorkerWriterOptions = {}): Promise<WorkerWriter> {
    const url = options.workerUrl ?? new URL("./worker.ts", import.meta.url);
    const writer = new WorkerWriter(new Worker(url, { type: "module" }), path);
    try {
      await writer.#call({ op: "open", path, synchronous: options.synchronous ?? "FULL" });
    } catch (error) {
      writer.#worker.terminate();
      throw error;
    }
    return writer;
  }

  /**
   * See {@link StoreWriter.commit}. For a retry, what counts is the original's `seq` and
   * `sentAtMs`: the returned message carries the retry's own text and body.
   */
  async commit(
    messages: readonly NewMessage[],
    cursors: readonly CursorUpdate[],
  ): Promise<Appended[]> {
    const flat = await this.#call({ op: "commit", ...flattenCommit(messages, cursors) });
    return unflattenAppended(messages, flat as number[]);
  }

  /** See {@link StoreWriter.addClient}. */
  async addClient(client: NewClient): Promise<ClientRecord> {
    const stored = await this.#call({ op: "addClient", client }) as ClientRecord;
    return stored;
  }

  /** See {@link StoreWriter.addCode}. */
  async addCode(code: NewCode): Promise<void> {
    await this.#call({ op: "addCode", code });
  }

  /** See {@link StoreWriter.releaseHandle}. */
  async releaseHandle(handle: string): Promise<number> {
    return await this.#call({ op: "releaseHandle", handle }) as number;
  }

  /** See {@link StoreWriter.revokeDevice}. */
  async revokeDevice(clientId: string): Promise<boolean> {
    return await this.#call({ op: "revokeDevice", clientId }) as boolean;
  }

  /** See {@link StoreWriter.changeRoom}. */
  async changeRoom(change: RoomChange): Promise<RoomChanged> {
    return await this.#call({ op: "changeRoom", change }) as RoomChanged;
  }

  /**
   * Lets the calls in flight finish, closes the thread's connection and ends the thread;
   * later calls reject. A writer that already failed is only ended.
   *
   * @throws {WriterFailedError} if the thread dies before it has closed the database.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      // Calls are answered in order, so the answer to this one comes after theirs. It is
      // sent before #closing is set, which refuses every call after it.
      const closed = this.#failure ? Promise.resolve() : this.#call({ op: "close" });
      this.#closing = closed.then(() => {}).finally(() => this.#worker.terminate());
    }
    return this.#closing;
  }

  #call(request: Record<string, unknown>): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) {
      return Promise.reject(new Error(`the database writer of ${this.#path} is closed`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...request });
    });
  }

  /** The thread is gone: nothing more can be committed, and every caller hears why. */
  #fail(error: WriterFailedError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#worker.terminate();
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
    this.#resolveFailed(error);
  }
}
