/**
 * Who is online: the open Subscribe streams by member (an account, or a guest
 * device). Membership changes reach a member's streams through it (a room
 * joined starts there at once, a room left stops there at once), room events
 * are told through it, and presence (`/who`) is counted from it.
 *
 * @module
 */
import type { RoomEvent } from "../../protocol/proto.ts";
import type { MemberKey } from "../../store/types.ts";
import type { Group } from "../groups/directory.ts";

/** What a membership change asks of one open Subscribe stream. */
export interface MemberStream {
  /** The device whose stream it is. */
  readonly clientId: string;
  /** Starts delivering `group` (its member just joined). */
  addGroup(group: Group): void;
  /** Stops delivering the group called `name` at once (its member left or was removed). */
  dropGroup(name: string): void;
  /** Tells the client of `events` of `group`: at most once (a stream far behind misses them). */
  tell(group: string, events: RoomEvent[]): void;
}

/** The open streams by member; see the module doc. */
export class Sessions {
  #byMember = new Map<MemberKey, Set<MemberStream>>();

  /** Notes that `stream` of `member` is open (its subscription has started). */
  add(member: MemberKey, stream: MemberStream): void {
    let streams = this.#byMember.get(member);
    if (!streams) this.#byMember.set(member, streams = new Set());
    streams.add(stream);
  }

  /** Forgets `stream` (it ended). */
  delete(member: MemberKey, stream: MemberStream): void {
    const streams = this.#byMember.get(member);
    streams?.delete(stream);
    if (streams?.size === 0) this.#byMember.delete(member);
  }

  /** The open streams of `member`. */
  of(member: MemberKey): Iterable<MemberStream> {
    return this.#byMember.get(member) ?? [];
  }

  /** How many of `member`'s devices have a stream open (a device may briefly have two). */
  devicesOnline(member: MemberKey): number {
    const streams = this.#byMember.get(member);
    if (!streams) return 0;
    if (streams.size === 1) return 1;
    return new Set([...streams].map((s) => s.clientId)).size;
  }

  /** Every member with a stream open. */
  online(): IterableIterator<MemberKey> {
    return this.#byMember.keys();
  }
}
