// Original file: chat.proto

export interface LeaveRoomRequest {
  "room"?: string;
}

export interface LeaveRoomRequest__Output {
  "room": string;
}
