/**
 * chat.proto loaded once, with the options the generated types in `gen/`
 * were made with (`deno task gen`): longs as numbers, defaults filled in,
 * oneof names as a virtual field.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { ProtoGrpcType } from "./gen/chat.ts";

export type { ChatClient } from "./gen/chat/Chat.ts";
export type { ChatHandlers } from "./gen/chat/Chat.ts";
export type { AdminClient, AdminHandlers } from "./gen/chat/Admin.ts";
export type { Delivery__Output as Delivery } from "./gen/chat/Delivery.ts";
export type { GroupInfo__Output as GroupInfo } from "./gen/chat/GroupInfo.ts";
export type { PublishReply__Output as PublishReply } from "./gen/chat/PublishReply.ts";
export type { RegisterReply__Output as RegisterReply } from "./gen/chat/RegisterReply.ts";
export type { SendReply__Output as SendReply } from "./gen/chat/SendReply.ts";
export type { SendRequest__Output as SendRequest } from "./gen/chat/SendRequest.ts";
export type { SubscribeFrame__Output as SubscribeFrame } from "./gen/chat/SubscribeFrame.ts";
export type { RoomInfo__Output as RoomInfo } from "./gen/chat/RoomInfo.ts";
export type { Member__Output as Member } from "./gen/chat/Member.ts";
export type { RoomEvent__Output as RoomEvent } from "./gen/chat/RoomEvent.ts";
export type { ChatMessage__Output as ChatMessage } from "./gen/chat/ChatMessage.ts";
export type { HistoryReply__Output as HistoryReply } from "./gen/chat/HistoryReply.ts";
export type { InviteReply__Output as InviteReply } from "./gen/chat/InviteReply.ts";
export { Role } from "./gen/chat/Role.ts";
export { Visibility } from "./gen/chat/Visibility.ts";
export { HistoryVisibility } from "./gen/chat/HistoryVisibility.ts";
export { _chat_RoomEvent_Kind as RoomEventKind } from "./gen/chat/RoomEvent.ts";

/** Metadata keys of the caller's identity on every call after Register (see chat.proto). */
export const CLIENT_ID_HEADER = "x-client-id";
/** See {@link CLIENT_ID_HEADER}. */
export const CLIENT_KEY_HEADER = "x-client-key";
/**
 * Trailing metadata of a RESOURCE_EXHAUSTED refusal: milliseconds to wait before trying again,
 * as decimal digits.
 */
export const RETRY_AFTER_MS_HEADER = "retry-after-ms";
/**
 * A Subscribe response header: the server takes `SubscribeFrame.acks` (several groups' acks in
 * one frame) when it is {@link ACKS_BATCHED}.
 */
export const ACKS_HEADER = "x-chat-acks";
/** See {@link ACKS_HEADER}. */
export const ACKS_BATCHED = "batched";
/**
 * A Publish request header: with the value "1", the caller reads `PublishReply.more`, and the
 * server puts the replies that are ready at once in one message.
 */
export const ACCEPT_MORE_HEADER = "x-chat-accept-more";
/**
 * A Publish response header, sent at the stream's start: with {@link PUBLISH_ORDERED}, the server
 * refuses (ABORTED) every later message of a stream once one was not stored for its own failure,
 * so a sender may keep many messages in flight and still keep its order when it sends them again.
 * A client keeps one message in flight on a stream without it (an older server).
 */
export const PUBLISH_ORDER_HEADER = "x-chat-publish";
/** See {@link PUBLISH_ORDER_HEADER}. */
export const PUBLISH_ORDERED = "ordered";
/** Metadata key of the operator secret on every Admin call. */
export const ADMIN_SECRET_HEADER = "x-admin-secret";

const PROTO_PATH = fileURLToPath(new URL("../../chat.proto", import.meta.url));

const definition = protoLoader.loadSync(PROTO_PATH, {
  longs: Number,
  defaults: true,
  oneofs: true,
});

/** The loaded package: `chatProto.chat.Chat` is the client constructor, `.service` its definition. */
export const chatProto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
