// Original file: chat.proto

export interface RevokeDeviceRequest {
  "clientId"?: string;
}

export interface RevokeDeviceRequest__Output {
  "clientId": string;
}
