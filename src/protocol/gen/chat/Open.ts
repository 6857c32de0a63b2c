// Original file: chat.proto

import type { Ack as _chat_Ack, Ack__Output as _chat_Ack__Output } from "../chat/Ack.ts";

export interface Open {
  /**
   * Sequences the client has already seen (from its own state file); they
   * move the cursor forward like an ack, never backward.
   */
  "seen"?: (_chat_Ack)[];
}

export interface Open__Output {
  /**
   * Sequences the client has already seen (from its own state file); they
   * move the cursor forward like an ack, never backward.
   */
  "seen": (_chat_Ack__Output)[];
}
