/**
 * Rooms' rules: who may create, join, leave, invite, remove and give roles, and
 * what each change does at once. A change is checked against the rooms as
 * committed, committed through the store's writer, and only then applied: to
 * the rooms in memory, to the streams of the members it concerns (a room
 * joined starts there, a room left or lost stops there before the next
 * frame), and told to the other members as events. Changes run one at a time,
 * between two commits of messages (`GroupCommitter.between`), so each is
 * checked against the one before it (two owners cannot each demote the other
 * and leave the room without one), and a message is stored before a change
 * that would have refused it, or checked again after it (never stored in a room
 * its sender has left, or in one deleted meanwhile). The operator's changes to
 * accounts, which may take members out of rooms, run the same way
 * ({@link RoomService.storeChange}).
 *
 * Roles (README, "Rooms"): owners do everything; admins invite and remove
 * members; members read, write and leave. A room keeps at least one owner.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type Member,
  Role,
  type RoomEvent,
  RoomEventKind,
  type RoomInfo,
} from "../../protocol/proto.ts";
import { statusError } from "../../protocol/status.ts";
import {
  MAX_INVITES_PER_ROOM,
  MAX_MEMBERS_PER_ROOM,
  MAX_ROOMS,
  MAX_ROOMS_LISTED,
  MAX_ROOMS_PER_MEMBER,
  ROOM_CODE_TTL_MS,
} from "../../shared/limits.ts";
import { checkGroupName, checkHandle } from "../../shared/validate.ts";
import {
  guestOf,
  type MemberKey,
  memberKey,
  type PresenceStore,
  ProofRefusedError,
  type RoomRecord,
  type RoomRole,
  type RoomSettings,
  type StoreReader,
  type StoreWriter,
} from "../../store/types.ts";
import { hashCode, oneTimeCode } from "../auth/accounts.ts";
import type { Principal } from "../auth/authenticator.ts";
import { type Limit, rateLimitedError } from "../auth/rate_limit.ts";
import type { Sessions } from "../delivery/sessions.ts";
import type { Caller, Group, GroupDirectory } from "./directory.ts";
import { RANK } from "./room.ts";
import type { Log, LogFields } from "../log.ts";

/** A room's role as chat.proto numbers it. */
export const ROLE_NUMBER: Readonly<Record<RoomRole, (typeof Role)[keyof typeof Role]>> = {
  member: Role.MEMBER,
  admin: Role.ADMIN,
  owner: Role.OWNER,
};

/** What the room rules need of the server. */
export interface RoomServiceOptions {
  groups: GroupDirectory;
  reader: StoreReader;
  writer: StoreWriter;
  sessions: Sessions;
  /** The highest sequence a device has acknowledged in a group, pending writes included. */
  cursorOf(clientId: string, group: string): Promise<number>;
  /** Drops the cursors of a deleted room that wait to be written. */
  forgetCursors(group: string): void;
  /** Runs a change between two commits of messages, one change at a time (GroupCommitter.between). */
  between<T>(work: () => Promise<T>): Promise<T>;
  /** Room changes per member (auth/rate_limit.ts ROOM_CHANGE_LIMIT). */
  limit: Limit;
  /** The devices online on other nodes sharing the database, if any (`/who` counts them). */
  presence?: PresenceStore;
  /**
   * Where `group` ends in the store now (past this node's memory when other nodes committed
   * what it has not read yet); its feed's last sequence when not given.
   */
  latest?: (group: Group) => Promise<number>;
  log: Log;
}

/** Settings of a room to make. */
export interface NewRoom {
  name: string;
  visibility: RoomSettings["visibility"];
  history: RoomSettings["history"];
}

function refuse(code: grpc.status, details: string): never {
  throw statusError(code, details);
}

/** A handle as typed: `@` allowed in front, any case. @throws INVALID_ARGUMENT for a bad one. */
function handleArg(typed: string): string {
  const handle = typed.trim().replace(/^@/, "").toLowerCase();
  const problem = checkHandle(handle);
  if (problem) refuse(grpc.status.INVALID_ARGUMENT, problem);
  return handle;
}

/** The rules of rooms; see the module doc. */
export class RoomService {
  #o: RoomServiceOptions;

  constructor(options: RoomServiceOptions) {
    this.#o = options;
  }

  /** Runs `change` between commits, after the changes before it, once the caller's rate allows it. */
  #serial<T>(principal: Principal, change: () => Promise<T>): Promise<T> {
    const decision = this.#o.limit.take(memberKey(principal.client));
    if (!decision.ok) throw rateLimitedError("room changes", decision.retryAfterMs, "by you");
    return this.#o.between(change);
  }

  /**
   * Runs `write`, a change the store makes to rooms by itself (the operator releases an account
   * or revokes a guest device, which leave their rooms), as room changes run, then makes the
   * rooms in memory what the store made them. Members of a room it deleted (one left with no
   * account) stop receiving it at once and hear DELETED.
   */
  storeChange<T>(write: () => Promise<T>): Promise<T> {
    return this.#o.between(async () => {
      const result = await write();
      // Every room as stored, as a resync does: with several nodes, what the others changed
      // and this one has not heard yet is applied with it, streams and events included.
      await this.#syncAll();
      return result;
    });
  }

  /**
   * Makes the room `name` here what the store holds, after another node changed it (nodes
   * sharing a database): a room made there is served here, to its members' streams on this
   * node; a member gone stops receiving it here at once and is told LEFT, one come starts and
   * is told JOINED, a new role is told ROLE_CHANGED, and a room deleted is told DELETED and
   * forgotten. Runs between commits, as a change made here does, so that a message accepted
   * here from a member removed there is checked again.
   *
   * @throws what the store's reads throw (the database is unreachable); nothing is changed.
   */
  syncRoom(name: string): Promise<void> {
    return this.#o.between(async () => {
      const record = await this.#o.reader.room(name);
      const known = this.#o.groups.get(name)?.room;
      const fresh = record && (!known || known.createdAtMs !== record.createdAtMs);
      await this.#apply(name, record, fresh ? await this.#o.reader.lastSeq(name) : 0);
    });
  }

  /**
   * Makes every room here what the store holds ({@link syncRoom} for each): after changes
   * may have gone unheard, while this node could not hear the database.
   *
   * @throws what the store's reads throw (the database is unreachable); nothing is changed.
   */
  syncAll(): Promise<void> {
    return this.#o.between(() => this.#syncAll());
  }

  async #syncAll(): Promise<void> {
    const { groups, reader } = this.#o;
    const records = await reader.rooms();
    const fresh = records.filter((r) => groups.get(r.name)?.room?.createdAtMs !== r.createdAtMs)
      .map((r) => r.name);
    const seqs = await reader.lastSeqs(fresh);
    const seqOf = new Map(fresh.map((name, i) => [name, seqs[i]]));
    const stored = new Set(records.map((r) => r.name));
    for (const group of [...groups.all()]) {
      if (group.room && !stored.has(group.name)) await this.#apply(group.name, undefined, 0);
    }
    for (const record of records) {
      await this.#apply(record.name, record, seqOf.get(record.name) ?? 0);
    }
  }

  /** See {@link syncRoom}: `lastSeq` is the room's last sequence, if it is new here. */
  async #apply(name: string, record: RoomRecord | undefined, lastSeq: number): Promise<void> {
    const { groups, sessions } = this.#o;
    let group = groups.get(name);
    // An operator's group of that name wins here (GroupConflictError at start says so).
    if (group && !group.room) return;
    if (group && record?.createdAtMs !== group.room!.createdAtMs) {
      // Deleted (and maybe made again by its name: a new room, from nothing).
      for (const member of group.room!.members.keys()) {
        const event = await this.#event(RoomEventKind.DELETED, group, member, "");
        for (const stream of sessions.of(member)) {
          stream.dropGroup(group.name);
          stream.tell(group.name, [event]);
        }
      }
      this.#forget(group);
      group = undefined;
    }
    if (!record) return;
    if (!group) {
      const made = groups.addRoom(record, lastSeq);
      for (const member of record.members) {
        for (const stream of sessions.of(member.member)) stream.addGroup(made);
      }
      return;
    }
    const room = group.room!;
    const now = new Map(record.members.map((m) => [m.member, m]));
    for (const key of [...room.members.keys()]) {
      if (!now.has(key)) {
        this.#drop(group, key, await this.#event(RoomEventKind.LEFT, group, key, ""), "");
      }
    }
    for (const member of record.members) {
      const had = room.members.get(member.member);
      if (!had) {
        groups.addMember(group, member);
        for (const stream of sessions.of(member.member)) stream.addGroup(group);
        this.#tell(group, await this.#event(RoomEventKind.JOINED, group, member.member, ""), "");
      } else if (had.role !== member.role) {
        had.role = member.role;
        this.#tell(
          group,
          await this.#event(RoomEventKind.ROLE_CHANGED, group, member.member, ""),
          "",
        );
      }
    }
    groups.setInvites(group, record.invited);
  }

  /**
   * Makes a room owned by the caller, who must be an account.
   *
   * @throws {grpc.ServiceError} PERMISSION_DENIED for a guest; INVALID_ARGUMENT for a bad
   *   name; ALREADY_EXISTS for a name taken (a room's, an operator's group's, or one with
   *   messages stored under it); RESOURCE_EXHAUSTED past a bound.
   */
  create(principal: Principal, room: NewRoom): Promise<RoomInfo> {
    const { client } = principal;
    const owner = client.account;
    if (owner === null) {
      refuse(
        grpc.status.PERMISSION_DENIED,
        "guests cannot make rooms: this device proves no account",
      );
    }
    // Checked as it will be stored: lower-casing may lengthen a name or add a mark (İ).
    const name = room.name.toLowerCase();
    const problem = checkGroupName(name);
    if (problem) refuse(grpc.status.INVALID_ARGUMENT, problem.replace("group", "room"));
    return this.#serial(principal, async () => {
      const { groups } = this.#o;
      if (groups.taken(name)) {
        refuse(grpc.status.ALREADY_EXISTS, `the name ${name} is taken; pick another`);
      }
      if (groups.roomCount >= MAX_ROOMS) {
        refuse(
          grpc.status.RESOURCE_EXHAUSTED,
          `this server has ${MAX_ROOMS} rooms, the most it keeps`,
        );
      }
      this.#roomForMember(owner);
      // Messages stored under a name no group of this node has: an operator's group that was
      // dropped from the flags (or another node's), or, with several nodes, a send that reached
      // a room as its last member left it on another node. A room made there would show them.
      if (await this.#o.reader.lastSeq(name) > 0) {
        refuse(
          grpc.status.ALREADY_EXISTS,
          `the name ${name} is taken: messages are stored under it; pick another`,
        );
      }
      const settings = { ...room, name, createdBy: owner, createdAtMs: Date.now() };
      const member = {
        member: owner,
        role: "owner" as const,
        joinedSeq: 0,
        joinedAtMs: Date.now(),
      };
      await this.#o.writer.changeRoom({ op: "create", room: settings, owner: member });
      const group = groups.addRoom({ ...settings, members: [member], invited: [] });
      for (const stream of this.#o.sessions.of(owner)) stream.addGroup(group);
      this.#o.log(
        `room ${name} made by ${principal.label} (${room.visibility}, history ${room.history})`,
        {
          ...this.#fields("create", principal, name),
          visibility: room.visibility,
          history: room.history,
        },
      );
      return this.info(client, group);
    });
  }

  /**
   * Joins a room: an open one, or an invite-only one the caller's account was invited to or
   * has a one-time code of.
   *
   * @throws {grpc.ServiceError} NOT_FOUND for no such room; FAILED_PRECONDITION for an
   *   operator's group; ALREADY_EXISTS for a member; PERMISSION_DENIED without an invite (or
   *   with a bad code), and for a guest at an invite-only room; RESOURCE_EXHAUSTED past a bound.
   */
  join(principal: Principal, name: string, code: string): Promise<RoomInfo> {
    const { client } = principal;
    const key = memberKey(client);
    return this.#serial(principal, async () => {
      const group = this.#room(name);
      const room = group.room!;
      if (room.members.has(key)) {
        refuse(grpc.status.ALREADY_EXISTS, `you are already in ${group.name}`);
      }
      let codeHash: Uint8Array | undefined;
      if (room.visibility === "invite") {
        if (client.account === null) {
          refuse(
            grpc.status.PERMISSION_DENIED,
            `${group.name} is invite-only, and this device is a guest (it proves no account)`,
          );
        }
        if (!room.isInvited(client.account)) {
          if (code.trim() === "") {
            refuse(
              grpc.status.PERMISSION_DENIED,
              `${group.name} is invite-only: you need an invite from an owner or admin`,
            );
          }
          codeHash = hashCode(code);
        }
      }
      if (room.members.size >= MAX_MEMBERS_PER_ROOM) {
        refuse(
          grpc.status.RESOURCE_EXHAUSTED,
          `${group.name} has ${MAX_MEMBERS_PER_ROOM} members, the most a room may have`,
        );
      }
      this.#roomForMember(key);
      const member = {
        member: key,
        role: "member" as const,
        joinedSeq: await this.#o.latest?.(group) ?? group.feed.lastSeq,
        joinedAtMs: Date.now(),
      };
      try {
        await this.#o.writer.changeRoom({ op: "join", room: group.name, member, codeHash });
      } catch (error) {
        if (!(error instanceof ProofRefusedError)) throw error;
        refuse(grpc.status.PERMISSION_DENIED, error.message);
      }
      this.#o.groups.addMember(group, member);
      for (const stream of this.#o.sessions.of(key)) stream.addGroup(group);
      this.#tell(group, await this.#event(RoomEventKind.JOINED, group, key, ""), client.id);
      this.#o.log(
        `room ${group.name}: ${principal.label} joined${codeHash ? " with a code" : ""}`,
        { ...this.#fields("join", principal, group.name), with_code: codeHash !== undefined },
      );
      return this.info(client, group);
    });
  }

  /**
   * Leaves a room. The last owner may leave only as its last member, which deletes it.
   *
   * @throws {grpc.ServiceError} NOT_FOUND for no such room; FAILED_PRECONDITION for an
   *   operator's group, a non-member, or the last owner while others remain.
   */
  leave(principal: Principal, name: string): Promise<{ deleted: boolean }> {
    const { client } = principal;
    const key = memberKey(client);
    return this.#serial(principal, async () => {
      const group = this.#room(name);
      const room = group.room!;
      const role = room.roleOf(key);
      if (!role) refuse(grpc.status.FAILED_PRECONDITION, `you are not in ${group.name}`);
      if (role === "owner" && room.owners === 1 && room.members.size > 1) {
        refuse(
          grpc.status.FAILED_PRECONDITION,
          `you are the last owner of ${group.name}: make another member owner first (/op ${group.name} HANDLE owner)`,
        );
      }
      const left = await this.#event(RoomEventKind.LEFT, group, key, "");
      const { deleted } = await this.#o.writer.changeRoom({
        op: "leave",
        room: group.name,
        member: key,
      });
      // The leaver's other devices hear that the room is gone; had it members, they hear he left.
      const event = deleted ? { ...left, kind: RoomEventKind.DELETED } : left;
      this.#drop(group, key, event, client.id);
      // Still between commits: no cursor of the deleted room is written after it.
      if (deleted) this.#forget(group);
      this.#o.log(
        `room ${group.name}: ${principal.label} left${deleted ? "; the room is deleted" : ""}`,
        { ...this.#fields("leave", principal, group.name), deleted },
      );
      return { deleted };
    });
  }

  /**
   * Invites an account (`handle`), or makes a one-time code (`handle` empty). Owners and
   * admins only.
   *
   * @throws {grpc.ServiceError} NOT_FOUND for no such room or account; FAILED_PRECONDITION
   *   for an operator's group; PERMISSION_DENIED for a member or non-member; ALREADY_EXISTS
   *   for an account in the room or invited; RESOURCE_EXHAUSTED past a bound.
   */
  invite(
    principal: Principal,
    name: string,
    typedHandle: string,
  ): Promise<{ code: string; expiresAtMs: number }> {
    const { client } = principal;
    const handle = typedHandle.trim() === "" ? "" : handleArg(typedHandle);
    return this.#serial(principal, async () => {
      const group = this.#room(name);
      const room = group.room!;
      this.#needRole(group, client, "admin", "invite");
      if (
        room.invitesOutstanding() + await this.#o.reader.roomCodes(group.name) >=
          MAX_INVITES_PER_ROOM
      ) {
        refuse(
          grpc.status.RESOURCE_EXHAUSTED,
          `${group.name} has ${MAX_INVITES_PER_ROOM} invites outstanding, the most a room may have`,
        );
      }
      const by = client.account!;
      if (handle === "") {
        const { code, stored } = oneTimeCode("room", group.name, by);
        await this.#o.writer.addCode(stored);
        this.#o.log(
          `room ${group.name}: invite code made by ${principal.label}`,
          this.#fields("invite-code", principal, group.name),
        );
        return { code, expiresAtMs: stored.expiresAtMs };
      }
      if (room.members.has(handle)) {
        refuse(grpc.status.ALREADY_EXISTS, `@${handle} is already in ${group.name}`);
      }
      if (room.isInvited(handle)) {
        refuse(grpc.status.ALREADY_EXISTS, `@${handle} is already invited to ${group.name}`);
      }
      if (await this.#o.reader.devicesOf(handle) === 0) {
        refuse(grpc.status.NOT_FOUND, `there is no account @${handle}`);
      }
      const expiresAtMs = Date.now() + ROOM_CODE_TTL_MS;
      await this.#o.writer.changeRoom({ op: "invite", room: group.name, handle, by, expiresAtMs });
      this.#o.groups.invite(group, handle, expiresAtMs);
      const event = await this.#event(RoomEventKind.INVITED, group, handle, by);
      for (const stream of this.#o.sessions.of(handle)) stream.tell(group.name, [event]);
      this.#o.log(
        `room ${group.name}: @${handle} invited by ${principal.label}`,
        { ...this.#fields("invite", principal, group.name), handle },
      );
      return { code: "", expiresAtMs: 0 };
    });
  }

  /**
   * Removes a member: owners remove admins and members, admins remove members.
   *
   * @throws {grpc.ServiceError} NOT_FOUND for no such room or member; FAILED_PRECONDITION
   *   for an operator's group; INVALID_ARGUMENT for oneself (leave instead);
   *   PERMISSION_DENIED for a role too low.
   */
  remove(principal: Principal, name: string, typedHandle: string): Promise<Member> {
    const { client } = principal;
    const handle = handleArg(typedHandle);
    return this.#serial(principal, async () => {
      const group = this.#room(name);
      const room = group.room!;
      const mine = this.#needRole(group, client, "admin", "remove members");
      if (handle === client.account) {
        refuse(
          grpc.status.INVALID_ARGUMENT,
          `to leave ${group.name}, leave it (/leave ${group.name})`,
        );
      }
      const theirs = room.roleOf(handle);
      if (!theirs) refuse(grpc.status.NOT_FOUND, `@${handle} is not in ${group.name}`);
      if (RANK[theirs] >= RANK[mine]) {
        refuse(
          grpc.status.PERMISSION_DENIED,
          `@${handle} is ${article(theirs)} of ${group.name}; ${
            mine === "owner" ? "make them a member first (/deop)" : "only an owner can remove them"
          }`,
        );
      }
      const by = client.account!;
      const event = await this.#event(RoomEventKind.REMOVED, group, handle, by);
      await this.#o.writer.changeRoom({ op: "leave", room: group.name, member: handle });
      this.#drop(group, handle, event, client.id);
      this.#o.log(
        `room ${group.name}: @${handle} removed by ${principal.label}`,
        { ...this.#fields("remove", principal, group.name), handle },
      );
      return event.member!;
    });
  }

  /**
   * Gives a member a role. Owners only; the room keeps at least one owner.
   *
   * @throws {grpc.ServiceError} NOT_FOUND for no such room or member; FAILED_PRECONDITION
   *   for an operator's group or the last owner's demotion; INVALID_ARGUMENT for no role;
   *   PERMISSION_DENIED for a non-owner.
   */
  setRole(principal: Principal, name: string, typedHandle: string, role: number): Promise<Member> {
    const { client } = principal;
    const handle = handleArg(typedHandle);
    const wanted = (Object.keys(ROLE_NUMBER) as RoomRole[]).find((r) => ROLE_NUMBER[r] === role);
    if (!wanted) {
      refuse(grpc.status.INVALID_ARGUMENT, `role ${role} is none of MEMBER, ADMIN and OWNER`);
    }
    return this.#serial(principal, async () => {
      const group = this.#room(name);
      const room = group.room!;
      this.#needRole(group, client, "owner", "change roles");
      const theirs = room.roleOf(handle);
      if (!theirs) refuse(grpc.status.NOT_FOUND, `@${handle} is not in ${group.name}`);
      if (theirs === "owner" && wanted !== "owner" && room.owners === 1) {
        refuse(
          grpc.status.FAILED_PRECONDITION,
          `@${handle} is the last owner of ${group.name}: make another member owner first`,
        );
      }
      if (theirs !== wanted) {
        await this.#o.writer.changeRoom({
          op: "role",
          room: group.name,
          member: handle,
          role: wanted,
        });
        room.members.get(handle)!.role = wanted;
        this.#tell(
          group,
          await this.#event(RoomEventKind.ROLE_CHANGED, group, handle, client.account!),
          client.id,
        );
        this.#o.log(
          `room ${group.name}: @${handle} made ${wanted} by ${principal.label}`,
          { ...this.#fields("role", principal, group.name), handle, role: wanted },
        );
      }
      return this.#member(group, handle);
    });
  }

  /** The rooms `caller` is in (the operator's groups first), then the rooms it can join. */
  list(caller: Caller): Promise<RoomInfo[]> {
    const { groups } = this.#o;
    const mine = groups.readable(caller);
    const key = memberKey(caller);
    const joinable = new Set(caller.account === null ? [] : groups.invitedTo(caller.account));
    // The open rooms, not every room; the caller's own are left out.
    for (const group of groups.openRooms()) if (!group.room!.members.has(key)) joinable.add(group);
    const rooms = mine.filter((g) => !g.room);
    const byName = (a: Group, b: Group) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    rooms.push(...mine.filter((g) => g.room).sort(byName));
    rooms.push(...[...joinable].sort(byName).slice(0, MAX_ROOMS_LISTED));
    return Promise.all(rooms.map((g) => this.info(caller, g)));
  }

  /**
   * Who is in `name` and how many of their devices are online: every member of a room (owners
   * first), the accounts of an operator's closed group, the devices online in an open one.
   *
   * @throws {grpc.ServiceError} NOT_FOUND for no such group; PERMISSION_DENIED for a
   *   non-member of an invite-only room or a closed group.
   */
  async members(caller: Caller, name: string): Promise<Member[]> {
    const group = this.#o.groups.require(name);
    const { sessions } = this.#o;
    if (!group.admits(caller) && (group.room?.visibility !== "open")) {
      refuse(grpc.status.PERMISSION_DENIED, `you are not in ${group.name}`);
    }
    let keys: MemberKey[];
    if (group.room) {
      keys = [...group.room.members.values()]
        .sort((a, b) => RANK[b.role] - RANK[a.role])
        .map((m) => m.member);
    } else if (group.policy!.members) {
      keys = [...group.policy!.members];
    } else {
      // Everyone online is in an open operator's group: the first of them, without a copy of all.
      keys = [];
      for (const key of sessions.online()) {
        if (keys.length === MAX_MEMBERS_PER_ROOM) break;
        keys.push(key);
      }
      if (this.#o.presence && keys.length < MAX_MEMBERS_PER_ROOM) {
        const here = new Set(keys);
        for (const key of await this.#o.presence.onlineElsewhere(MAX_MEMBERS_PER_ROOM)) {
          if (keys.length === MAX_MEMBERS_PER_ROOM) break;
          if (!here.has(key)) keys.push(key);
        }
      }
    }
    const elsewhere = await this.#o.presence?.elsewhere(keys) ?? new Map<MemberKey, number>();
    return await Promise.all(keys.map((key) => this.#member(group, key, elsewhere.get(key))));
  }

  /** What `caller` sees of `group`. */
  async info(caller: Caller, group: Group): Promise<RoomInfo> {
    const room = group.room;
    const member = group.admits(caller);
    const lastSeq = group.feed.lastSeq;
    // Unread is a member's: a non-member's cursor is not read at all.
    const from = member
      ? Math.max(await this.#o.cursorOf(caller.id, group.name), group.floorOf(caller))
      : lastSeq;
    return {
      name: group.name,
      visibility: room?.visibility === "invite" ? 1 : 0,
      history: room?.history === "since-join" ? 1 : 0,
      role: room && member ? ROLE_NUMBER[room.roleOf(memberKey(caller))!] : Role.ROLE_UNSPECIFIED,
      member,
      invited: !!room && caller.account !== null && room.isInvited(caller.account),
      members: room ? room.members.size : group.policy!.members?.size ?? 0,
      lastSeq,
      unread: member && from < lastSeq
        ? await this.#o.reader.countUnread(group.name, from, caller.id)
        : 0,
      operatorGroup: !room,
    };
  }

  /** A room change's log fields: what it was, who made it, in which room. */
  #fields(action: string, principal: Principal, group: string): LogFields {
    return {
      event: "room",
      action,
      client: principal.label,
      client_id: principal.client.id,
      group,
    };
  }

  /** The room called `name`. @throws NOT_FOUND, or FAILED_PRECONDITION for an operator's group. */
  #room(name: string): Group {
    const group = this.#o.groups.require(name);
    if (!group.room) {
      refuse(
        grpc.status.FAILED_PRECONDITION,
        `${group.name} is run by the operator: who is in it is set on the server's command line`,
      );
    }
    return group;
  }

  /** The caller's role, if at least `least`. @throws PERMISSION_DENIED otherwise. */
  #needRole(group: Group, caller: Caller, least: RoomRole, what: string): RoomRole {
    const role = group.room!.roleOf(memberKey(caller));
    if (!role) refuse(grpc.status.PERMISSION_DENIED, `you are not in ${group.name}`);
    if (RANK[role] < RANK[least]) {
      refuse(
        grpc.status.PERMISSION_DENIED,
        `only ${least === "owner" ? "owners" : "owners and admins"} of ${group.name} ${what}`,
      );
    }
    return role;
  }

  /** @throws RESOURCE_EXHAUSTED if `member` is in as many rooms as one may be. */
  #roomForMember(member: MemberKey): void {
    if (this.#o.groups.roomsOf(member).size >= MAX_ROOMS_PER_MEMBER) {
      refuse(
        grpc.status.RESOURCE_EXHAUSTED,
        `you are in ${MAX_ROOMS_PER_MEMBER} rooms, the most one may be in; leave one first`,
      );
    }
  }

  /**
   * `member` is out of `group` (committed): its streams stop carrying the room at once and
   * hear `event`, as do the members left (but the device that did it, which has its answer).
   */
  #drop(group: Group, member: MemberKey, event: RoomEvent, actor: string): void {
    this.#o.groups.removeMember(group, member);
    for (const stream of this.#o.sessions.of(member)) {
      stream.dropGroup(group.name);
      if (stream.clientId !== actor) stream.tell(group.name, [event]);
    }
    this.#tell(group, event, actor);
  }

  /**
   * `group` was deleted (committed): out of the directory, so acks still on their way for it
   * are let be, and its cursors waiting to be written go. Called between commits, so none of
   * them can be written after the deletion: a room made again by that name starts clean.
   */
  #forget(group: Group): void {
    this.#o.groups.deleteRoom(group);
    this.#o.forgetCursors(group.name);
  }

  /** Tells `event` to every member's streams but the device `actor`'s. */
  #tell(group: Group, event: RoomEvent, actor: string): void {
    for (const member of group.room!.members.keys()) {
      for (const stream of this.#o.sessions.of(member)) {
        if (stream.clientId !== actor) stream.tell(group.name, [event]);
      }
    }
  }

  async #event(kind: number, group: Group, member: MemberKey, by: string): Promise<RoomEvent> {
    return { kind: kind as RoomEvent["kind"], member: await this.#member(group, member), by };
  }

  /**
   * `key` as a Member of `group`: its role there, and how many devices it has online: here, and
   * `elsewhere` (on other nodes sharing the database) when known.
   */
  async #member(group: Group, key: MemberKey, elsewhere = 0): Promise<Member> {
    const guest = guestOf(key);
    const role = group.room?.roleOf(key);
    return {
      handle: guest === undefined ? key : "",
      role: role ? ROLE_NUMBER[role] : Role.ROLE_UNSPECIFIED,
      devicesOnline: this.#o.sessions.devicesOnline(key) + elsewhere,
      name: guest === undefined ? "" : (await this.#o.reader.client(guest))?.name ?? "",
      clientId: guest ?? "",
    };
  }
}

function article(role: RoomRole): string {
  return role === "owner" ? "an owner" : role === "admin" ? "an admin" : "a member";
}
