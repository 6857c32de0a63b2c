// Original file: chat.proto

import type {
  Visibility as _chat_Visibility,
  Visibility__Output as _chat_Visibility__Output,
} from "../chat/Visibility.ts";
import type {
  HistoryVisibility as _chat_HistoryVisibility,
  HistoryVisibility__Output as _chat_HistoryVisibility__Output,
} from "../chat/HistoryVisibility.ts";
import type { Role as _chat_Role, Role__Output as _chat_Role__Output } from "../chat/Role.ts";
import type { Long } from "@grpc/proto-loader";

export interface RoomInfo {
  "name"?: string;
  "visibility"?: _chat_Visibility;
  "history"?: _chat_HistoryVisibility;
  /**
   * The caller's role; ROLE_UNSPECIFIED when not a member, and in the operator's groups.
   */
  "role"?: _chat_Role;
  "member"?: boolean;
  /**
   * Invited (by handle) and not yet joined.
   */
  "invited"?: boolean;
  /**
   * Members (accounts and guests); 0 in an operator's open group, which everyone is in.
   */
  "members"?: number;
  "lastSeq"?: number | string | Long;
  /**
   * For a member: messages after this device's cursor that were sent by others.
   */
  "unread"?: number | string | Long;
  /**
   * Given on the server's command line, run by the operator.
   */
  "operatorGroup"?: boolean;
}

export interface RoomInfo__Output {
  "name": string;
  "visibility": _chat_Visibility__Output;
  "history": _chat_HistoryVisibility__Output;
  /**
   * The caller's role; ROLE_UNSPECIFIED when not a member, and in the operator's groups.
   */
  "role": _chat_Role__Output;
  "member": boolean;
  /**
   * Invited (by handle) and not yet joined.
   */
  "invited": boolean;
  /**
   * Members (accounts and guests); 0 in an operator's open group, which everyone is in.
   */
  "members": number;
  "lastSeq": number;
  /**
   * For a member: messages after this device's cursor that were sent by others.
   */
  "unread": number;
  /**
   * Given on the server's command line, run by the operator.
   */
  "operatorGroup": boolean;
}
