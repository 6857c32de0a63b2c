import type * as grpc from "@grpc/grpc-js";
import type { EnumTypeDefinition, MessageTypeDefinition } from "@grpc/proto-loader";

import type { Ack as _chat_Ack, Ack__Output as _chat_Ack__Output } from "./chat/Ack.ts";
import type { Acks as _chat_Acks, Acks__Output as _chat_Acks__Output } from "./chat/Acks.ts";
import type {
  AdminClient as _chat_AdminClient,
  AdminDefinition as _chat_AdminDefinition,
} from "./chat/Admin.ts";
import type {
  ChatClient as _chat_ChatClient,
  ChatDefinition as _chat_ChatDefinition,
} from "./chat/Chat.ts";
import type {
  ChatMessage as _chat_ChatMessage,
  ChatMessage__Output as _chat_ChatMessage__Output,
} from "./chat/ChatMessage.ts";
import type {
  CreateInviteReply as _chat_CreateInviteReply,
  CreateInviteReply__Output as _chat_CreateInviteReply__Output,
} from "./chat/CreateInviteReply.ts";
import type {
  CreateInviteRequest as _chat_CreateInviteRequest,
  CreateInviteRequest__Output as _chat_CreateInviteRequest__Output,
} from "./chat/CreateInviteRequest.ts";
import type {
  CreateLinkCodeReply as _chat_CreateLinkCodeReply,
  CreateLinkCodeReply__Output as _chat_CreateLinkCodeReply__Output,
} from "./chat/CreateLinkCodeReply.ts";
import type {
  CreateLinkCodeRequest as _chat_CreateLinkCodeRequest,
  CreateLinkCodeRequest__Output as _chat_CreateLinkCodeRequest__Output,
} from "./chat/CreateLinkCodeRequest.ts";
import type {
  CreateRoomRequest as _chat_CreateRoomRequest,
  CreateRoomRequest__Output as _chat_CreateRoomRequest__Output,
} from "./chat/CreateRoomRequest.ts";
import type {
  Delivery as _chat_Delivery,
  Delivery__Output as _chat_Delivery__Output,
} from "./chat/Delivery.ts";
import type {
  GroupInfo as _chat_GroupInfo,
  GroupInfo__Output as _chat_GroupInfo__Output,
} from "./chat/GroupInfo.ts";
import type {
  HistoryReply as _chat_HistoryReply,
  HistoryReply__Output as _chat_HistoryReply__Output,
} from "./chat/HistoryReply.ts";
import type {
  HistoryRequest as _chat_HistoryRequest,
  HistoryRequest__Output as _chat_HistoryRequest__Output,
} from "./chat/HistoryRequest.ts";
import type {
  InviteReply as _chat_InviteReply,
  InviteReply__Output as _chat_InviteReply__Output,
} from "./chat/InviteReply.ts";
import type {
  InviteRequest as _chat_InviteRequest,
  InviteRequest__Output as _chat_InviteRequest__Output,
} from "./chat/InviteRequest.ts";
import type {
  JoinRoomRequest as _chat_JoinRoomRequest,
  JoinRoomRequest__Output as _chat_JoinRoomRequest__Output,
} from "./chat/JoinRoomRequest.ts";
import type {
  LeaveRoomReply as _chat_LeaveRoomReply,
  LeaveRoomReply__Output as _chat_LeaveRoomReply__Output,
} from "./chat/LeaveRoomReply.ts";
import type {
  LeaveRoomRequest as _chat_LeaveRoomRequest,
  LeaveRoomRequest__Output as _chat_LeaveRoomRequest__Output,
} from "./chat/LeaveRoomRequest.ts";
import type {
  ListMembersReply as _chat_ListMembersReply,
  ListMembersReply__Output as _chat_ListMembersReply__Output,
} from "./chat/ListMembersReply.ts";
import type {
  ListMembersRequest as _chat_ListMembersRequest,
  ListMembersRequest__Output as _chat_ListMembersRequest__Output,
} from "./chat/ListMembersRequest.ts";
import type {
  ListRoomsReply as _chat_ListRoomsReply,
  ListRoomsReply__Output as _chat_ListRoomsReply__Output,
} from "./chat/ListRoomsReply.ts";
import type {
  ListRoomsRequest as _chat_ListRoomsRequest,
  ListRoomsRequest__Output as _chat_ListRoomsRequest__Output,
} from "./chat/ListRoomsRequest.ts";
import type {
  Member as _chat_Member,
  Member__Output as _chat_Member__Output,
} from "./chat/Member.ts";
import type {
  MemberReply as _chat_MemberReply,
  MemberReply__Output as _chat_MemberReply__Output,
} from "./chat/MemberReply.ts";
import type {
  MemberRequest as _chat_MemberRequest,
  MemberRequest__Output as _chat_MemberRequest__Output,
} from "./chat/MemberRequest.ts";
import type { Open as _chat_Open, Open__Output as _chat_Open__Output } from "./chat/Open.ts";
import type {
  PublishReply as _chat_PublishReply,
  PublishReply__Output as _chat_PublishReply__Output,
} from "./chat/PublishReply.ts";
import type {
  RegisterReply as _chat_RegisterReply,
  RegisterReply__Output as _chat_RegisterReply__Output,
} from "./chat/RegisterReply.ts";
import type {
  RegisterRequest as _chat_RegisterRequest,
  RegisterRequest__Output as _chat_RegisterRequest__Output,
} from "./chat/RegisterRequest.ts";
import type {
  ReleaseHandleReply as _chat_ReleaseHandleReply,
  ReleaseHandleReply__Output as _chat_ReleaseHandleReply__Output,
} from "./chat/ReleaseHandleReply.ts";
import type {
  ReleaseHandleRequest as _chat_ReleaseHandleRequest,
  ReleaseHandleRequest__Output as _chat_ReleaseHandleRequest__Output,
} from "./chat/ReleaseHandleRequest.ts";
import type {
  RevokeDeviceReply as _chat_RevokeDeviceReply,
  RevokeDeviceReply__Output as _chat_RevokeDeviceReply__Output,
} from "./chat/RevokeDeviceReply.ts";
import type {
  RevokeDeviceRequest as _chat_RevokeDeviceRequest,
  RevokeDeviceRequest__Output as _chat_RevokeDeviceRequest__Output,
} from "./chat/RevokeDeviceRequest.ts";
import type {
  RoomEvent as _chat_RoomEvent,
  RoomEvent__Output as _chat_RoomEvent__Output,
} from "./chat/RoomEvent.ts";
import type {
  RoomInfo as _chat_RoomInfo,
  RoomInfo__Output as _chat_RoomInfo__Output,
} from "./chat/RoomInfo.ts";
import type {
  RoomReply as _chat_RoomReply,
  RoomReply__Output as _chat_RoomReply__Output,
} from "./chat/RoomReply.ts";
import type {
  SendReply as _chat_SendReply,
  SendReply__Output as _chat_SendReply__Output,
} from "./chat/SendReply.ts";
import type {
  SendRequest as _chat_SendRequest,
  SendRequest__Output as _chat_SendRequest__Output,
} from "./chat/SendRequest.ts";
import type {
  SetRoleRequest as _chat_SetRoleRequest,
  SetRoleRequest__Output as _chat_SetRoleRequest__Output,
} from "./chat/SetRoleRequest.ts";
import type {
  SubscribeFrame as _chat_SubscribeFrame,
  SubscribeFrame__Output as _chat_SubscribeFrame__Output,
} from "./chat/SubscribeFrame.ts";

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  chat: {
    Ack: MessageTypeDefinition<_chat_Ack, _chat_Ack__Output>;
    Acks: MessageTypeDefinition<_chat_Acks, _chat_Acks__Output>;
    /**
     * The operator's service, on the same port. Every call carries the operator
     * secret as metadata `x-admin-secret`: the server keeps it in a file only its
     * user can read (`-admin_secret`, default `<db>.admin-secret`). A wrong or
     * missing secret is UNAUTHENTICATED.
     */
    Admin: SubtypeConstructor<typeof grpc.Client, _chat_AdminClient> & {
      service: _chat_AdminDefinition;
    };
    /**
     * One server, any number of clients. Every call but Register carries the
     * caller's identity as metadata: `x-client-id` and `x-client-key`.
     */
    Chat: SubtypeConstructor<typeof grpc.Client, _chat_ChatClient> & {
      service: _chat_ChatDefinition;
    };
    ChatMessage: MessageTypeDefinition<_chat_ChatMessage, _chat_ChatMessage__Output>;
    CreateInviteReply: MessageTypeDefinition<
      _chat_CreateInviteReply,
      _chat_CreateInviteReply__Output
    >;
    CreateInviteRequest: MessageTypeDefinition<
      _chat_CreateInviteRequest,
      _chat_CreateInviteRequest__Output
    >;
    CreateLinkCodeReply: MessageTypeDefinition<
      _chat_CreateLinkCodeReply,
      _chat_CreateLinkCodeReply__Output
    >;
    CreateLinkCodeRequest: MessageTypeDefinition<
      _chat_CreateLinkCodeRequest,
      _chat_CreateLinkCodeRequest__Output
    >;
    CreateRoomRequest: MessageTypeDefinition<
      _chat_CreateRoomRequest,
      _chat_CreateRoomRequest__Output
    >;
    Delivery: MessageTypeDefinition<_chat_Delivery, _chat_Delivery__Output>;
    GroupInfo: MessageTypeDefinition<_chat_GroupInfo, _chat_GroupInfo__Output>;
    HistoryReply: MessageTypeDefinition<_chat_HistoryReply, _chat_HistoryReply__Output>;
    HistoryRequest: MessageTypeDefinition<_chat_HistoryRequest, _chat_HistoryRequest__Output>;
    HistoryVisibility: EnumTypeDefinition;
    InviteReply: MessageTypeDefinition<_chat_InviteReply, _chat_InviteReply__Output>;
    InviteRequest: MessageTypeDefinition<_chat_InviteRequest, _chat_InviteRequest__Output>;
    JoinRoomRequest: MessageTypeDefinition<_chat_JoinRoomRequest, _chat_JoinRoomRequest__Output>;
    LeaveRoomReply: MessageTypeDefinition<_chat_LeaveRoomReply, _chat_LeaveRoomReply__Output>;
    LeaveRoomRequest: MessageTypeDefinition<_chat_LeaveRoomRequest, _chat_LeaveRoomRequest__Output>;
    ListMembersReply: MessageTypeDefinition<_chat_ListMembersReply, _chat_ListMembersReply__Output>;
    ListMembersRequest: MessageTypeDefinition<
      _chat_ListMembersRequest,
      _chat_ListMembersRequest__Output
    >;
    ListRoomsReply: MessageTypeDefinition<_chat_ListRoomsReply, _chat_ListRoomsReply__Output>;
    ListRoomsRequest: MessageTypeDefinition<_chat_ListRoomsRequest, _chat_ListRoomsRequest__Output>;
    Member: MessageTypeDefinition<_chat_Member, _chat_Member__Output>;
    MemberReply: MessageTypeDefinition<_chat_MemberReply, _chat_MemberReply__Output>;
    MemberRequest: MessageTypeDefinition<_chat_MemberRequest, _chat_MemberRequest__Output>;
    Open: MessageTypeDefinition<_chat_Open, _chat_Open__Output>;
    PublishReply: MessageTypeDefinition<_chat_PublishReply, _chat_PublishReply__Output>;
    RegisterReply: MessageTypeDefinition<_chat_RegisterReply, _chat_RegisterReply__Output>;
    RegisterRequest: MessageTypeDefinition<_chat_RegisterRequest, _chat_RegisterRequest__Output>;
    ReleaseHandleReply: MessageTypeDefinition<
      _chat_ReleaseHandleReply,
      _chat_ReleaseHandleReply__Output
    >;
    ReleaseHandleRequest: MessageTypeDefinition<
      _chat_ReleaseHandleRequest,
      _chat_ReleaseHandleRequest__Output
    >;
    RevokeDeviceReply: MessageTypeDefinition<
      _chat_RevokeDeviceReply,
      _chat_RevokeDeviceReply__Output
    >;
    RevokeDeviceRequest: MessageTypeDefinition<
      _chat_RevokeDeviceRequest,
      _chat_RevokeDeviceRequest__Output
    >;
    Role: EnumTypeDefinition;
    RoomEvent: MessageTypeDefinition<_chat_RoomEvent, _chat_RoomEvent__Output>;
    RoomInfo: MessageTypeDefinition<_chat_RoomInfo, _chat_RoomInfo__Output>;
    RoomReply: MessageTypeDefinition<_chat_RoomReply, _chat_RoomReply__Output>;
    SendReply: MessageTypeDefinition<_chat_SendReply, _chat_SendReply__Output>;
    SendRequest: MessageTypeDefinition<_chat_SendRequest, _chat_SendRequest__Output>;
    SetRoleRequest: MessageTypeDefinition<_chat_SetRoleRequest, _chat_SetRoleRequest__Output>;
    SubscribeFrame: MessageTypeDefinition<_chat_SubscribeFrame, _chat_SubscribeFrame__Output>;
    Visibility: EnumTypeDefinition;
  };
}
