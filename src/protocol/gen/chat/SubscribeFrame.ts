// Original file: chat.proto

import type { Open as _chat_Open, Open__Output as _chat_Open__Output } from "../chat/Open.ts";
import type { Ack as _chat_Ack, Ack__Output as _chat_Ack__Output } from "../chat/Ack.ts";
import type { Acks as _chat_Acks, Acks__Output as _chat_Acks__Output } from "../chat/Acks.ts";

export interface SubscribeFrame {
  "open"?: _chat_Open | null;
  "ack"?: _chat_Ack | null;
  /**
   * Acks of several groups in one frame, each as if sent alone, in order. Only
   * to a server whose Subscribe response headers hold `x-chat-acks: batched`
   * (older servers refuse a frame they do not know).
   */
  "acks"?: _chat_Acks | null;
  "frame"?: "open" | "ack" | "acks";
}

export interface SubscribeFrame__Output {
  "open"?: _chat_Open__Output | null;
  "ack"?: _chat_Ack__Output | null;
  /**
   * Acks of several groups in one frame, each as if sent alone, in order. Only
   * to a server whose Subscribe response headers hold `x-chat-acks: batched`
   * (older servers refuse a frame they do not know).
   */
  "acks"?: _chat_Acks__Output | null;
  "frame"?: "open" | "ack" | "acks";
}
