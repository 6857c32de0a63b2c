// Original file: chat.proto

import type {
  ChatMessage as _chat_ChatMessage,
  ChatMessage__Output as _chat_ChatMessage__Output,
} from "../chat/ChatMessage.ts";

export interface HistoryReply {
  /**
   * Oldest first, gap-free, the caller's own messages included.
   */
  "messages"?: (_chat_ChatMessage)[];
  /**
   * Older messages the caller may read remain before the first of these.
   */
  "more"?: boolean;
}

export interface HistoryReply__Output {
  /**
   * Oldest first, gap-free, the caller's own messages included.
   */
  "messages": (_chat_ChatMessage__Output)[];
  /**
   * Older messages the caller may read remain before the first of these.
   */
  "more": boolean;
}
