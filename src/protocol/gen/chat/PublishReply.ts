// Original file: chat.proto

import type {
  PublishReply as _chat_PublishReply,
  PublishReply__Output as _chat_PublishReply__Output,
} from "../chat/PublishReply.ts";
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
  /**
   * Replies to the requests after this one, in order, each as if it had come
   * alone; none has `more` of its own. Only on a Publish call whose request
   * headers hold `x-chat-accept-more: 1`: the replies ready at once then share
   * one message.
   */
  "more"?: (_chat_PublishReply)[];
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
  /**
   * Replies to the requests after this one, in order, each as if it had come
   * alone; none has `more` of its own. Only on a Publish call whose request
   * headers hold `x-chat-accept-more: 1`: the replies ready at once then share
   * one message.
   */
  "more": (_chat_PublishReply__Output)[];
}
