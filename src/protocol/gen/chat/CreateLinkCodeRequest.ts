// Original file: chat.proto

export interface CreateLinkCodeRequest {
}

export interface CreateLinkCodeRequest__Output {
}
