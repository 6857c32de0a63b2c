// Original file: chat.proto

export interface InviteRequest {
  "room"?: string;
  /**
   * The account invited; empty for a one-time code anyone with an account may join with.
   */
  "handle"?: string;
}

export interface InviteRequest__Output {
  "room": string;
  /**
   * The account invited; empty for a one-time code anyone with an account may join with.
   */
  "handle": string;
}
