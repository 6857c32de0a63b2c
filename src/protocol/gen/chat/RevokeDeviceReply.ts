// Original file: chat.proto

export interface RevokeDeviceReply {
}

export interface RevokeDeviceReply__Output {
}
