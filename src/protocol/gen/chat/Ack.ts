// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

/**
 * Cumulative: every message of `group` up to and including `seq` is received.
 */
export interface Ack {
  "group"?: string;
  "seq"?: number | string | Long;
}

/**
 * Cumulative: every message of `group` up to and including `seq` is received.
 */
export interface Ack__Output {
  "group": string;
  "seq": number;
}
