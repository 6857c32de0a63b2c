// Original file: chat.proto

import type { Ack as _chat_Ack, Ack__Output as _chat_Ack__Output } from "../chat/Ack.ts";

export interface Acks {
  "acks"?: (_chat_Ack)[];
}

export interface Acks__Output {
  "acks": (_chat_Ack__Output)[];
}
