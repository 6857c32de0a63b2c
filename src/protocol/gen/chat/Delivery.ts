// Original file: chat.proto

import type {
  ChatMessage as _chat_ChatMessage,
  ChatMessage__Output as _chat_ChatMessage__Output,
} from "../chat/ChatMessage.ts";
import type {
  RoomEvent as _chat_RoomEvent,
  RoomEvent__Output as _chat_RoomEvent__Output,
} from "../chat/RoomEvent.ts";
import type {
  Delivery as _chat_Delivery,
  Delivery__Output as _chat_Delivery__Output,
} from "../chat/Delivery.ts";
import type { Long } from "@grpc/proto-loader";

/**
 * Messages of one group, in sequence order. `through_seq` is the highest
 * sequence this frame accounts for, including the client's own messages that
 * were left out, so `messages` may be empty; the client acks `through_seq`
 * once it has printed the rest.
 *
 * A frame may instead carry `events` of the group (a member joined, left, was removed
 * or given a role; the caller was invited; the room was deleted): then `through_seq` is 0
 * and there is nothing to ack. Events are told at most once (a slow stream may miss some);
 * messages never are.
 */
export interface Delivery {
  "group"?: string;
  "throughSeq"?: number | string | Long;
  "messages"?: (_chat_ChatMessage)[];
  "events"?: (_chat_RoomEvent)[];
  /**
   * Further frames written with this one (of any group, this one's too: its
   * events, say), only to a stream opened with Open.accept_more. Each is read as
   * if it had come alone, after this one and in order; none has `more` of its own.
   */
  "more"?: (_chat_Delivery)[];
}

/**
 * Messages of one group, in sequence order. `through_seq` is the highest
 * sequence this frame accounts for, including the client's own messages that
 * were left out, so `messages` may be empty; the client acks `through_seq`
 * once it has printed the rest.
 *
 * A frame may instead carry `events` of the group (a member joined, left, was removed
 * or given a role; the caller was invited; the room was deleted): then `through_seq` is 0
 * and there is nothing to ack. Events are told at most once (a slow stream may miss some);
 * messages never are.
 */
export interface Delivery__Output {
  "group": string;
  "throughSeq": number;
  "messages": (_chat_ChatMessage__Output)[];
  "events": (_chat_RoomEvent__Output)[];
  /**
   * Further frames written with this one (of any group, this one's too: its
   * events, say), only to a stream opened with Open.accept_more. Each is read as
   * if it had come alone, after this one and in order; none has `more` of its own.
   */
  "more": (_chat_Delivery__Output)[];
}
