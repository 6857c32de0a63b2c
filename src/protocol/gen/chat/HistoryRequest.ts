// Original file: chat.proto

import type { Long } from "@grpc/proto-loader";

export interface HistoryRequest {
  "room"?: string;
  /**
   * Messages before this sequence; 0 for the newest.
   */
  "beforeSeq"?: number | string | Long;
  /**
   * At most this many (1 to 100); 0 for 20.
   */
  "limit"?: number;
}

export interface HistoryRequest__Output {
  "room": string;
  /**
   * Messages before this sequence; 0 for the newest.
   */
  "beforeSeq": number;
  /**
   * At most this many (1 to 100); 0 for 20.
   */
  "limit": number;
}
