/**
 * Where the server's writes happen. SQLite's commit (with its fsync) is
 * synchronous; on the event loop it would stall every other call for its
 * duration. {@link WorkerWriter} runs commits on a worker thread with its own
 * connection, so the main thread goes on serving while the disk syncs.
 *
 * @module
 */
import type {
  Appended,
  ClientRecord,
  CursorUpdate,
  NewMessage,
  Store,
  StoreOptions,
} from "./store.ts";
import { StoreOpenError } from "./store.ts";
import { flattenCommit, unflattenAppended } from "./commit_wire.ts";

/** The durable writes the server makes: messages with cursors (group commit), and clients. */
export interface StoreWriter {
  /**
   * One transaction, one commit; see {@link Store.commit}. For a retry, what
   * counts is the original's `seq` and `sentAtMs` (its text may be given as the retry's).
   */
  commit(messages: readonly NewMessage[], cursors: readonly CursorUpdate[]): Promise<Appended[]>;
  /** Stores a new client durably. */
  addClient(client: ClientRecord): Promise<void>;
  /** Finishes and releases the writer. */
  close(): Promise<void>;
}

/** Writes on the calling thread, through a store it is given (unit tests of what sits on top). */
export class InlineWriter implements StoreWriter {
  #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }
  commit(messages: readonly NewMessage[], cursors: readonly CursorUpdate[]): Promise<Appended[]> {
    try {
      return Promise.resolve(this.#store.commit(messages, cursors));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  addClient(client: ClientRecord): Promise<void> {
    try {
      return Promise.resolve(this.#store.addClient(client));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
  errorName?: string;
}

/** Writes on a worker thread with its own connection to the database. */
export class WorkerWriter implements StoreWriter {
  #worker: Worker;
  #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #failed: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }: MessageEvent<Reply>) => {
      const call = this.#calls.get(data.id);
      this.#calls.delete(data.id);
      if (data.error === undefined) return call?.resolve(data.result);
      const error = data.errorName === "StoreOpenError"
        ? new StoreOpenError(data.error)
        : new Error(data.error);
      call?.reject(error);
    };
    worker.onerror = (event) => {
      // A worker that dies cannot commit anything more: every caller hears of it.
      event.preventDefault();
      this.#failed = new Error(`the database writer stopped: ${event.message}`);
      for (const call of this.#calls.values()) call.reject(this.#failed);
      this.#calls.clear();
    };
  }

  /** Starts the writer thread and opens `path` there (the caller holds the file's lock). */
  static async start(path: string, options: StoreOptions = {}): Promise<WorkerWriter> {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    const writer = new WorkerWriter(worker);
    try {
      await writer.#call({ op: "open", path, synchronous: options.synchronous ?? "FULL" });
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return writer;
  }

  async commit(
    messages: readonly NewMessage[],
    cursors: readonly CursorUpdate[],
  ): Promise<Appended[]> {
    const flat = await this.#call({ op: "commit", ...flattenCommit(messages, cursors) });
    return unflattenAppended(messages, flat as number[]);
  }

  addClient(client: ClientRecord): Promise<void> {
    return this.#call({ op: "addClient", client }) as Promise<void>;
  }

  async close(): Promise<void> {
    try {
      if (!this.#failed) await this.#call({ op: "close" });
    } finally {
      this.#worker.terminate();
    }
  }

  #call(request: Record<string, unknown>): Promise<unknown> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...request });
    });
  }
}
