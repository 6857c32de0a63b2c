/**
 * The writes of one server stream. Each write costs tens of microseconds in grpc-js and HTTP/2
 * whatever it carries: a member of many rooms would get one write per room with news, and a
 * sender with many messages in flight one write per reply. For a client that reads the
 * messages' `more` field (`Open.accept_more` on Subscribe, the `x-chat-accept-more` header on
 * Publish), the messages made in the same turn, and those made while the stream's last write
 * is still with the transport, go out as one; for any other client each is its own write, as
 * before. Messages keep the order they were made in either way.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { combineWithMore, moreOverhead } from "../../protocol/wire.ts";
import { MAX_SEND_MESSAGE_BYTES } from "../../shared/limits.ts";

/** Hands bytes to the transport and calls `done` once it has taken them. */
export type WriteBytes = (bytes: Buffer, done: () => void) => void;

/** One queued frame: its bytes, and what to call once the transport has taken them. */
interface Queued {
  bytes: Buffer;
  done: (() => void) | undefined;
}

/** Writes one stream's messages, combined when the client accepts it; see the module doc. */
export class FrameWriter {
  #write: WriteBytes;
  #moreField: number | undefined;
  #maxBytes: number;
  #scheduleFlush: (flush: () => void) => void;
  #queue: Queued[] = [];
  /** A write is with the transport: frames made meanwhile wait and go out together. */
  #writing = false;
  #scheduled = false;
  #closed = false;

  /**
   * @param write hands one message's bytes to the stream.
   * @param moreField the number of the message's `more` field when the client reads it
   *   (wire.ts `MORE_FIELD`); undefined: each message is its own write.
   * @param options.maxBytes most bytes in one combined write: a client accepts messages up to
   *   {@link MAX_SEND_MESSAGE_BYTES}, however many they combine.
   * @param options.schedule runs the flush after the messages of this turn are in: at the end
   *   of the turn by default (delivery frames are all made in one synchronous pass); a Publish
   *   stream's replies come from promise chains, so it waits for the next turn (`setImmediate`).
   */
  constructor(
    write: WriteBytes,
    moreField: number | undefined,
    { maxBytes = MAX_SEND_MESSAGE_BYTES, schedule = queueMicrotask }: {
      maxBytes?: number;
      schedule?: (flush: () => void) => void;
    } = {},
  ) {
    this.#write = write;
    this.#moreField = moreField;
    this.#maxBytes = maxBytes;
    this.#scheduleFlush = schedule;
  }

  /** Writes one message's bytes; `done` is called once the transport has taken them. */
  write(bytes: Buffer, done?: () => void): void {
    if (this.#closed) return;
    if (this.#moreField === undefined) {
      this.#write(bytes, done ?? noop);
      return;
    }
    this.#queue.push({ bytes, done });
    this.#schedule();
  }

  /**
   * Writes everything queued now, without waiting for the turn or the transport (grpc-js keeps
   * the order of writes): for a stream about to end, whose last messages must go before it.
   */
  flushNow(): void {
    while (!this.#closed && this.#queue.length > 0) this.#writeBatch();
  }

  /** Drops what is queued; nothing more is written (the stream ended). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }

  /** After this turn, so that every message made in it goes out in the same write. */
  #schedule(): void {
    if (this.#writing || this.#scheduled) return;
    this.#scheduled = true;
    this.#scheduleFlush(this.#flush);
  }

  #flush = (): void => {
    this.#scheduled = false;
    if (this.#closed || this.#writing || this.#queue.length === 0) return;
    this.#writeBatch();
  };

  /** Writes the head of the queue, as many messages as fit in one write. */
  #writeBatch(): void {
    const queue = this.#queue;
    let size = queue[0].bytes.length;
    let n = 1;
    while (n < queue.length) {
      const next = queue[n].bytes.length;
      const grown = size + moreOverhead(next) + next;
      if (grown > this.#maxBytes) break;
      size = grown;
      n++;
    }
    const batch = queue.splice(0, n);
    this.#writing = true;
    const bytes = n === 1
      ? batch[0].bytes
      : combineWithMore(batch.map((q) => q.bytes), this.#moreField!);
    this.#write(bytes, () => {
      this.#writing = false;
      // Each `done` lets a subscription send its next frame, which queues it here. One that
      // throws (a store read failed) must not leave the others waiting for good.
      let failure: unknown;
      for (const q of batch) {
        try {
          q.done?.();
        } catch (error) {
          failure ??= error;
        }
      }
      if (this.#queue.length > 0) this.#schedule();
      if (failure !== undefined) throw failure;
    });
  }
}

function noop(): void {}
