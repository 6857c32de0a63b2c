// Original file: chat.proto

export interface MemberRequest {
  "room"?: string;
  "handle"?: string;
}

export interface MemberRequest__Output {
  "room": string;
  "handle": string;
}
