// Original file: chat.proto

export interface ReleaseHandleReply {
  /**
   * How many devices the account had.
   */
  "devices"?: number;
}

export interface ReleaseHandleReply__Output {
  /**
   * How many devices the account had.
   */
  "devices": number;
}
