// Original file: chat.proto

import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import type {
  CreateLinkCodeReply as _chat_CreateLinkCodeReply,
  CreateLinkCodeReply__Output as _chat_CreateLinkCodeReply__Output,
} from "../chat/CreateLinkCodeReply.ts";
import type {
  CreateLinkCodeRequest as _chat_CreateLinkCodeRequest,
  CreateLinkCodeRequest__Output as _chat_CreateLinkCodeRequest__Output,
} from "../chat/CreateLinkCodeRequest.ts";
import type {
  CreateRoomRequest as _chat_CreateRoomRequest,
  CreateRoomRequest__Output as _chat_CreateRoomRequest__Output,
} from "../chat/CreateRoomRequest.ts";
import type {
  Delivery as _chat_Delivery,
  Delivery__Output as _chat_Delivery__Output,
} from "../chat/Delivery.ts";
import type {
  HistoryReply as _chat_HistoryReply,
  HistoryReply__Output as _chat_HistoryReply__Output,
} from "../chat/HistoryReply.ts";
import type {
  HistoryRequest as _chat_HistoryRequest,
  HistoryRequest__Output as _chat_HistoryRequest__Output,
} from "../chat/HistoryRequest.ts";
import type {
  InviteReply as _chat_InviteReply,
  InviteReply__Output as _chat_InviteReply__Output,
} from "../chat/InviteReply.ts";
import type {
  InviteRequest as _chat_InviteRequest,
  InviteRequest__Output as _chat_InviteRequest__Output,
} from "../chat/InviteRequest.ts";
import type {
  JoinRoomRequest as _chat_JoinRoomRequest,
  JoinRoomRequest__Output as _chat_JoinRoomRequest__Output,
} from "../chat/JoinRoomRequest.ts";
import type {
  LeaveRoomReply as _chat_LeaveRoomReply,
  LeaveRoomReply__Output as _chat_LeaveRoomReply__Output,
} from "../chat/LeaveRoomReply.ts";
import type {
  LeaveRoomRequest as _chat_LeaveRoomRequest,
  LeaveRoomRequest__Output as _chat_LeaveRoomRequest__Output,
} from "../chat/LeaveRoomRequest.ts";
import type {
  ListMembersReply as _chat_ListMembersReply,
  ListMembersReply__Output as _chat_ListMembersReply__Output,
} from "../chat/ListMembersReply.ts";
import type {
  ListMembersRequest as _chat_ListMembersRequest,
  ListMembersRequest__Output as _chat_ListMembersRequest__Output,
} from "../chat/ListMembersRequest.ts";
import type {
  ListRoomsReply as _chat_ListRoomsReply,
  ListRoomsReply__Output as _chat_ListRoomsReply__Output,
} from "../chat/ListRoomsReply.ts";
import type {
  ListRoomsRequest as _chat_ListRoomsRequest,
  ListRoomsRequest__Output as _chat_ListRoomsRequest__Output,
} from "../chat/ListRoomsRequest.ts";
import type {
  MemberReply as _chat_MemberReply,
  MemberReply__Output as _chat_MemberReply__Output,
} from "../chat/MemberReply.ts";
import type {
  MemberRequest as _chat_MemberRequest,
  MemberRequest__Output as _chat_MemberRequest__Output,
} from "../chat/MemberRequest.ts";
import type {
  PublishReply as _chat_PublishReply,
  PublishReply__Output as _chat_PublishReply__Output,
} from "../chat/PublishReply.ts";
import type {
  RegisterReply as _chat_RegisterReply,
  RegisterReply__Output as _chat_RegisterReply__Output,
} from "../chat/RegisterReply.ts";
import type {
  RegisterRequest as _chat_RegisterRequest,
  RegisterRequest__Output as _chat_RegisterRequest__Output,
} from "../chat/RegisterRequest.ts";
import type {
  RoomReply as _chat_RoomReply,
  RoomReply__Output as _chat_RoomReply__Output,
} from "../chat/RoomReply.ts";
import type {
  SendReply as _chat_SendReply,
  SendReply__Output as _chat_SendReply__Output,
} from "../chat/SendReply.ts";
import type {
  SendRequest as _chat_SendRequest,
  SendRequest__Output as _chat_SendRequest__Output,
} from "../chat/SendRequest.ts";
import type {
  SetRoleRequest as _chat_SetRoleRequest,
  SetRoleRequest__Output as _chat_SetRoleRequest__Output,
} from "../chat/SetRoleRequest.ts";
import type {
  SubscribeFrame as _chat_SubscribeFrame,
  SubscribeFrame__Output as _chat_SubscribeFrame__Output,
} from "../chat/SubscribeFrame.ts";

/**
 * One server, any number of clients. Every call but Register carries the
 * caller's identity as metadata: `x-client-id` and `x-client-key`.
 */
export interface ChatClient extends grpc.Client {
  /**
   * A device of an account asks for a one-time code that links another device
   * to the same account (RegisterRequest.link_code). Guests are refused.
   */
  CreateLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * A device of an account asks for a one-time code that links another device
   * to the same account (RegisterRequest.link_code). Guests are refused.
   */
  createLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  createLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  createLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;
  createLinkCode(
    argument: _chat_CreateLinkCodeRequest,
    callback: grpc.requestCallback<_chat_CreateLinkCodeReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Makes a room; the caller (an account) is its owner and first member.
   */
  CreateRoom(
    argument: _chat_CreateRoomRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateRoom(
    argument: _chat_CreateRoomRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateRoom(
    argument: _chat_CreateRoomRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateRoom(
    argument: _chat_CreateRoomRequest,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Makes a room; the caller (an account) is its owner and first member.
   */
  createRoom(
    argument: _chat_CreateRoomRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  createRoom(
    argument: _chat_CreateRoomRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  createRoom(
    argument: _chat_CreateRoomRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  createRoom(
    argument: _chat_CreateRoomRequest,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * A page of a group's messages before a sequence, oldest first; members only.
   */
  History(
    argument: _chat_HistoryRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  History(
    argument: _chat_HistoryRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  History(
    argument: _chat_HistoryRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  History(
    argument: _chat_HistoryRequest,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * A page of a group's messages before a sequence, oldest first; members only.
   */
  history(
    argument: _chat_HistoryRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  history(
    argument: _chat_HistoryRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  history(
    argument: _chat_HistoryRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;
  history(
    argument: _chat_HistoryRequest,
    callback: grpc.requestCallback<_chat_HistoryReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Owners and admins invite an account, or make a one-time code (handle empty).
   */
  InviteToRoom(
    argument: _chat_InviteRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  InviteToRoom(
    argument: _chat_InviteRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  InviteToRoom(
    argument: _chat_InviteRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  InviteToRoom(
    argument: _chat_InviteRequest,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Owners and admins invite an account, or make a one-time code (handle empty).
   */
  inviteToRoom(
    argument: _chat_InviteRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  inviteToRoom(
    argument: _chat_InviteRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  inviteToRoom(
    argument: _chat_InviteRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;
  inviteToRoom(
    argument: _chat_InviteRequest,
    callback: grpc.requestCallback<_chat_InviteReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Joins an open room, or an invite-only one the caller's account was invited to or
   * holds a one-time code of. A new member receives the room's history from the start,
   * or from joining in a room made with HISTORY_SINCE_JOIN.
   */
  JoinRoom(
    argument: _chat_JoinRoomRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  JoinRoom(
    argument: _chat_JoinRoomRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  JoinRoom(
    argument: _chat_JoinRoomRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  JoinRoom(
    argument: _chat_JoinRoomRequest,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Joins an open room, or an invite-only one the caller's account was invited to or
   * holds a one-time code of. A new member receives the room's history from the start,
   * or from joining in a room made with HISTORY_SINCE_JOIN.
   */
  joinRoom(
    argument: _chat_JoinRoomRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  joinRoom(
    argument: _chat_JoinRoomRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  joinRoom(
    argument: _chat_JoinRoomRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;
  joinRoom(
    argument: _chat_JoinRoomRequest,
    callback: grpc.requestCallback<_chat_RoomReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Leaves a room. The last owner leaves only as the last member: the room is then
   * deleted with its history, and its name is free again.
   */
  LeaveRoom(
    argument: _chat_LeaveRoomRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  LeaveRoom(
    argument: _chat_LeaveRoomRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  LeaveRoom(
    argument: _chat_LeaveRoomRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  LeaveRoom(
    argument: _chat_LeaveRoomRequest,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Leaves a room. The last owner leaves only as the last member: the room is then
   * deleted with its history, and its name is free again.
   */
  leaveRoom(
    argument: _chat_LeaveRoomRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  leaveRoom(
    argument: _chat_LeaveRoomRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  leaveRoom(
    argument: _chat_LeaveRoomRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;
  leaveRoom(
    argument: _chat_LeaveRoomRequest,
    callback: grpc.requestCallback<_chat_LeaveRoomReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Who is in a group and how many of their devices are online now.
   */
  ListMembers(
    argument: _chat_ListMembersRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  ListMembers(
    argument: _chat_ListMembersRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  ListMembers(
    argument: _chat_ListMembersRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  ListMembers(
    argument: _chat_ListMembersRequest,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Who is in a group and how many of their devices are online now.
   */
  listMembers(
    argument: _chat_ListMembersRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  listMembers(
    argument: _chat_ListMembersRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  listMembers(
    argument: _chat_ListMembersRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;
  listMembers(
    argument: _chat_ListMembersRequest,
    callback: grpc.requestCallback<_chat_ListMembersReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * The groups the caller is in, with unread counts, and those it can join.
   */
  ListRooms(
    argument: _chat_ListRoomsRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  ListRooms(
    argument: _chat_ListRoomsRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  ListRooms(
    argument: _chat_ListRoomsRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  ListRooms(
    argument: _chat_ListRoomsRequest,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * The groups the caller is in, with unread counts, and those it can join.
   */
  listRooms(
    argument: _chat_ListRoomsRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  listRooms(
    argument: _chat_ListRoomsRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  listRooms(
    argument: _chat_ListRoomsRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;
  listRooms(
    argument: _chat_ListRoomsRequest,
    callback: grpc.requestCallback<_chat_ListRoomsReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Sends many messages on one stream, for programs that send a lot (bots,
   * bridges, load): the call's cost is paid once, not per message. Every
   * SendRequest is answered by one PublishReply, in the order sent, with what
   * Send would have answered (several may share one message: PublishReply.more).
   * A refused message is answered with its status code and the stream goes on;
   * nothing is stored for it. Once a message is not stored for the server's own
   * failure (a commit failed), every later message of the stream is refused
   * ABORTED, so that sending them again, in order, keeps the sender's order; the
   * server says so in its response headers (x-chat-publish: ordered), and a
   * client keeps one message in flight on a server that does not.
   */
  Publish(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SendRequest, _chat_PublishReply__Output>;
  Publish(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SendRequest, _chat_PublishReply__Output>;
  /**
   * Sends many messages on one stream, for programs that send a lot (bots,
   * bridges, load): the call's cost is paid once, not per message. Every
   * SendRequest is answered by one PublishReply, in the order sent, with what
   * Send would have answered (several may share one message: PublishReply.more).
   * A refused message is answered with its status code and the stream goes on;
   * nothing is stored for it. Once a message is not stored for the server's own
   * failure (a commit failed), every later message of the stream is refused
   * ABORTED, so that sending them again, in order, keeps the sender's order; the
   * server says so in its response headers (x-chat-publish: ordered), and a
   * client keeps one message in flight on a server that does not.
   */
  publish(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SendRequest, _chat_PublishReply__Output>;
  publish(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SendRequest, _chat_PublishReply__Output>;

  /**
   * Registers a new client (a device), or resumes one when client_id and key
   * are given. An unknown client_id is NOT_FOUND and a wrong key
   * UNAUTHENTICATED: the client then registers afresh. A new device proves an
   * account (see RegisterRequest) or is a guest.
   */
  Register(
    argument: _chat_RegisterRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  Register(
    argument: _chat_RegisterRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  Register(
    argument: _chat_RegisterRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  Register(
    argument: _chat_RegisterRequest,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Registers a new client (a device), or resumes one when client_id and key
   * are given. An unknown client_id is NOT_FOUND and a wrong key
   * UNAUTHENTICATED: the client then registers afresh. A new device proves an
   * account (see RegisterRequest) or is a guest.
   */
  register(
    argument: _chat_RegisterRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  register(
    argument: _chat_RegisterRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  register(
    argument: _chat_RegisterRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;
  register(
    argument: _chat_RegisterRequest,
    callback: grpc.requestCallback<_chat_RegisterReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Owners remove admins and members, admins remove members. The removed member's open
   * streams stop carrying the room at once.
   */
  RemoveMember(
    argument: _chat_MemberRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  RemoveMember(
    argument: _chat_MemberRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  RemoveMember(
    argument: _chat_MemberRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  RemoveMember(
    argument: _chat_MemberRequest,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Owners remove admins and members, admins remove members. The removed member's open
   * streams stop carrying the room at once.
   */
  removeMember(
    argument: _chat_MemberRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  removeMember(
    argument: _chat_MemberRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  removeMember(
    argument: _chat_MemberRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  removeMember(
    argument: _chat_MemberRequest,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Stores one message durably, then fans it out. Idempotent: a retry with the
   * same client_msg_id returns the original seq and stores nothing new.
   */
  Send(
    argument: _chat_SendRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  Send(
    argument: _chat_SendRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  Send(
    argument: _chat_SendRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  Send(
    argument: _chat_SendRequest,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Stores one message durably, then fans it out. Idempotent: a retry with the
   * same client_msg_id returns the original seq and stores nothing new.
   */
  send(
    argument: _chat_SendRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  send(
    argument: _chat_SendRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  send(
    argument: _chat_SendRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;
  send(
    argument: _chat_SendRequest,
    callback: grpc.requestCallback<_chat_SendReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Owners give a member a role; a room keeps at least one owner.
   */
  SetRole(
    argument: _chat_SetRoleRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  SetRole(
    argument: _chat_SetRoleRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  SetRole(
    argument: _chat_SetRoleRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  SetRole(
    argument: _chat_SetRoleRequest,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Owners give a member a role; a room keeps at least one owner.
   */
  setRole(
    argument: _chat_SetRoleRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  setRole(
    argument: _chat_SetRoleRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  setRole(
    argument: _chat_SetRoleRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;
  setRole(
    argument: _chat_SetRoleRequest,
    callback: grpc.requestCallback<_chat_MemberReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * The first frame must be `open`; later frames carry cumulative acks. The
   * server streams every unread message of the caller's groups, then live ones,
   * holding at most `window` unacknowledged messages in flight.
   */
  Subscribe(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SubscribeFrame, _chat_Delivery__Output>;
  Subscribe(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SubscribeFrame, _chat_Delivery__Output>;
  /**
   * The first frame must be `open`; later frames carry cumulative acks. The
   * server streams every unread message of the caller's groups, then live ones,
   * holding at most `window` unacknowledged messages in flight.
   */
  subscribe(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SubscribeFrame, _chat_Delivery__Output>;
  subscribe(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<_chat_SubscribeFrame, _chat_Delivery__Output>;
}

/**
 * One server, any number of clients. Every call but Register carries the
 * caller's identity as metadata: `x-client-id` and `x-client-key`.
 */
export interface ChatHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A device of an account asks for a one-time code that links another device
   * to the same account (RegisterRequest.link_code). Guests are refused.
   */
  CreateLinkCode: grpc.handleUnaryCall<
    _chat_CreateLinkCodeRequest__Output,
    _chat_CreateLinkCodeReply
  >;

  /**
   * Makes a room; the caller (an account) is its owner and first member.
   */
  CreateRoom: grpc.handleUnaryCall<_chat_CreateRoomRequest__Output, _chat_RoomReply>;

  /**
   * A page of a group's messages before a sequence, oldest first; members only.
   */
  History: grpc.handleUnaryCall<_chat_HistoryRequest__Output, _chat_HistoryReply>;

  /**
   * Owners and admins invite an account, or make a one-time code (handle empty).
   */
  InviteToRoom: grpc.handleUnaryCall<_chat_InviteRequest__Output, _chat_InviteReply>;

  /**
   * Joins an open room, or an invite-only one the caller's account was invited to or
   * holds a one-time code of. A new member receives the room's history from the start,
   * or from joining in a room made with HISTORY_SINCE_JOIN.
   */
  JoinRoom: grpc.handleUnaryCall<_chat_JoinRoomRequest__Output, _chat_RoomReply>;

  /**
   * Leaves a room. The last owner leaves only as the last member: the room is then
   * deleted with its history, and its name is free again.
   */
  LeaveRoom: grpc.handleUnaryCall<_chat_LeaveRoomRequest__Output, _chat_LeaveRoomReply>;

  /**
   * Who is in a group and how many of their devices are online now.
   */
  ListMembers: grpc.handleUnaryCall<_chat_ListMembersRequest__Output, _chat_ListMembersReply>;

  /**
   * The groups the caller is in, with unread counts, and those it can join.
   */
  ListRooms: grpc.handleUnaryCall<_chat_ListRoomsRequest__Output, _chat_ListRoomsReply>;

  /**
   * Sends many messages on one stream, for programs that send a lot (bots,
   * bridges, load): the call's cost is paid once, not per message. Every
   * SendRequest is answered by one PublishReply, in the order sent, with what
   * Send would have answered (several may share one message: PublishReply.more).
   * A refused message is answered with its status code and the stream goes on;
   * nothing is stored for it. Once a message is not stored for the server's own
   * failure (a commit failed), every later message of the stream is refused
   * ABORTED, so that sending them again, in order, keeps the sender's order; the
   * server says so in its response headers (x-chat-publish: ordered), and a
   * client keeps one message in flight on a server that does not.
   */
  Publish: grpc.handleBidiStreamingCall<_chat_SendRequest__Output, _chat_PublishReply>;

  /**
   * Registers a new client (a device), or resumes one when client_id and key
   * are given. An unknown client_id is NOT_FOUND and a wrong key
   * UNAUTHENTICATED: the client then registers afresh. A new device proves an
   * account (see RegisterRequest) or is a guest.
   */
  Register: grpc.handleUnaryCall<_chat_RegisterRequest__Output, _chat_RegisterReply>;

  /**
   * Owners remove admins and members, admins remove members. The removed member's open
   * streams stop carrying the room at once.
   */
  RemoveMember: grpc.handleUnaryCall<_chat_MemberRequest__Output, _chat_MemberReply>;

  /**
   * Stores one message durably, then fans it out. Idempotent: a retry with the
   * same client_msg_id returns the original seq and stores nothing new.
   */
  Send: grpc.handleUnaryCall<_chat_SendRequest__Output, _chat_SendReply>;

  /**
   * Owners give a member a role; a room keeps at least one owner.
   */
  SetRole: grpc.handleUnaryCall<_chat_SetRoleRequest__Output, _chat_MemberReply>;

  /**
   * The first frame must be `open`; later frames carry cumulative acks. The
   * server streams every unread message of the caller's groups, then live ones,
   * holding at most `window` unacknowledged messages in flight.
   */
  Subscribe: grpc.handleBidiStreamingCall<_chat_SubscribeFrame__Output, _chat_Delivery>;
}

export interface ChatDefinition extends grpc.ServiceDefinition {
  CreateLinkCode: MethodDefinition<
    _chat_CreateLinkCodeRequest,
    _chat_CreateLinkCodeReply,
    _chat_CreateLinkCodeRequest__Output,
    _chat_CreateLinkCodeReply__Output
  >;
  CreateRoom: MethodDefinition<
    _chat_CreateRoomRequest,
    _chat_RoomReply,
    _chat_CreateRoomRequest__Output,
    _chat_RoomReply__Output
  >;
  History: MethodDefinition<
    _chat_HistoryRequest,
    _chat_HistoryReply,
    _chat_HistoryRequest__Output,
    _chat_HistoryReply__Output
  >;
  InviteToRoom: MethodDefinition<
    _chat_InviteRequest,
    _chat_InviteReply,
    _chat_InviteRequest__Output,
    _chat_InviteReply__Output
  >;
  JoinRoom: MethodDefinition<
    _chat_JoinRoomRequest,
    _chat_RoomReply,
    _chat_JoinRoomRequest__Output,
    _chat_RoomReply__Output
  >;
  LeaveRoom: MethodDefinition<
    _chat_LeaveRoomRequest,
    _chat_LeaveRoomReply,
    _chat_LeaveRoomRequest__Output,
    _chat_LeaveRoomReply__Output
  >;
  ListMembers: MethodDefinition<
    _chat_ListMembersRequest,
    _chat_ListMembersReply,
    _chat_ListMembersRequest__Output,
    _chat_ListMembersReply__Output
  >;
  ListRooms: MethodDefinition<
    _chat_ListRoomsRequest,
    _chat_ListRoomsReply,
    _chat_ListRoomsRequest__Output,
    _chat_ListRoomsReply__Output
  >;
  Publish: MethodDefinition<
    _chat_SendRequest,
    _chat_PublishReply,
    _chat_SendRequest__Output,
    _chat_PublishReply__Output
  >;
  Register: MethodDefinition<
    _chat_RegisterRequest,
    _chat_RegisterReply,
    _chat_RegisterRequest__Output,
    _chat_RegisterReply__Output
  >;
  RemoveMember: MethodDefinition<
    _chat_MemberRequest,
    _chat_MemberReply,
    _chat_MemberRequest__Output,
    _chat_MemberReply__Output
  >;
  Send: MethodDefinition<
    _chat_SendRequest,
    _chat_SendReply,
    _chat_SendRequest__Output,
    _chat_SendReply__Output
  >;
  SetRole: MethodDefinition<
    _chat_SetRoleRequest,
    _chat_MemberReply,
    _chat_SetRoleRequest__Output,
    _chat_MemberReply__Output
  >;
  Subscribe: MethodDefinition<
    _chat_SubscribeFrame,
    _chat_Delivery,
    _chat_SubscribeFrame__Output,
    _chat_Delivery__Output
  >;
}
