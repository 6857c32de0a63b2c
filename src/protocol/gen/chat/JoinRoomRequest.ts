// Original file: chat.proto

export interface JoinRoomRequest {
  "room"?: string;
  /**
   * A one-time code from InviteToRoom, for an invite-only room.
   */
  "code"?: string;
}

export interface JoinRoomRequest__Output {
  "room": string;
  /**
   * A one-time code from InviteToRoom, for an invite-only room.
   */
  "code": string;
}
