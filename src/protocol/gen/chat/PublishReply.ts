// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface PublishReply {
  /**
   * The request's client_msg_id, to match the reply by.
   */
  "clientMsgId"?: string;
  /**
   * As in SendReply; zero when refused.
   */
  "seq"?: number | string | Long;
  "sentAtMs"?: number | string | Long;
  "duplicate"?: boolean;
  /**
   * 0 (OK) when stored; otherwise the gRPC status code Send would have ended with.
   */
  "code"?: number;
  /**
   * Why the message was refused, for a person; empty when stored.
   */
  "details"?: string;
}

export interface PublishReply__Output {
  /**
   * The request's client_msg_id, to match the reply by.
   */
  "clientMsgId": string;
  /**
   * As in SendReply; zero when refused.
   */
  "seq": number;
  "sentAtMs": number;
  "duplicate": boolean;
  /**
   * 0 (OK) when stored; otherwise the gRPC status code Send would have ended with.
   */
  "code": number;
  /**
   * Why the message was refused, for a person; empty when stored.
   */
  "details": string;
}
