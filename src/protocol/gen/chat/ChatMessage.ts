// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface ChatMessage {
  "seq"?: number | string | Long;
  "senderId"?: string;
  /**
   * The sender's display name: free text, proves nothing.
   */
  "senderName"?: string;
  "text"?: string;
  "sentAtMs"?: number | string | Long;
  /**
   * The sender's account, proven; empty for a guest.
   */
  "senderHandle"?: string;
}

export interface ChatMessage__Output {
  "seq": number;
  "senderId": string;
  /**
   * The sender's display name: free text, proves nothing.
   */
  "senderName": string;
  "text": string;
  "sentAtMs": number;
  /**
   * The sender's account, proven; empty for a guest.
   */
  "senderHandle": string;
}
