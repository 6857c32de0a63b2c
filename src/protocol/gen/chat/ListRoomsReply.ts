// Original file: chat.proto

import type {
  RoomInfo as _chat_RoomInfo,
  RoomInfo__Output as _chat_RoomInfo__Output,
} from "../chat/RoomInfo.ts";

export interface ListRoomsReply {
  /**
   * The groups the caller is in, then those it can join (open ones, and those it is
   * invited to), each part by name.
   */
  "rooms"?: (_chat_RoomInfo)[];
}

export interface ListRoomsReply__Output {
  /**
   * The groups the caller is in, then those it can join (open ones, and those it is
   * invited to), each part by name.
   */
  "rooms": (_chat_RoomInfo__Output)[];
}
