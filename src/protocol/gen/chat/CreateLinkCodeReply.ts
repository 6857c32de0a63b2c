// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface CreateLinkCodeReply {
  /**
   * Give it once, within `expires_at_ms`, as RegisterRequest.link_code.
   */
  "code"?: string;
  "expiresAtMs"?: number | string | Long;
}

export interface CreateLinkCodeReply__Output {
  /**
   * Give it once, within `expires_at_ms`, as RegisterRequest.link_code.
   */
  "code": string;
  "expiresAtMs": number;
}
