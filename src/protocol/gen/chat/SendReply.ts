// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface SendReply {
  "seq"?: number | string | Long;
  /**
   * Milliseconds since the Unix epoch, server clock.
   */
  "sentAtMs"?: number | string | Long;
  /**
   * True when this call was a retry of an already stored message.
   */
  "duplicate"?: boolean;
}

export interface SendReply__Output {
  "seq": number;
  /**
   * Milliseconds since the Unix epoch, server clock.
   */
  "sentAtMs": number;
  /**
   * True when this call was a retry of an already stored message.
   */
  "duplicate": boolean;
}
