// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface CreateInviteReply {
  "code"?: string;
  "expiresAtMs"?: number | string | Long;
}

export interface CreateInviteReply__Output {
  "code": string;
  "expiresAtMs": number;
}
