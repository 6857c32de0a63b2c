/**
 * Group commit: one commit is in flight at a time, and every send that
 * arrives while it is takes part in the next one, so one fsync serves them
 * all and the batch is sized by what is waiting. Acknowledged cursors ride
 * along with that commit, or are written on their own after
 * {@link CURSOR_FLUSH_MS} when no message comes.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { CURSOR_FLUSH_MS } from "../../shared/limits.ts";
import {
  type Appended,
  type CursorUpdate,
  type NewMessage,
  type StoreReader,
  type StoreWriter,
  WriterFailedError,
} from "../../store/types.ts";

interface Pending {
  message: NewMessage;
  /** See {@link GroupCommitter.append}. */
  check?: () => unknown;
  /** See {@link GroupCommitter.append}. */
  failed?: (error: unknown) => void;
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
  /** Messages committed, retries included. */
  messages: number;
  /** Messages stored: retries left out. */
  stored: number;
  largestBatch: number;
}

/** Told of each commit made: its messages (retries included) and the writer's time for it. */
export type CommitObserver = (messages: number, seconds: number) => void;

/** Batches writes through a {@link StoreWriter}; see the module doc. */
export class GroupCommitter {
  readonly stats: CommitStats = { commits: 0, messages: 0, stored: 0, largestBatch: 0 };
  /** Told of each commit made (the server's metrics set it). */
  observe: CommitObserver = () => {};
  /**
   * Told of the retries a commit found already stored (not published again). With several
   * nodes, the original may be one whose commit this node never saw end (its connection broke
   * after COMMIT): fan-out is told, and reads it if it has not got it.
   */
  onRetried: (appended: Appended[]) => void = () => {};
  #reader: StoreReader;
  #writer: StoreWriter;
  #onCommitted: (appended: Appended[]) => void;
  #onError: (error: unknown) => void;
  #pending: Pending[] = [];
  #cursors = new Map<string, CursorUpdate>();
  /** Cursors in the commit in flight: not yet in the store, no longer in #cursors. */
  #committing = new Map<string, CursorUpdate>();
  #inFlight: Promise<void> | undefined;
  #flushScheduled = false;
  /** A change runs between commits ({@link between}): no commit starts meanwhile. */
  #held = false;
  /** The change running between commits, or the last one; the next waits for it. */
  #betweenQueue: Promise<unknown> = Promise.resolve();
  #cursorTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param reader a connection to read committed cursors from.
   * @param writer where commits happen.
   * @param onCommitted called after each commit with the messages it stored
   *   (retries left out), before their senders are answered.
   */
  constructor(
    reader: StoreReader,
    writer: StoreWriter,
    onCommitted: (appended: Appended[]) => void,
    onError: (error: unknown) => void = (error) => console.error("fan-out failed:", error),
  ) {
    this.#reader = reader;
    this.#writer = writer;
    this.#onCommitted = onCommitted;
    this.#onError = onError;
  }

  /**
   * Stores `message`; resolves once it is durable. A retry resolves with the original.
   *
   * @param check asked again just before the message's commit, after any change made
   *   {@link between} commits since it was appended (the sender removed from a room, the room
   *   deleted): what it returns, if anything, refuses the message, which is then not stored.
   * @param failed called at once when the message's commit fails, before the next commit's
   *   checks are asked (the promise's rejection comes later): a sender whose later messages
   *   wait for that commit can have their checks refuse them, so that none is stored ahead of
   *   the failed one's resend.
   */
  append(
    message: NewMessage,
    check?: () => unknown,
    failed?: (error: unknown) => void,
  ): Promise<Appended> {
    if (this.#closed) {
      return Promise.reject(new CommitterClosedError("the server is shutting down"));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, check, failed, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Runs `work` between two commits: every message appended before it is committed first, and
   * those appended while it runs wait for it, then are checked again (their `check`). Room
   * changes run so: a message accepted from a member is stored before his removal, or refused,
   * never stored in a room he has left or one deleted meanwhile. Calls run one at a time.
   */
  between<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#betweenQueue.then(async () => {
      this.#held = true;
      try {
        // What is in flight, then what was appended before now, in one more commit.
        await this.#inFlight;
        this.#flush(true);
        await this.#inFlight;
        return await work();
      } finally {
        this.#held = false;
        this.#flush();
      }
    });
    this.#betweenQueue = run.catch(() => {});
    return run;
  }

  /** Records an acknowledged cursor; it is written with the next commit. Ignored after close. */
  saveCursor(update: CursorUpdate): void {
    if (this.#closed) return;
    const key = cursorKey(update.clientId, update.group);
    const known = this.#cursors.get(key);
    if (known && known.seq >= update.seq) return;
    this.#cursors.set(key, update);
    this.#cursorTimer ??= setTimeout(() => {
      this.#cursorTimer = undefined;
      this.#flush();
    }, CURSOR_FLUSH_MS);
  }

  /**
   * Drops the cursors of `group` not yet handed to the writer: the room was deleted (with its
   * cursors), and a room made again under its name must not start from them. Those in the
   * commit in flight reach the writer before the deletion, which removes them.
   */
  forgetCursors(group: string): void {
    for (const [key, cursor] of this.#cursors) {
      if (cursor.group === group) this.#cursors.delete(key);
    }
  }

  /**
   * The highest acknowledged sequence, counting one not yet written.
   *
   * @throws what the store's read throws (the database is unreachable).
   */
  async cursorOf(clientId: string, group: string): Promise<number> {
    const stored = await this.#reader.cursor(clientId, group);
    // Asked after the read: a cursor written meanwhile is in the store or still here.
    const key = cursorKey(clientId, group);
    const waiting = Math.max(
      this.#cursors.get(key)?.seq ?? 0,
      this.#committing.get(key)?.seq ?? 0,
    );
    return Math.max(waiting, stored);
  }

  /** Writes everything still waiting, waits for it, and refuses further appends. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    await this.#betweenQueue; // A change between commits holds them until it is done.
    while (this.#inFlight || this.#pending.length > 0 || this.#cursors.size > 0) {
      this.#flush();
      await this.#inFlight;
    }
  }

  #schedule(): void {
    if (this.#flushScheduled || this.#inFlight || this.#held) return;
    this.#flushScheduled = true;
    // After the I/O callbacks of this turn: every send already read joins the batch.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /**
   * Starts a commit of whatever is waiting, unless one is in flight (its end starts the next)
   * or a change runs {@link between} commits (`draining`: the one commit it asks for first).
   */
  #flush(draining = false): void {
    if (this.#inFlight || (this.#held && !draining)) return;
    const batch = this.#admitted(this.#pending);
    if (batch.length === 0 && this.#cursors.size === 0) return;
    clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    this.#pending = [];
    this.#committing = this.#cursors;
    this.#cursors = new Map();
    const cursors = [...this.#committing.values()];
    const started = performance.now();
    this.#inFlight = this.#writer.commit(batch.map((p) => p.message), cursors).then(
      (results) => {
        this.observe(batch.length, (performance.now() - started) / 1000);
        this.#next();
        this.#committed(batch, results);
      },
      (error) => {
        // Told before the next commit starts, whose checks may depend on it.
        for (const p of batch) p.failed?.(error);
        this.#next();
        // Kept for the next commit, unless no commit can ever come (the writer died).
        if (!(error instanceof WriterFailedError)) { for (const c of cursors) this.saveCursor(c); }
        for (const p of batch) p.reject(error);
      },
    );
  }

  /** `pending` but those whose check refuses them now, which are answered with its refusal. */
  #admitted(pending: Pending[]): Pending[] {
    const admitted: Pending[] = [];
    for (const p of pending) {
      const refusal = p.check?.();
      if (refusal) p.reject(refusal);
      else admitted.push(p);
    }
    if (admitted.length < pending.length) this.#pending = admitted;
    return admitted;
  }

  /**
   * Ends the commit in flight and starts the next with what arrived meanwhile, before this
   * one's fan-out and answers: the writer thread commits while this thread writes them.
   */
  #next(): void {
    this.#inFlight = undefined;
    this.#committing = new Map();
    // Acks whose timer fired during the commit (and found it in flight) go now too.
    if (this.#pending.length > 0 || (this.#cursors.size > 0 && !this.#cursorTimer)) this.#flush();
  }

  #committed(batch: Pending[], results: Appended[]): void {
    this.stats.commits++;
    this.stats.messages += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    const fresh = results.filter((r) => !r.duplicate);
    this.stats.stored += fresh.length;
    try {
      if (fresh.length > 0) this.#onCommitted(fresh);
      if (fresh.length < results.length) this.onRetried(results.filter((r) => r.duplicate));
    } catch (error) {
      // The batch is durable whatever fan-out did: its senders get their answer.
      this.#onError(error);
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
  }
}
