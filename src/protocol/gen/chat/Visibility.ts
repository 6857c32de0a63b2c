// Original file: chat.proto

/**
 * Who may join a room: every device (guests too), or invited accounts only.
 */
export const Visibility = {
  OPEN: 0,
  INVITE_ONLY: 1,
} as const;

/**
 * Who may join a room: every device (guests too), or invited accounts only.
 */
export type Visibility =
  | "OPEN"
  | 0
  | "INVITE_ONLY"
  | 1;

/**
 * Who may join a room: every device (guests too), or invited accounts only.
 */
export type Visibility__Output = typeof Visibility[keyof typeof Visibility];
