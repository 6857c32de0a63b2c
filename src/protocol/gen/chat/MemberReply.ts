// Original file: chat.proto

import type {
  Member as _chat_Member,
  Member__Output as _chat_Member__Output,
} from "../chat/Member.ts";

export interface MemberReply {
  "member"?: _chat_Member | null;
}

export interface MemberReply__Output {
  "member": _chat_Member__Output | null;
}
