/**
 * A room's state as the server holds it: its settings, its members with their
 * roles, and the accounts invited to it. It changes only after the store has
 * committed the change (`rooms.ts`), so it never shows what a crash would undo.
 *
 * @module
 */
import type {
  MemberKey,
  RoomMemberRecord,
  RoomRecord,
  RoomRole,
  RoomSettings,
} from "../../store/types.ts";

/** Roles by rank: a higher one may do all a lower one may. */
export const RANK: Readonly<Record<RoomRole, number>> = { member: 1, admin: 2, owner: 3 };

/** A room's settings, members and invites; see the module doc. */
export class Room implements RoomSettings {
  readonly name: string;
  readonly visibility: RoomSettings["visibility"];
  readonly history: RoomSettings["history"];
  readonly createdBy: string;
  readonly createdAtMs: number;
  /** By member key, in the order they joined. */
  readonly members: Map<MemberKey, RoomMemberRecord>;
  /** Handles invited and not yet joined, with when each invite expires. */
  readonly invited: Map<string, number>;

  constructor(record: RoomRecord) {
    this.name = record.name;
    this.visibility = record.visibility;
    this.history = record.history;
    this.createdBy = record.createdBy;
    this.createdAtMs = record.createdAtMs;
    this.members = new Map(record.members.map((m) => [m.member, { ...m }]));
    this.invited = new Map(record.invited.map((i) => [i.handle, i.expiresAtMs]));
  }

  /** The role of `member`, or undefined if it is not in the room. */
  roleOf(member: MemberKey): RoomRole | undefined {
    return this.members.get(member)?.role;
  }

  /** Whether `handle` has an invite that has not expired. */
  isInvited(handle: string, now: number = Date.now()): boolean {
    return (this.invited.get(handle) ?? 0) > now;
  }

  /** How many invites by handle have not expired. */
  invitesOutstanding(now: number = Date.now()): number {
    let n = 0;
    for (const until of this.invited.values()) if (until > now) n++;
    return n;
  }

  /** How many owners the room has. */
  get owners(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.role === "owner") n++;
    return n;
  }
}
