// Original file: chat.proto

export interface SendRequest {
  "group"?: string;
  "text"?: string;
  /**
   * Made by the client, unique per client; the key of retry safety.
   */
  "clientMsgId"?: string;
}

export interface SendRequest__Output {
  "group": string;
  "text": string;
  /**
   * Made by the client, unique per client; the key of retry safety.
   */
  "clientMsgId": string;
}
