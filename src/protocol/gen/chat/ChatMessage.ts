// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface ChatMessage {
  "seq"?: number | string | Long;
  "senderId"?: string;
  "senderName"?: string;
  "text"?: string;
  "sentAtMs"?: number | string | Long;
}

export interface ChatMessage__Output {
  "seq": number;
  "senderId": string;
  "senderName": string;
  "text": string;
  "sentAtMs": number;
}
