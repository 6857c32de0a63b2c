// Original file: chat.proto

import type { Role as _chat_Role, Role__Output as _chat_Role__Output } from "../chat/Role.ts";
import type { Long } from "@grpc/proto-loader";

export interface GroupInfo {
  "name"?: string;
  /**
   * False when the group is closed to this client's account (or it is a guest).
   */
  "member"?: boolean;
  /**
   * Highest sequence number stored in the group.
   */
  "lastSeq"?: number | string | Long;
  /**
   * Highest sequence this client has acknowledged.
   */
  "cursor"?: number | string | Long;
  /**
   * Messages after the cursor that were sent by others.
   */
  "unread"?: number | string | Long;
  /**
   * The caller's role in a room made at run time; ROLE_UNSPECIFIED in the operator's groups.
   */
  "role"?: _chat_Role;
}

export interface GroupInfo__Output {
  "name": string;
  /**
   * False when the group is closed to this client's account (or it is a guest).
   */
  "member": boolean;
  /**
   * Highest sequence number stored in the group.
   */
  "lastSeq": number;
  /**
   * Highest sequence this client has acknowledged.
   */
  "cursor": number;
  /**
   * Messages after the cursor that were sent by others.
   */
  "unread": number;
  /**
   * The caller's role in a room made at run time; ROLE_UNSPECIFIED in the operator's groups.
   */
  "role": _chat_Role__Output;
}
