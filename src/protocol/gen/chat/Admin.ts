// Original file: chat.proto

import type * as grpc from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import type {
  CreateInviteReply as _chat_CreateInviteReply,
  CreateInviteReply__Output as _chat_CreateInviteReply__Output,
} from "../chat/CreateInviteReply.ts";
import type {
  CreateInviteRequest as _chat_CreateInviteRequest,
  CreateInviteRequest__Output as _chat_CreateInviteRequest__Output,
} from "../chat/CreateInviteRequest.ts";
import type {
  ReleaseHandleReply as _chat_ReleaseHandleReply,
  ReleaseHandleReply__Output as _chat_ReleaseHandleReply__Output,
} from "../chat/ReleaseHandleReply.ts";
import type {
  ReleaseHandleRequest as _chat_ReleaseHandleRequest,
  ReleaseHandleRequest__Output as _chat_ReleaseHandleRequest__Output,
} from "../chat/ReleaseHandleRequest.ts";
import type {
  RevokeDeviceReply as _chat_RevokeDeviceReply,
  RevokeDeviceReply__Output as _chat_RevokeDeviceReply__Output,
} from "../chat/RevokeDeviceReply.ts";
import type {
  RevokeDeviceRequest as _chat_RevokeDeviceRequest,
  RevokeDeviceRequest__Output as _chat_RevokeDeviceRequest__Output,
} from "../chat/RevokeDeviceRequest.ts";

/**
 * The operator's service, on the same port. Every call carries the operator
 * secret as metadata `x-admin-secret`: the server keeps it in a file only its
 * user can read (`-admin_secret`, default `<db>.admin-secret`). A wrong or
 * missing secret is UNAUTHENTICATED.
 */
export interface AdminClient extends grpc.Client {
  /**
   * A one-time code that claims an account (for servers started with -claim invite).
   */
  CreateInvite(
    argument: _chat_CreateInviteRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateInvite(
    argument: _chat_CreateInviteRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateInvite(
    argument: _chat_CreateInviteRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  CreateInvite(
    argument: _chat_CreateInviteRequest,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * A one-time code that claims an account (for servers started with -claim invite).
   */
  createInvite(
    argument: _chat_CreateInviteRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  createInvite(
    argument: _chat_CreateInviteRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  createInvite(
    argument: _chat_CreateInviteRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;
  createInvite(
    argument: _chat_CreateInviteRequest,
    callback: grpc.requestCallback<_chat_CreateInviteReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Deletes an account (a lost device): its devices become guests, the handle can be claimed again.
   */
  ReleaseHandle(
    argument: _chat_ReleaseHandleRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  ReleaseHandle(
    argument: _chat_ReleaseHandleRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  ReleaseHandle(
    argument: _chat_ReleaseHandleRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  ReleaseHandle(
    argument: _chat_ReleaseHandleRequest,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Deletes an account (a lost device): its devices become guests, the handle can be claimed again.
   */
  releaseHandle(
    argument: _chat_ReleaseHandleRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  releaseHandle(
    argument: _chat_ReleaseHandleRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  releaseHandle(
    argument: _chat_ReleaseHandleRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;
  releaseHandle(
    argument: _chat_ReleaseHandleRequest,
    callback: grpc.requestCallback<_chat_ReleaseHandleReply__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Forgets one device: its open streams end at once, and it must register again.
   */
  RevokeDevice(
    argument: _chat_RevokeDeviceRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  RevokeDevice(
    argument: _chat_RevokeDeviceRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  RevokeDevice(
    argument: _chat_RevokeDeviceRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  RevokeDevice(
    argument: _chat_RevokeDeviceRequest,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Forgets one device: its open streams end at once, and it must register again.
   */
  revokeDevice(
    argument: _chat_RevokeDeviceRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  revokeDevice(
    argument: _chat_RevokeDeviceRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  revokeDevice(
    argument: _chat_RevokeDeviceRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
  revokeDevice(
    argument: _chat_RevokeDeviceRequest,
    callback: grpc.requestCallback<_chat_RevokeDeviceReply__Output>,
  ): grpc.ClientUnaryCall;
}

/**
 * The operator's service, on the same port. Every call carries the operator
 * secret as metadata `x-admin-secret`: the server keeps it in a file only its
 * user can read (`-admin_secret`, default `<db>.admin-secret`). A wrong or
 * missing secret is UNAUTHENTICATED.
 */
export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A one-time code that claims an account (for servers started with -claim invite).
   */
  CreateInvite: grpc.handleUnaryCall<_chat_CreateInviteRequest__Output, _chat_CreateInviteReply>;

  /**
   * Deletes an account (a lost device): its devices become guests, the handle can be claimed again.
   */
  ReleaseHandle: grpc.handleUnaryCall<_chat_ReleaseHandleRequest__Output, _chat_ReleaseHandleReply>;

  /**
   * Forgets one device: its open streams end at once, and it must register again.
   */
  RevokeDevice: grpc.handleUnaryCall<_chat_RevokeDeviceRequest__Output, _chat_RevokeDeviceReply>;
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  CreateInvite: MethodDefinition<
    _chat_CreateInviteRequest,
    _chat_CreateInviteReply,
    _chat_CreateInviteRequest__Output,
    _chat_CreateInviteReply__Output
  >;
  ReleaseHandle: MethodDefinition<
    _chat_ReleaseHandleRequest,
    _chat_ReleaseHandleReply,
    _chat_ReleaseHandleRequest__Output,
    _chat_ReleaseHandleReply__Output
  >;
  RevokeDevice: MethodDefinition<
    _chat_RevokeDeviceRequest,
    _chat_RevokeDeviceReply,
    _chat_RevokeDeviceRequest__Output,
    _chat_RevokeDeviceReply__Output
  >;
}
