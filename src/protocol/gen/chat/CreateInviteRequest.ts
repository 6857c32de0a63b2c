// Original file: chat.proto

export interface CreateInviteRequest {
  /**
   * The handle the code claims; empty for a code that claims the name the device gives.
   */
  "handle"?: string;
}

export interface CreateInviteRequest__Output {
  /**
   * The handle the code claims; empty for a code that claims the name the device gives.
   */
  "handle": string;
}
