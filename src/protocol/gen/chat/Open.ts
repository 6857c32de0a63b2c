// Original file: chat.proto

import type { Ack as _chat_Ack, Ack__Output as _chat_Ack__Output } from "../chat/Ack.ts";

export interface Open {
  /**
   * Sequences the client has already seen (from its own state file); they
   * move the cursor forward like an ack, never backward.
   */
  "seen"?: (_chat_Ack)[];
  /**
   * The client reads Delivery.more: the server may then write every group that
   * has news for this stream in one frame (one write per turn, not one per group).
   */
  "acceptMore"?: boolean;
}

export interface Open__Output {
  /**
   * Sequences the client has already seen (from its own state file); they
   * move the cursor forward like an ack, never backward.
   */
  "seen": (_chat_Ack__Output)[];
  /**
   * The client reads Delivery.more: the server may then write every group that
   * has news for this stream in one frame (one write per turn, not one per group).
   */
  "acceptMore": boolean;
}
