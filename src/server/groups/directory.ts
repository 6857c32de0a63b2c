/**
 * The groups a server serves, each with its access rule and its feed in one
 * record, so a group cannot have one without the other. Two kinds: the
 * operator's groups, given on the command line (open, or closed to a list of
 * accounts), and rooms, made at run time and run by their members
 * (`room.ts`). The directory keeps an index of each member's rooms, so a
 * client's groups are found without walking every room.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../../protocol/status.ts";
import {
  type ClientRecord,
  type MemberKey,
  memberKey,
  type RoomInvite,
  type RoomRecord,
  type StoreReader,
} from "../../store/types.ts";
import { GroupFeed } from "../delivery/feed.ts";
import { ROOM_RECENT_MESSAGES_KEPT } from "../../shared/limits.ts";
import { Room } from "./room.ts";

/**
 * An operator's group's access rule: open to every device (guests too), or closed to a list
 * of accounts. Membership belongs to proven handles, never to display names.
 */
export class GroupPolicy {
  /** Lower-cased member handles, or null for an open group. */
  readonly members: ReadonlySet<string> | null;

  constructor(members: readonly string[] | null) {
    this.members = members && new Set(members.map((m) => m.toLowerCase()));
  }

  /** Whether a device proving `account` (null: a guest) may read and write. */
  admits(account: string | null): boolean {
    return this.members === null || (account !== null && this.members.has(account));
  }
}

/** An operator's group: its name, and the handles it is closed to (null: open to every device). */
export interface GroupSpec {
  name: string;
  members: readonly string[] | null;
}

/** Raised at start when a group given on the command line has the name of a stored room. */
export class GroupConflictError extends Error {
  override name = "GroupConflictError";
}

/** Who is asking: a device, and the account it proves (null for a guest). */
export type Caller = Pick<ClientRecord, "id" | "account">;

/** One served group: its feed, and either the operator's rule or a room's members. */
export class Group {
  readonly name: string;
  readonly feed: GroupFeed;
  /** The operator's rule; null for a room. */
  readonly policy: GroupPolicy | null;
  /** The room's state; null for an operator's group. */
  readonly room: Room | null;

  constructor(feed: GroupFeed, rule: GroupPolicy | Room) {
    this.name = feed.name;
    this.feed = feed;
    this.policy = rule instanceof GroupPolicy ? rule : null;
    this.room = rule instanceof Room ? rule : null;
  }

  /** Whether `caller` may read and write here. */
  admits(caller: Caller): boolean {
    return this.room
      ? this.room.members.has(memberKey(caller))
      : this.policy!.admits(caller.account);
  }

  /**
   * The sequence after which `caller` may read: 0, or in a room whose new members read from
   * joining on, the room's last sequence when it joined.
   */
  floorOf(caller: Caller): number {
    if (this.room?.history !== "since-join") return 0;
    return this.room.members.get(memberKey(caller))?.joinedSeq ?? this.feed.lastSeq;
  }
}

/** The groups of a server; see the module doc. */
export class GroupDirectory {
  #groups = new Map<string, Group>();
  /** The operator's groups, in the order given. */
  #operators: Group[] = [];
  /** Their names lower-cased: a room's name may not differ from one only in case. */
  #operatorNames = new Set<string>();
  /** Each member's rooms. */
  #roomsOf = new Map<MemberKey, Set<Group>>();
  /** The open rooms, for listing without walking every room. */
  #openRooms = new Set<Group>();
  /** The rooms each handle is invited to (expired invites too, until joined or synced). */
  #invitedTo = new Map<string, Set<Group>>();
  #reader: StoreReader;

  /**
   * The groups of `specs` and of every room stored, each fed from `reader`'s committed messages.
   *
   * @throws {GroupConflictError} if a stored room has the name of an operator's group: the operator should
   *   pick another name for the group, as the room's members own theirs.
   * @throws what the store's reads throw.
   */
  static async load(specs: readonly GroupSpec[], reader: StoreReader): Promise<GroupDirectory> {
    const rooms = await reader.rooms();
    const names = [...specs.map((s) => s.name), ...rooms.map((r) => r.name)];
    const seqs = await reader.lastSeqs(names);
    return new GroupDirectory(specs, reader, rooms, new Map(names.map((n, i) => [n, seqs[i]])));
  }

  /**
   * One group per spec, then one per room of `rooms`, each fed from `reader`'s committed
   * messages, and starting at its sequence in `lastSeqs` (0 if not there).
   *
   * @throws {GroupConflictError} if a stored room has the name of an operator's group: the operator should
   *   pick another name for the group, as the room's members own theirs.
   */
  constructor(
    specs: readonly GroupSpec[],
    reader: StoreReader,
    rooms: readonly RoomRecord[] = [],
    lastSeqs: ReadonlyMap<string, number> = new Map(),
  ) {
    this.#reader = reader;
    for (const spec of specs) {
      const feed = new GroupFeed(spec.name, reader, lastSeqs.get(spec.name) ?? 0);
      const group = new Group(feed, new GroupPolicy(spec.members));
      this.#groups.set(spec.name, group);
      this.#operators.push(group);
      this.#operatorNames.add(spec.name.toLowerCase());
    }
    for (const record of rooms) {
      if (this.taken(record.name)) {
        throw new GroupConflictError(
          `the group ${record.name} given on the command line is the name of a room its members made; give the group another name`,
        );
      }
      this.addRoom(record, lastSeqs.get(record.name) ?? 0);
    }
  }

  /**
   * Whether a room may not be called `name` (lower case): a room has it, or an operator's group
   * has it in any case.
   */
  taken(name: string): boolean {
    return this.#groups.has(name) || this.#operatorNames.has(name);
  }

  /** The group called `name`, as given or lower-cased (room names are lower case). */
  get(name: string): Group | undefined {
    return this.#groups.get(name) ?? this.#groups.get(name.toLowerCase());
  }

  /**
   * The group called `name` (see {@link get}).
   *
   * @throws {grpc.ServiceError} NOT_FOUND naming the group (cut to 80 characters).
   */
  require(name: string): Group {
    const group = this.get(name);
    if (group) return group;
    throw statusError(
      grpc.status.NOT_FOUND,
      `there is no group ${JSON.stringify(name.slice(0, 80))}; this server has: ${
        this.#operators.map((g) => g.name).join(", ")
      }, and the rooms /rooms lists`,
    );
  }

  /** The operator's groups, in the order given. */
  operatorGroups(): readonly Group[] {
    return this.#operators;
  }

  /** Every group: the operator's, then the rooms. */
  all(): IterableIterator<Group> {
    return this.#groups.values();
  }

  /** How many rooms there are. */
  get roomCount(): number {
    return this.#groups.size - this.#operators.length;
  }

  /** The rooms `member` is in. */
  roomsOf(member: MemberKey): ReadonlySet<Group> {
    return this.#roomsOf.get(member) ?? new Set();
  }

  /** The groups `caller` may read: the operator's that admit it, then its rooms. */
  readable(caller: Caller): Group[] {
    return [
      ...this.#operators.filter((g) => g.admits(caller)),
      ...this.roomsOf(memberKey(caller)),
    ];
  }

  /** The open rooms. */
  openRooms(): ReadonlySet<Group> {
    return this.#openRooms;
  }

  /** The rooms `handle` has an invite to that has not expired. */
  invitedTo(handle: string, now: number = Date.now()): Group[] {
    return [...this.#invitedTo.get(handle) ?? []].filter((g) => g.room!.isInvited(handle, now));
  }

  /** Notes the invite of `handle` to `group`'s room, as stored. */
  invite(group: Group, handle: string, expiresAtMs: number): void {
    group.room!.invited.set(handle, expiresAtMs);
    let rooms = this.#invitedTo.get(handle);
    if (!rooms) this.#invitedTo.set(handle, rooms = new Set());
    rooms.add(group);
  }

  #uninvite(group: Group, handle: string): void {
    group.room!.invited.delete(handle);
    const rooms = this.#invitedTo.get(handle);
    rooms?.delete(group);
    if (rooms?.size === 0) this.#invitedTo.delete(handle);
  }

  /** Adds a room (made now, or loaded), whose highest committed sequence is `lastSeq`. */
  addRoom(record: RoomRecord, lastSeq = 0): Group {
    const feed = new GroupFeed(record.name, this.#reader, lastSeq, ROOM_RECENT_MESSAGES_KEPT);
    const group = new Group(feed, new Room({ ...record, invited: [] }));
    this.#groups.set(record.name, group);
    if (record.visibility === "open") this.#openRooms.add(group);
    for (const member of record.members) this.#index(member.member, group);
    for (const invite of record.invited) this.invite(group, invite.handle, invite.expiresAtMs);
    return group;
  }

  /** Makes `group`'s room's invites those of `invited`, as stored. */
  setInvites(group: Group, invited: readonly RoomInvite[]): void {
    for (const handle of [...group.room!.invited.keys()]) this.#uninvite(group, handle);
    for (const invite of invited) this.invite(group, invite.handle, invite.expiresAtMs);
  }

  /** Removes a room and its members from the index (it was deleted). */
  deleteRoom(group: Group): void {
    for (const member of group.room?.members.keys() ?? []) this.#unindex(member, group);
    for (const handle of [...group.room?.invited.keys() ?? []]) this.#uninvite(group, handle);
    this.#openRooms.delete(group);
    this.#groups.delete(group.name);
  }

  /** Notes that `member` joined `group`'s room (the room's own members map is changed by the caller). */
  #index(member: MemberKey, group: Group): void {
    let rooms = this.#roomsOf.get(member);
    if (!rooms) this.#roomsOf.set(member, rooms = new Set());
    rooms.add(group);
  }

  #unindex(member: MemberKey, group: Group): void {
    const rooms = this.#roomsOf.get(member);
    rooms?.delete(group);
    if (rooms?.size === 0) this.#roomsOf.delete(member);
  }

  /** Adds `member` to `group`'s room with `role`, as stored. */
  addMember(group: Group, record: RoomRecord["members"][number]): void {
    group.room!.members.set(record.member, record);
    this.#uninvite(group, record.member);
    this.#index(record.member, group);
  }

  /** Removes `member` from `group`'s room. */
  removeMember(group: Group, member: MemberKey): void {
    group.room!.members.delete(member);
    this.#unindex(member, group);
  }
}
