// Original file: chat.proto

/**
 * What a new member may read: the whole history, or messages from joining on.
 */
export const HistoryVisibility = {
  HISTORY_ALL: 0,
  HISTORY_SINCE_JOIN: 1,
} as const;

/**
 * What a new member may read: the whole history, or messages from joining on.
 */
export type HistoryVisibility =
  | "HISTORY_ALL"
  | 0
  | "HISTORY_SINCE_JOIN"
  | 1;

/**
 * What a new member may read: the whole history, or messages from joining on.
 */
export type HistoryVisibility__Output = typeof HistoryVisibility[keyof typeof HistoryVisibility];
