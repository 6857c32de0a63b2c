// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface InviteReply {
  /**
   * For a code invite: give it once, within `expires_at_ms`, as JoinRoomRequest.code.
   */
  "code"?: string;
  "expiresAtMs"?: number | string | Long;
}

export interface InviteReply__Output {
  /**
   * For a code invite: give it once, within `expires_at_ms`, as JoinRoomRequest.code.
   */
  "code": string;
  "expiresAtMs": number;
}
