// Original file: chat.proto

import type {
  Member as _chat_Member,
  Member__Output as _chat_Member__Output,
} from "../chat/Member.ts";

export interface ListMembersReply {
  /**
   * In a room: every member, owners first. In an operator's closed group: its accounts. In
   * an operator's open group: the members online (accounts and guest devices), at most 1,000.
   */
  "members"?: (_chat_Member)[];
}

export interface ListMembersReply__Output {
  /**
   * In a room: every member, owners first. In an operator's closed group: its accounts. In
   * an operator's open group: the members online (accounts and guest devices), at most 1,000.
   */
  "members": (_chat_Member__Output)[];
}
