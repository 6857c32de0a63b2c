/**
 * When a client acknowledges. Acks are cumulative, so one ack can cover many
 * frames: the client acks once a quarter of the server's window has arrived
 * since its last ack, or shortly after the first frame it has not acked yet.
 * That keeps the server's window moving (it is never more than a quarter
 * behind) while sparing both ends one gRPC message per frame under load. The
 * acks of every group due at once go in one frame when the server takes that
 * (`SubscribeFrame.acks`): a member of many busy rooms would otherwise send
 * about one ack per message.
 *
 * @module
 */
import { DELIVERY_WINDOW } from "../shared/limits.ts";

/** Messages received since the last ack that trigger an ack at once. */
export const ACK_EVERY_MESSAGES = DELIVERY_WINDOW / 4;

/**
 * The longest an ack waits after the first frame it covers. The server writes cursors at most
 * every CURSOR_FLUSH_MS (100 ms) anyway, so a sooner ack makes nothing more durable; and when
 * frames come less often than this (many quiet groups), each frame would cost an ack.
 */
export const ACK_DELAY_MS = 100;

/** One group's cumulative ack. */
export interface GroupAck {
  group: string;
  seq: number;
}

/** Batches cumulative acks per group; see the module doc. */
export class AckBatcher {
  #send: (group: string, seq: number) => void;
  #sendMany: ((acks: GroupAck[]) => void) | undefined;
  #pending = new Map<string, { seq: number; since: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #acked = new Map<string, number>();

  /** @param send writes one group's ack frame. */
  constructor(send: (group: string, seq: number) => void) {
    this.#send = send;
  }

  /**
   * From now on, the acks of several groups due together go in one frame through `sendMany`
   * (the server said it takes such frames).
   */
  batchWith(sendMany: (acks: GroupAck[]) => void): void {
    this.#sendMany = sendMany;
  }

  /** Notes that everything in `group` through `seq` has been taken (printed and remembered). */
  received(group: string, seq: number): void {
    let pending = this.#pending.get(group);
    if (!pending) {
      pending = { seq, since: this.#acked.get(group) ?? seq };
      this.#pending.set(group, pending);
    }
    pending.seq = seq;
    if (pending.seq - pending.since >= ACK_EVERY_MESSAGES) {
      this.#ack(group);
    } else {
      this.#timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
    }
  }

  /** Acks everything noted so far (on a timer, and before the stream ends). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#sendMany && this.#pending.size > 1) {
      const acks: GroupAck[] = [];
      for (const [group, { seq }] of this.#pending) {
        acks.push({ group, seq });
        this.#acked.set(group, seq);
      }
      this.#pending.clear();
      this.#sendMany(acks);
      return;
    }
    for (const group of this.#pending.keys()) this.#ack(group); // #ack deletes: safe in a Map
  }

  /** Forgets what is pending without acking it (the stream is gone). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #ack(group: string): void {
    const pending = this.#pending.get(group);
    if (!pending) return;
    this.#pending.delete(group);
    this.#acked.set(group, pending.seq);
    this.#send(group, pending.seq);
    if (this.#pending.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
