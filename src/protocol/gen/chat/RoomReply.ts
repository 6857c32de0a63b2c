// Original file: chat.proto

import type {
  RoomInfo as _chat_RoomInfo,
  RoomInfo__Output as _chat_RoomInfo__Output,
} from "../chat/RoomInfo.ts";

export interface RoomReply {
  "room"?: _chat_RoomInfo | null;
}

export interface RoomReply__Output {
  "room": _chat_RoomInfo__Output | null;
}
