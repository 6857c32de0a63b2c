// Original file: chat.proto

/**
 * A member's role in a room: owners run it, admins invite and remove members.
 */
export const Role = {
  ROLE_UNSPECIFIED: 0,
  MEMBER: 1,
  ADMIN: 2,
  OWNER: 3,
} as const;

/**
 * A member's role in a room: owners run it, admins invite and remove members.
 */
export type Role =
  | "ROLE_UNSPECIFIED"
  | 0
  | "MEMBER"
  | 1
  | "ADMIN"
  | 2
  | "OWNER"
  | 3;

/**
 * A member's role in a room: owners run it, admins invite and remove members.
 */
export type Role__Output = typeof Role[keyof typeof Role];
