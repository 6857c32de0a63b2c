/**
 * The room calls of the Chat service: each request decoded and checked, handed
 * to the room rules (`groups/rooms.ts`), and answered; and History, which pages
 * back through a group for its members.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { encodeHistoryReply } from "../../protocol/body.ts";
import { HistoryVisibility, Visibility } from "../../protocol/proto.ts";
import { refuseMalformed, statusError } from "../../protocol/status.ts";
import type { MalformedRequest } from "../../protocol/wire.ts";
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from "../../shared/limits.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { HandlerContext } from "./context.ts";

/** Requests as decoded (proto3 defaults filled in; enums as numbers). */
interface CreateRoomRequest {
  name: string;
  visibility: number;
  history: number;
}
interface RoomRequest {
  room: string;
}
interface JoinRoomRequest extends RoomRequest {
  code: string;
}
interface MemberRequest extends RoomRequest {
  handle: string;
}
interface SetRoleRequest extends MemberRequest {
  role: number;
}
interface HistoryRequest extends RoomRequest {
  beforeSeq: number;
  limit: number;
}

type Handle<Req, Res> = (principal: Principal, request: Req | MalformedRequest) => Promise<Res>;

/** The room calls, each for the call gate of `service.ts`. */
export function roomCalls(ctx: HandlerContext) {
  const rooms = ctx.rooms;
  /** A call whose request is checked to be well-formed before `handle` sees it. */
  function checked<Req, Res>(
    type: string,
    handle: (principal: Principal, request: Req) => Res | Promise<Res>,
  ): Handle<Req, Res> {
    return (principal, request) =>
      Promise.resolve().then(() => {
        refuseMalformed<Req>(request, type);
        return handle(principal, request as Req);
      });
  }
  return {
    CreateRoom: checked("CreateRoomRequest", async (p, r: CreateRoomRequest) => {
      if (r.visibility !== Visibility.OPEN && r.visibility !== Visibility.INVITE_ONLY) {
        throw statusError(grpc.status.INVALID_ARGUMENT, `visibility ${r.visibility} is unknown`);
      }
      if (
        r.history !== HistoryVisibility.HISTORY_ALL &&
        r.history !== HistoryVisibility.HISTORY_SINCE_JOIN
      ) {
        throw statusError(grpc.status.INVALID_ARGUMENT, `history ${r.history} is unknown`);
      }
      const room = await rooms.create(p, {
        name: r.name,
        visibility: r.visibility === Visibility.OPEN ? "open" : "invite",
        history: r.history === HistoryVisibility.HISTORY_ALL ? "all" : "since-join",
      });
      return { room };
    }),
    JoinRoom: checked(
      "JoinRoomRequest",
      async (p, r: JoinRoomRequest) => ({ room: await rooms.join(p, r.room, r.code) }),
    ),
    LeaveRoom: checked("LeaveRoomRequest", (p, r: RoomRequest) => rooms.leave(p, r.room)),
    InviteToRoom: checked(
      "InviteRequest",
      (p, r: MemberRequest) => rooms.invite(p, r.room, r.handle),
    ),
    RemoveMember: checked(
      "MemberRequest",
      async (p, r: MemberRequest) => ({ member: await rooms.remove(p, r.room, r.handle) }),
    ),
    SetRole: checked(
      "SetRoleRequest",
      async (p, r: SetRoleRequest) => ({
        member: await rooms.setRole(p, r.room, r.handle, r.role),
      }),
    ),
    ListRooms: checked("ListRoomsRequest", async (p) => ({ rooms: await rooms.list(p.client) })),
    ListMembers: checked(
      "ListMembersRequest",
      async (p, r: RoomRequest) => ({ members: await rooms.members(p.client, r.room) }),
    ),
    History: checked("HistoryRequest", (p, r: HistoryRequest) => history(ctx, p, r)),
  };
}

/**
 * A page of `request.room` before `request.beforeSeq` (0: the newest), oldest first, as
 * HistoryReply bytes: the stored bodies are spliced in, as in delivery frames.
 *
 * @throws {grpc.ServiceError} NOT_FOUND for no such group; PERMISSION_DENIED for a
 *   non-member; INVALID_ARGUMENT for a page size over {@link MAX_HISTORY_PAGE}.
 */
async function history(
  ctx: HandlerContext,
  principal: Principal,
  request: HistoryRequest,
): Promise<Buffer> {
  const group = ctx.groups.require(request.room);
  const { client } = principal;
  if (!group.admits(client)) {
    throw statusError(grpc.status.PERMISSION_DENIED, `you are not in ${group.name}`);
  }
  const limit = request.limit || DEFAULT_HISTORY_PAGE;
  if (limit > MAX_HISTORY_PAGE) {
    throw statusError(
      grpc.status.INVALID_ARGUMENT,
      `a page holds at most ${MAX_HISTORY_PAGE} messages, not ${limit}`,
    );
  }
  const before = request.beforeSeq;
  if (!Number.isSafeInteger(before) || before < 0) {
    throw statusError(grpc.status.INVALID_ARGUMENT, `before_seq ${before} is not a sequence`);
  }
  const last = group.feed.lastSeq;
  const floor = group.floorOf(client);
  const through = before === 0 ? last : Math.min(before - 1, last);
  const after = Math.max(floor, through - limit);
  const messages = through > after ? await group.feed.read(after, through) : [];
  const bytes = encodeHistoryReply(messages, after > floor);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
