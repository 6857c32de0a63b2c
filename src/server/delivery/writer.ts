/**
 * The writes of one Subscribe stream. Each write costs tens of microseconds in grpc-js and
 * HTTP/2 whatever it carries, and a member of many rooms would otherwise get one write per room
 * with news. For a client that reads `Delivery.more` (it said so in `Open.accept_more`), the
 * frames of every group made in the same turn, and those made while the stream's last write is
 * still with the transport, go out as one Delivery; for any other client each frame is its own
 * write, as before. Frames keep the order they were made in either way.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { combineDeliveries, moreOverhead } from "../../protocol/wire.ts";
import { MAX_SEND_MESSAGE_BYTES } from "../../shared/limits.ts";

/** Hands bytes to the transport and calls `done` once it has taken them. */
export type WriteBytes = (bytes: Buffer, done: () => void) => void;

/** One queued frame: its bytes, and what to call once the transport has taken them. */
interface Queued {
  bytes: Buffer;
  done: (() => void) | undefined;
}

/** Writes one stream's Delivery frames, combined when the client accepts it; see the module doc. */
export class FrameWriter {
  #write: WriteBytes;
  #combine: boolean;
  #maxBytes: number;
  #queue: Queued[] = [];
  /** A write is with the transport: frames made meanwhile wait and go out together. */
  #writing = false;
  #scheduled = false;
  #closed = false;

  /**
   * @param write hands one Delivery's bytes to the stream.
   * @param combine the client reads `Delivery.more` (`Open.accept_more`).
   * @param maxBytes most bytes in one combined write: a client accepts frames up to
   *   {@link MAX_SEND_MESSAGE_BYTES}, however many groups they carry.
   */
  constructor(write: WriteBytes, combine: boolean, maxBytes: number = MAX_SEND_MESSAGE_BYTES) {
    this.#write = write;
    this.#combine = combine;
    this.#maxBytes = maxBytes;
  }

  /** Writes one Delivery frame's bytes; `done` is called once the transport has taken them. */
  write(bytes: Buffer, done?: () => void): void {
    if (this.#closed) return;
    if (!this.#combine) {
      this.#write(bytes, done ?? noop);
      return;
    }
    this.#queue.push({ bytes, done });
    this.#schedule();
  }

  /** Drops what is queued; nothing more is written (the stream ended). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }

  /** After this turn, so that every group with news in it goes out in the same write. */
  #schedule(): void {
    if (this.#writing || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flush);
  }

  #flush = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    if (this.#closed || this.#writing || queue.length === 0) return;
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
    const bytes = n === 1 ? batch[0].bytes : combineDeliveries(batch.map((q) => q.bytes));
    this.#write(bytes, () => {
      this.#writing = false;
      // Each `done` lets a subscription send its next frame, which queues it here.
      for (const q of batch) q.done?.();
      if (this.#queue.length > 0) this.#schedule();
    });
  };
}

function noop(): void {}
