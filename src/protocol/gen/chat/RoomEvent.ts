// Original file: chat.proto

import type {
  Member as _chat_Member,
  Member__Output as _chat_Member__Output,
} from "../chat/Member.ts";

// Original file: chat.proto

export const _chat_RoomEvent_Kind = {
  KIND_UNSPECIFIED: 0,
  JOINED: 1,
  LEFT: 2,
  REMOVED: 3,
  ROLE_CHANGED: 4,
  /**
   * The receiving account was invited to the room (it is not a member yet).
   */
  INVITED: 5,
  /**
   * The room was deleted (its last member left).
   */
  DELETED: 6,
} as const;

export type _chat_RoomEvent_Kind =
  | "KIND_UNSPECIFIED"
  | 0
  | "JOINED"
  | 1
  | "LEFT"
  | 2
  | "REMOVED"
  | 3
  | "ROLE_CHANGED"
  | 4
  /**
   * The receiving account was invited to the room (it is not a member yet).
   */
  | "INVITED"
  | 5
  /**
   * The room was deleted (its last member left).
   */
  | "DELETED"
  | 6;

export type _chat_RoomEvent_Kind__Output =
  typeof _chat_RoomEvent_Kind[keyof typeof _chat_RoomEvent_Kind];

export interface RoomEvent {
  "kind"?: _chat_RoomEvent_Kind;
  /**
   * Whom it is about: an account, or a guest device (handle empty).
   */
  "member"?: _chat_Member | null;
  /**
   * The account that did it (empty when the member did it himself).
   */
  "by"?: string;
}

export interface RoomEvent__Output {
  "kind": _chat_RoomEvent_Kind__Output;
  /**
   * Whom it is about: an account, or a guest device (handle empty).
   */
  "member": _chat_Member__Output | null;
  /**
   * The account that did it (empty when the member did it himself).
   */
  "by": string;
}
