// Original file: chat.proto

import type { Open as _chat_Open, Open__Output as _chat_Open__Output } from "../chat/Open.ts";
import type { Ack as _chat_Ack, Ack__Output as _chat_Ack__Output } from "../chat/Ack.ts";

export interface SubscribeFrame {
  "open"?: _chat_Open | null;
  "ack"?: _chat_Ack | null;
  "frame"?: "open" | "ack";
}

export interface SubscribeFrame__Output {
  "open"?: _chat_Open__Output | null;
  "ack"?: _chat_Ack__Output | null;
  "frame"?: "open" | "ack";
}
