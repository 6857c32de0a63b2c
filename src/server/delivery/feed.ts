/**
 * Fan-out: what each subscriber is sent, and when.
 *
 * A subscriber is a cursor into its group's sequence, not a queue: it is sent
 * the messages after what it has been sent, up to a window past what it has
 * acknowledged. Backlog and live messages take the same path, so there is no
 * switch at which a message could be lost or sent twice, and a stalled
 * subscriber holds at most its window in memory: the rest waits in the store.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import {
  DELIVERY_WINDOW,
  MAX_MESSAGES_PER_FRAME,
  RECENT_MESSAGES_KEPT,
} from "../../shared/limits.ts";
import type { FrameMessage, Store, StoredMessage } from "../../store/sqlite/store.ts";

/** One Delivery frame (chat.proto): messages of one group, and the sequence it accounts through. */
export interface DeliveryFrame {
  group: string;
  throughSeq: number;
  messages: FrameMessage[];
}

/** Raised for an ack of something the subscriber was not sent. */
export class AckError extends Error {
  override name = "AckError";
}

/** One group's sequence as subscribers see it: the newest messages in memory, the rest in the store. */
export class GroupFeed {
  readonly name: string;
  readonly subscribers = new Set<Subscription>();
  #store: Store;
  #lastSeq: number;
  /** Only what frames need: the text is in each body already. */
  #recent: FrameMessage[] = [];
  #recentKept: number;
  /**
   * Frames already built, by range: subscribers at the same place get the very
   * same frame object, so the service encodes it once for all of them.
   */
  #frames = new Map<string, { frame: DeliveryFrame; senders: Set<string> }>();
  #wakeScheduled = false;

  #schedule: (wake: () => void) => void;

  /**
   * @param recentKept how many of the newest messages to serve from memory.
   * @param schedule runs the wake-up of subscribers after a publish: after this turn of the
   *   event loop by default (tests may run it at once).
   */
  constructor(
    name: string,
    store: Store,
    recentKept = RECENT_MESSAGES_KEPT,
    schedule: (wake: () => void) => void = setImmediate,
  ) {
    this.name = name;
    this.#store = store;
    this.#lastSeq = store.lastSeq(name);
    this.#recentKept = recentKept;
    this.#schedule = schedule;
  }

  /** The highest committed sequence. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Takes newly committed messages (in sequence order) at once, and wakes every subscriber
   * after this turn of the event loop: the senders' answers go out first, and commits that end
   * in the same turn reach each subscriber in one frame.
   */
  publish(messages: readonly StoredMessage[]): void {
    for (const m of messages) this.#recent.push({ seq: m.seq, senderId: m.senderId, body: m.body });
    this.#lastSeq = messages[messages.length - 1]?.seq ?? this.#lastSeq;
    // Trimming in halves keeps the cost per message constant.
    if (this.#recent.length > 2 * this.#recentKept) {
      this.#recent = this.#recent.slice(-this.#recentKept);
    }
    this.#frames.clear();
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    this.#schedule(() => {
      this.#wakeScheduled = false;
      for (const subscriber of this.subscribers) subscriber.pump();
    });
  }

  /**
   * The frame of messages `after < seq <= through` for `clientId`: shared by
   * every subscriber it is the same for, or a copy without the client's own
   * messages if it sent any of them.
   */
  frame(after: number, through: number, clientId: string): DeliveryFrame {
    const key = `${after}:${through}`;
    let shared = this.#frames.get(key);
    if (!shared) {
      const messages = this.read(after, through);
      const frame = { group: this.name, throughSeq: through, messages };
      // Who sent what is asked once per subscriber: answered from a set made once per frame.
      shared = { frame, senders: new Set(messages.map((m) => m.senderId)) };
      // Ranges never change, but acks spread subscribers out: keep the cache small.
      if (this.#frames.size >= 64) this.#frames.clear();
      this.#frames.set(key, shared);
    }
    if (!shared.senders.has(clientId)) return shared.frame;
    const messages = shared.frame.messages.filter((m) => m.senderId !== clientId);
    return { group: this.name, throughSeq: through, messages };
  }

  /** Messages with `after < seq <= through`, from memory when it has them. */
  read(after: number, through: number): FrameMessage[] {
    const first = this.#recent[0]?.seq;
    if (first !== undefined && after + 1 >= first) {
      return this.#recent.slice(after + 1 - first, through + 1 - first);
    }
    return this.#store.readFrameRange(this.name, after, through);
  }
}

/** Options of a {@link Subscription}. */
export interface SubscriptionOptions {
  feed: GroupFeed;
  clientId: string;
  /** The highest sequence the client has acknowledged; delivery starts after it. */
  cursor: number;
  /**
   * Writes one frame to the client's stream and calls `done` once the
   * transport has taken it; no other frame is written to this subscriber until then.
   */
  write: (frame: DeliveryFrame, done: () => void) => void;
  /** Called when the acknowledged sequence moves forward, to persist it. */
  onAcked: (seq: number) => void;
  window?: number;
}

/** One client's subscription to one group; see the module doc. */
export class Subscription {
  readonly clientId: string;
  #feed: GroupFeed;
  #write: (frame: DeliveryFrame, done: () => void) => void;
  /** A frame is with the transport: what arrives meanwhile goes out in the next, together. */
  #writing = false;
  #onAcked: (seq: number) => void;
  #window: number;
  #sent: number;
  #acked: number;
  #active = false;

  constructor(options: SubscriptionOptions) {
    this.clientId = options.clientId;
    this.#feed = options.feed;
    this.#write = options.write;
    this.#onAcked = options.onAcked;
    this.#window = options.window ?? DELIVERY_WINDOW;
    this.#sent = options.cursor;
    this.#acked = options.cursor;
  }

  /** The highest sequence accounted for in frames sent. */
  get sent(): number {
    return this.#sent;
  }

  /** The highest sequence acknowledged. */
  get acked(): number {
    return this.#acked;
  }

  /** Joins the feed and sends what is waiting. */
  start(): void {
    this.#active = true;
    this.#feed.subscribers.add(this);
    this.pump();
  }

  /** Leaves the feed; nothing more is written. */
  stop(): void {
    this.#active = false;
    this.#feed.subscribers.delete(this);
  }

  #written = (): void => {
    this.#writing = false;
    this.pump();
  };

  /** Takes a cumulative ack; throws {@link AckError} for a sequence that was never sent. */
  ack(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.#sent) {
      throw new AckError(
        `ack ${seq} for group ${this.#feed.name} is past the last delivered sequence ${this.#sent}`,
      );
    }
    if (seq <= this.#acked) return;
    this.#acked = seq;
    this.#onAcked(seq);
    this.pump();
  }

  /**
   * Sends frames until the subscriber is caught up or its window is full. One
   * frame at a time is with the transport: when idle it takes a frame at once,
   * so nothing waits; under load, messages that arrive meanwhile share a frame.
   */
  pump(): void {
    const last = this.#feed.lastSeq;
    while (
      this.#active && !this.#writing && this.#sent < last && this.#sent - this.#acked < this.#window
    ) {
      const through = Math.min(
        last,
        this.#acked + this.#window,
        this.#sent + MAX_MESSAGES_PER_FRAME,
      );
      const frame = this.#feed.frame(this.#sent, through, this.clientId);
      if (frame.messages.length === 0 && this.#sent === this.#acked) {
        // Only the client's own messages, nothing outstanding: no frame to wait for.
        this.#sent = this.#acked = through;
        this.#onAcked(through);
        continue;
      }
      this.#sent = through;
      this.#writing = true;
      this.#write(frame, this.#written);
    }
  }
}
