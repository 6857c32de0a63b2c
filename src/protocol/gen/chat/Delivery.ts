// Original file: chat.proto

import type {
  ChatMessage as _chat_ChatMessage,
  ChatMessage__Output as _chat_ChatMessage__Output,
} from "../chat/ChatMessage.ts";
import type { Long } from "@grpc/proto-loader";

/**
 * Messages of one group, in sequence order. `through_seq` is the highest
 * sequence this frame accounts for, including the client's own messages that
 * were left out, so `messages` may be empty; the client acks `through_seq`
 * once it has printed the rest.
 */
export interface Delivery {
  "group"?: string;
  "throughSeq"?: number | string | Long;
  "messages"?: (_chat_ChatMessage)[];
}

/**
 * Messages of one group, in sequence order. `through_seq` is the highest
 * sequence this frame accounts for, including the client's own messages that
 * were left out, so `messages` may be empty; the client acks `through_seq`
 * once it has printed the rest.
 */
export interface Delivery__Output {
  "group": string;
  "throughSeq": number;
  "messages": (_chat_ChatMessage__Output)[];
}
