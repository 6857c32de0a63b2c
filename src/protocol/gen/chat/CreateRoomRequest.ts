// Original file: chat.proto

import type {
  Visibility as _chat_Visibility,
  Visibility__Output as _chat_Visibility__Output,
} from "../chat/Visibility.ts";
import type {
  HistoryVisibility as _chat_HistoryVisibility,
  HistoryVisibility__Output as _chat_HistoryVisibility__Output,
} from "../chat/HistoryVisibility.ts";

export interface CreateRoomRequest {
  "name"?: string;
  "visibility"?: _chat_Visibility;
  "history"?: _chat_HistoryVisibility;
}

export interface CreateRoomRequest__Output {
  "name": string;
  "visibility": _chat_Visibility__Output;
  "history": _chat_HistoryVisibility__Output;
}
