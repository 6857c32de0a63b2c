/**
 * The one rule of fan-out timing: committed messages enter their group feeds at
 * once, and subscribers are woken after this turn of the event loop. Senders'
 * answers therefore go out first, and commits that end in the same turn reach
 * each subscriber in one frame.
 *
 * Commits come from this node's group commit ({@link Fanout.publish}) and, when
 * nodes share a database, from other nodes, which are only heard of
 * ({@link Fanout.heard}: a group and its last sequence). A feed takes messages
 * only in sequence order and without a gap: when what comes does not follow on
 * (another node's commit in between), the messages missing are read from the
 * store first, and whatever comes for that group meanwhile waits behind them.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Appended, FrameMessage, StoreReader } from "../../store/types.ts";
import type { GroupFeed } from "./feed.ts";

/** A group whose feed is missing messages, being read from the store. */
interface Behind {
  feed: GroupFeed;
  /** Runs that came meanwhile, each in sequence order. */
  runs: FrameMessage[][];
  /** The highest sequence known to be committed. */
  through: number;
}

/** How long to wait before reading again after a read failed, at most. */
const MAX_RETRY_MS = 2_000;

/** Messages read at most at once when catching up: a long gap is read in pieces. */
const CATCH_UP_READ = 1_024;

/** Routes committed messages to group feeds and wakes their subscribers; see the module doc. */
export class Fanout {
  /** Told when the store cannot be read to close a gap (it is tried again). */
  onError: (error: unknown) => void = () => {};
  #feedOf: (group: string) => GroupFeed | undefined;
  #schedule: (wake: () => void) => void;
  #reader: Pick<StoreReader, "readFrameRange" | "lastSeqs"> | undefined;
  #woken = new Set<GroupFeed>();
  #scheduled = false;
  #behind = new Map<string, Behind>();

  /**
   * @param feedOf the feed of a group, if this server serves it.
   * @param schedule runs the wake-up after a publish: after this turn by default
   *   (unit tests may run it at once).
   * @param reader where messages missing from a feed are read; without one, a gap is an
   *   error (one node alone never makes one).
   */
  constructor(
    feedOf: (group: string) => GroupFeed | undefined,
    schedule: (wake: () => void) => void = setImmediate,
    reader?: Pick<StoreReader, "readFrameRange" | "lastSeqs">,
  ) {
    this.#feedOf = feedOf;
    this.#schedule = schedule;
    this.#reader = reader;
  }

  /** Takes messages this node committed (retries left out), in sequence order per group. */
  publish(appended: readonly Appended[]): void {
    let start = 0;
    // A batch is in sequence order per group; each group's run goes to its feed at once.
    for (let i = 1; i <= appended.length; i++) {
      if (i === appended.length || appended[i].group !== appended[start].group) {
        const run: FrameMessage[] = new Array(i - start);
        for (let j = start; j < i; j++) run[j - start] = appended[j].message;
        this.#offer(appended[start].group, run, run[run.length - 1].seq);
        start = i;
      }
    }
  }

  /**
   * Another node committed messages of `group`, the last of them `through`: those this node
   * misses are read, unless they came with the news (`messages`, in order, ending at `through`).
   */
  heard(group: string, through: number, messages: FrameMessage[] = []): void {
    this.#offer(group, messages, through);
  }

  /**
   * The last sequence of each of `feeds` as the store has it now, which may be past what a feed
   * holds when other nodes committed what this node has not read yet: those are read (as if
   * heard of), and the feed's subscribers get them in order. For answers that must not be
   * behind the store (a Register's `last_seq`, a claim of what a client has seen, a join's
   * floor). Without a store, what the feeds hold.
   *
   * @throws what the store's read throws (the database is unreachable).
   */
  async latest(feeds: readonly GroupFeed[]): Promise<number[]> {
    if (!this.#reader || feeds.length === 0) return feeds.map((f) => f.lastSeq);
    const stored = await this.#reader.lastSeqs(feeds.map((f) => f.name));
    return feeds.map((feed, i) => {
      if (stored[i] > feed.lastSeq) this.heard(feed.name, stored[i]);
      return Math.max(stored[i], feed.lastSeq);
    });
  }

  /** Whether `group`'s feed is waiting for messages from the store. */
  isBehind(group: string): boolean {
    return this.#behind.has(group);
  }

  #offer(group: string, run: FrameMessage[], through: number): void {
    const feed = this.#feedOf(group);
    if (!feed) return;
    const behind = this.#behind.get(group);
    if (behind?.feed === feed) {
      if (run.length > 0) behind.runs.push(run);
      behind.through = Math.max(behind.through, through);
      return;
    }
    if (through <= feed.lastSeq) return;
    if (run.length > 0 && run[0].seq <= feed.lastSeq + 1) {
      this.#append(feed, run);
      return;
    }
    if (!this.#reader) {
      throw new Error(
        `group ${group} goes on from ${feed.lastSeq}, not at ${
          run[0]?.seq ?? through
        }, and no store was given to read the gap`,
      );
    }
    const state: Behind = { feed, runs: run.length > 0 ? [run] : [], through };
    this.#behind.set(group, state);
    // Not read at once: the gap is most often this node's own commit, committed before the
    // other node's that was just heard, whose answer is being read in this same turn (its
    // promise chain runs after a notification's handler). What comes meanwhile waits in
    // `runs`, and what is still missing after this turn is read.
    const reader = this.#reader;
    setImmediate(() => this.#catchUp(group, state, reader));
  }

  /** Appends what of `run` follows on from the feed's last sequence, and wakes it after the turn. */
  #append(feed: GroupFeed, run: readonly FrameMessage[]): void {
    const last = feed.lastSeq;
    const fresh = run[0].seq > last ? run : run.filter((m) => m.seq > last);
    if (fresh.length === 0) return;
    feed.append(fresh);
    this.#woken.add(feed);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(this.#wake);
  }

  /** Reads what `state.feed` misses until it holds `state.through`, taking waiting runs in turn. */
  async #catchUp(
    group: string,
    state: Behind,
    reader: Pick<StoreReader, "readFrameRange" | "lastSeqs">,
  ): Promise<void> {
    let failures = 0;
    try {
      // A room deleted meanwhile (maybe made again by its name): what was missed is gone.
      while (this.#feedOf(group) === state.feed) {
        state.runs.sort((a, b) => a[0].seq - b[0].seq);
        while (state.runs.length > 0 && state.runs[0][0].seq <= state.feed.lastSeq + 1) {
          this.#append(state.feed, state.runs.shift()!);
        }
        const last = state.feed.lastSeq;
        if (last >= state.through) return;
        const upTo = Math.min(
          state.through,
          (state.runs[0]?.[0].seq ?? Infinity) - 1,
          last + CATCH_UP_READ,
        );
        if (state.feed.subscribers.size === 0) {
          // Nobody reads here: whoever comes reads from the store, so nothing need be read now.
          state.feed.advance(upTo);
          continue;
        }
        let read: FrameMessage[] = [];
        try {
          read = await reader.readFrameRange(group, last, upTo);
        } catch (error) {
          this.onError(error);
        }
        if (read.length > 0 && read[0].seq === state.feed.lastSeq + 1) {
          failures = 0;
          this.#append(state.feed, read);
        } else if (state.feed.lastSeq === last) {
          // Unreadable now (the database is away): again after a while, as the runs wait.
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(50 * 2 ** failures++, MAX_RETRY_MS))
          );
        }
      }
    } finally {
      this.#behind.delete(group);
    }
  }

  #wake = (): void => {
    this.#scheduled = false;
    const feeds = this.#woken;
    this.#woken = new Set();
    for (const feed of feeds) feed.wake();
  };
}
