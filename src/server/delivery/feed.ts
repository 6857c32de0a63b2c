/**
 * One group's sequence as its subscribers see it: the newest messages in
 * memory, the rest in the store, and frames built once per range.
 *
 * @module
 */
import type { DeliveryFrame } from "../../protocol/wire.ts";
import { RECENT_MESSAGES_KEPT } from "../../shared/limits.ts";
import type { FrameMessage, StoreReader } from "../../store/types.ts";

/** What a feed asks of each of its subscribers: to send what it can now. */
export interface FeedSubscriber {
  pump(): void;
}

/** A group's committed messages for delivery; see the module doc. */
export class GroupFeed {
  readonly name: string;
  readonly subscribers: Set<FeedSubscriber> = new Set();
  #reader: StoreReader;
  #lastSeq: number;
  /** Only what frames need: the text is in each body already. */
  #recent: FrameMessage[] = [];
  #recentKept: number;
  /**
   * Frames already built, by range: subscribers at the same place get the very
   * same frame object, so it is encoded once for all of them.
   */
  #frames = new Map<string, SharedFrame>();
  /** Reads from the store under way, by range: subscribers at the same place share one. */
  #loading = new Map<string, Promise<SharedFrame>>();

  /**
   * @param lastSeq the group's highest committed sequence now (see {@link StoreReader.lastSeq}).
   * @param recentKept how many of the newest messages to serve from memory.
   */
  constructor(
    name: string,
    reader: StoreReader,
    lastSeq: number,
    recentKept: number = RECENT_MESSAGES_KEPT,
  ) {
    this.name = name;
    this.#reader = reader;
    this.#lastSeq = lastSeq;
    this.#recentKept = recentKept;
  }

  /** The highest committed sequence. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Takes newly committed messages, in sequence order. Subscribers are not woken here:
   * {@link Fanout} decides when (after the senders are answered).
   */
  append(messages: readonly FrameMessage[]): void {
    this.#lastSeq = messages[messages.length - 1]?.seq ?? this.#lastSeq;
    this.#frames.clear();
    if (this.subscribers.size === 0) {
      // Nobody online to send them to: whoever comes reads them from the store, so a server of
      // many rooms holds recent messages only for the rooms someone is reading.
      this.#recent = [];
      return;
    }
    for (const m of messages) this.#recent.push({ seq: m.seq, senderId: m.senderId, body: m.body });
    // Trimming in halves keeps the cost per message constant.
    if (this.#recent.length > 2 * this.#recentKept) {
      this.#recent = this.#recent.slice(-this.#recentKept);
    }
  }

  /**
   * Moves the last sequence on to `seq` without the messages, which stay in the store: for a
   * feed nobody reads, which holds none in memory anyway (see {@link append}).
   */
  advance(seq: number): void {
    if (seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    this.#recent = [];
    this.#frames.clear();
  }

  /** Lets every subscriber send what it now can. */
  wake(): void {
    for (const subscriber of this.subscribers) subscriber.pump();
  }

  /**
   * The frame of messages `after < seq <= through` for `clientId`, when they are in memory
   * (undefined if not: {@link load} reads them): shared by every subscriber it is the same
   * for, or a copy without the client's own messages if it sent any of them.
   */
  frame(after: number, through: number, clientId: string): DeliveryFrame | undefined {
    const key = `${after}:${through}`;
    let shared = this.#frames.get(key);
    if (!shared) {
      if (!this.holds(after)) return undefined;
      shared = this.#share(
        key,
        through,
        this.#recent.slice(after + 1 - this.#recent[0].seq, through + 1 - this.#recent[0].seq),
      );
    }
    return this.#for(shared, through, clientId);
  }

  /**
   * Like {@link frame}, reading the messages from the store: the catch-up path. Subscribers
   * asking for the same range while it is read share the read.
   *
   * @throws what the store's read throws (the database is unreachable).
   */
  async load(after: number, through: number, clientId: string): Promise<DeliveryFrame> {
    const key = `${after}:${through}`;
    let shared = this.#frames.get(key);
    if (!shared) {
      let loading = this.#loading.get(key);
      if (!loading) {
        loading = this.#reader.readFrameRange(this.name, after, through).then(
          (messages) => this.#share(key, through, messages),
        ).finally(() => this.#loading.delete(key));
        this.#loading.set(key, loading);
      }
      shared = await loading;
    }
    return this.#for(shared, through, clientId);
  }

  #share(key: string, through: number, messages: FrameMessage[]): SharedFrame {
    const frame = { group: this.name, throughSeq: through, messages };
    // Who sent what is asked once per subscriber: answered from a set made once per frame.
    const shared = { frame, senders: new Set(messages.map((m) => m.senderId)) };
    // Ranges never change, but acks spread subscribers out: keep the cache small.
    if (this.#frames.size >= 64) this.#frames.clear();
    this.#frames.set(key, shared);
    return shared;
  }

  #for(shared: SharedFrame, through: number, clientId: string): DeliveryFrame {
    if (!shared.senders.has(clientId)) return shared.frame;
    const messages = shared.frame.messages.filter((m) => m.senderId !== clientId);
    return { group: this.name, throughSeq: through, messages };
  }

  /** Whether the messages after `after` are in memory, or must be read from the store. */
  holds(after: number): boolean {
    const first = this.#recent[0]?.seq;
    return first !== undefined && after + 1 >= first;
  }

  /**
   * Messages with `after < seq <= through`, from memory when it has them.
   *
   * @throws what the store's read throws (the database is unreachable).
   */
  read(after: number, through: number): Promise<FrameMessage[]> {
    if (this.holds(after)) {
      const first = this.#recent[0].seq;
      return Promise.resolve(this.#recent.slice(after + 1 - first, through + 1 - first));
    }
    return this.#reader.readFrameRange(this.name, after, through);
  }
}

/** A frame shared by every subscriber at one place, and who sent its messages. */
interface SharedFrame {
  frame: DeliveryFrame;
  senders: Set<string>;
}
