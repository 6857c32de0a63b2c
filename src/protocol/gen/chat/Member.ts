// Original file: chat.proto

import type { Role as _chat_Role, Role__Output as _chat_Role__Output } from "../chat/Role.ts";

export interface Member {
  /**
   * The account; empty for a guest (then `name` and `client_id` say which device).
   */
  "handle"?: string;
  "role"?: _chat_Role;
  /**
   * Devices of this member with a Subscribe stream open now.
   */
  "devicesOnline"?: number;
  "name"?: string;
  "clientId"?: string;
}

export interface Member__Output {
  /**
   * The account; empty for a guest (then `name` and `client_id` say which device).
   */
  "handle": string;
  "role": _chat_Role__Output;
  /**
   * Devices of this member with a Subscribe stream open now.
   */
  "devicesOnline": number;
  "name": string;
  "clientId": string;
}
