// Original file: chat.proto

export interface ReleaseHandleRequest {
  "handle"?: string;
}

export interface ReleaseHandleRequest__Output {
  "handle": string;
}
