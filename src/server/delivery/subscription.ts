/**
 * What each subscriber is sent, and when.
 *
 * A subscriber is a cursor into its group's sequence, not a queue: it is sent
 * the messages after what it has been sent, up to a window past what it has
 * acknowledged. Backlog and live messages take the same path, so there is no
 * switch at which a message could be lost or sent twice, and a stalled
 * subscriber holds at most its window in memory: the rest waits in the store.
 *
 * @module
 */
import type { DeliveryFrame } from "../../protocol/wire.ts";
import { DELIVERY_WINDOW, MAX_MESSAGES_PER_FRAME } from "../../shared/limits.ts";
import type { GroupFeed } from "./feed.ts";

/** Raised for an ack of something the subscriber was not sent. */
export class AckError extends Error {
  override name = "AckError";
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
   * `fromStore`: its messages were read back from the store, not memory (for metrics).
   */
  write: (frame: DeliveryFrame, done: () => void, fromStore: boolean) => void;
  /** Called when the acknowledged sequence moves forward, to persist it. */
  onAcked: (seq: number) => void;
  /** Called when sending stops with more to send because the window is full (for metrics). */
  onWindowFull?: () => void;
  /**
   * Called when messages could not be read from the store (the database is unreachable):
   * delivery has stopped, and the stream should end so that the client comes back later.
   */
  onReadFailed?: (error: unknown) => void;
  window?: number;
}

/** One client's subscription to one group; see the module doc. */
export class Subscription {
  readonly clientId: string;
  #feed: GroupFeed;
  #write: SubscriptionOptions["write"];
  /** A frame is with the transport: what arrives meanwhile goes out in the next, together. */
  #writing = false;
  #onAcked: (seq: number) => void;
  #onWindowFull: (() => void) | undefined;
  #onReadFailed: (error: unknown) => void;
  /** The window is full and there is more to send: counted once until acks open it. */
  #waiting = false;
  #window: number;
  #sent: number;
  #acked: number;
  #active = false;

  constructor(options: SubscriptionOptions) {
    this.clientId = options.clientId;
    this.#feed = options.feed;
    this.#write = options.write;
    this.#onAcked = options.onAcked;
    this.#onWindowFull = options.onWindowFull;
    this.#onReadFailed = options.onReadFailed ?? (() => this.stop());
    this.#window = options.window ?? DELIVERY_WINDOW;
    this.#sent = options.cursor;
    this.#acked = options.cursor;
  }

  /** The group this subscription reads. */
  get group(): string {
    return this.#feed.name;
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

  /**
   * Takes a cumulative ack.
   *
   * @throws {AckError} for a sequence that was never sent.
   */
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
   * frame at a time is with the transport (or being read from the store): when idle
   * it takes a frame at once, so nothing waits; under load, messages that arrive
   * meanwhile share a frame.
   */
  pump(): void {
    const last = this.#feed.lastSeq;
    while (
      this.#active && !this.#writing && this.#sent < last && this.#sent - this.#acked < this.#window
    ) {
      const after = this.#sent;
      const through = Math.min(last, this.#acked + this.#window, after + MAX_MESSAGES_PER_FRAME);
      const frame = this.#feed.frame(after, through, this.clientId);
      if (frame) {
        // A frame another subscriber read from the store is catch-up all the same.
        this.#send(frame, through, !this.#feed.holds(after));
        continue;
      }
      // Past what the feed holds in memory: read from the store, holding the place of a write.
      this.#writing = true;
      this.#feed.load(after, through, this.clientId).then(
        (loaded) => {
          this.#writing = false;
          if (!this.#active) return;
          this.#send(loaded, through, true);
          this.pump();
        },
        (error) => {
          this.#writing = false;
          if (!this.#active) return;
          this.stop();
          this.#onReadFailed(error);
        },
      );
      return;
    }
    const full = this.#active && this.#sent < last && this.#sent - this.#acked >= this.#window;
    if (full && !this.#waiting) this.#onWindowFull?.();
    this.#waiting = full;
  }

  /** Writes `frame`, which ends at `through`, unless it holds nothing for the client. */
  #send(frame: DeliveryFrame, through: number, fromStore: boolean): void {
    if (frame.messages.length === 0 && this.#sent === this.#acked) {
      // Only the client's own messages, nothing outstanding: no frame to wait for.
      this.#sent = this.#acked = through;
      this.#onAcked(through);
      return;
    }
    this.#sent = through;
    this.#writing = true;
    this.#write(frame, this.#written, fromStore);
  }
}
