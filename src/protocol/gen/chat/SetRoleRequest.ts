// Original file: chat.proto

import type { Role as _chat_Role, Role__Output as _chat_Role__Output } from "../chat/Role.ts";

export interface SetRoleRequest {
  "room"?: string;
  "handle"?: string;
  "role"?: _chat_Role;
}

export interface SetRoleRequest__Output {
  "room": string;
  "handle": string;
  "role": _chat_Role__Output;
}
