/**
 * Group commit: every send that arrives while the event loop is busy shares
 * the next transaction, so one fsync serves them all. Acknowledged cursors
 * ride along with that commit, or are written on their own after
 * {@link CURSOR_FLUSH_MS} when no message comes.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { CURSOR_FLUSH_MS } from "./limits.ts";
import type { Appended, CursorUpdate, NewMessage, Store } from "./store.ts";

interface Pending {
  message: NewMessage;
  resolve: (appended: Appended) => void;
  reject: (error: unknown) => void;
}

/** Raised for appends after {@link GroupCommitter.close}. */
export class CommitterClosedError extends Error {
  override name = "CommitterClosedError";
}

function cursorKey(clientId: string, group: string): string {
  return `${clientId}\u0000${group}`;
}

/** Counters for logs and benchmarks. */
export interface CommitStats {
  commits: number;
  messages: number;
  largestBatch: number;
}

/** Batches writes to a {@link Store}; see the module doc. */
export class GroupCommitter {
  readonly stats: CommitStats = { commits: 0, messages: 0, largestBatch: 0 };
  #store: Store;
  #onCommitted: (appended: Appended[]) => void;
  #onError: (error: unknown) => void;
  #pending: Pending[] = [];
  #cursors = new Map<string, CursorUpdate>();
  #flushScheduled = false;
  #cursorTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param onCommitted called after each commit with the messages it stored
   *   (retries left out), before their senders are answered.
   */
  constructor(
    store: Store,
    onCommitted: (appended: Appended[]) => void,
    onError: (error: unknown) => void = (error) => console.error("fan-out failed:", error),
  ) {
    this.#store = store;
    this.#onCommitted = onCommitted;
    this.#onError = onError;
  }

  /** Stores `message`; resolves once it is durable. A retry resolves with the original. */
  append(message: NewMessage): Promise<Appended> {
    if (this.#closed) {
      return Promise.reject(new CommitterClosedError("the server is shutting down"));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // After the I/O callbacks of this turn: every send already read joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Records an acknowledged cursor; it is written with the next commit. Ignored after close. */
  saveCursor(update: CursorUpdate): void {
    if (this.#closed) return;
    const key = cursorKey(update.clientId, update.group);
    const known = this.#cursors.get(key);
    if (known && known.seq >= update.seq) return;
    this.#cursors.set(key, update);
    this.#cursorTimer ??= setTimeout(() => this.flush(), CURSOR_FLUSH_MS);
  }

  /** The highest acknowledged sequence, counting one not yet written. */
  cursorOf(clientId: string, group: string): number {
    const waiting = this.#cursors.get(cursorKey(clientId, group))?.seq ?? 0;
    return Math.max(waiting, this.#store.cursor(clientId, group));
  }

  /** Commits whatever is waiting, now. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#cursorTimer !== undefined) {
      clearTimeout(this.#cursorTimer);
      this.#cursorTimer = undefined;
    }
    const batch = this.#pending;
    const cursors = [...this.#cursors.values()];
    if (batch.length === 0 && cursors.length === 0) return;
    this.#pending = [];
    this.#cursors.clear();
    let results: Appended[];
    try {
      results = this.#store.commit(batch.map((p) => p.message), cursors);
    } catch (error) {
      for (const c of cursors) this.saveCursor(c);
      for (const p of batch) p.reject(error);
      return;
    }
    this.stats.commits++;
    this.stats.messages += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    const fresh = results.filter((r) => !r.duplicate);
    try {
      if (fresh.length > 0) this.#onCommitted(fresh);
    } catch (error) {
      // The batch is durable whatever fan-out did: its senders get their answer.
      this.#onError(error);
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
  }

  /** Writes everything still waiting and refuses further appends. */
  close(): void {
    this.#closed = true;
    this.flush();
  }
}
