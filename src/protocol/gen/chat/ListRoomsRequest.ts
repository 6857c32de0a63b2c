// Original file: chat.proto

export interface ListRoomsRequest {
}

export interface ListRoomsRequest__Output {
}
