// Original file: chat.proto

export interface ListMembersRequest {
  "room"?: string;
}

export interface ListMembersRequest__Output {
  "room": string;
}
