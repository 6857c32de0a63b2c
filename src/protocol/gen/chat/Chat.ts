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
  Delivery as _chat_Delivery,
  Delivery__Output as _chat_Delivery__Output,
} from "../chat/Delivery.ts";
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
  SendReply as _chat_SendReply,
  SendReply__Output as _chat_SendReply__Output,
} from "../chat/SendReply.ts";
import type {
  SendRequest as _chat_SendRequest,
  SendRequest__Output as _chat_SendRequest__Output,
} from "../chat/SendRequest.ts";
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
   * Sends many messages on one stream, for programs that send a lot (bots,
   * bridges, load): the call's cost is paid once, not per message. Every
   * SendRequest is answered by one PublishReply, in the order sent, with what
   * Send would have answered. A refused message is answered with its status
   * code and the stream goes on; nothing is stored for it.
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
   * Send would have answered. A refused message is answered with its status
   * code and the stream goes on; nothing is stored for it.
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
   * Sends many messages on one stream, for programs that send a lot (bots,
   * bridges, load): the call's cost is paid once, not per message. Every
   * SendRequest is answered by one PublishReply, in the order sent, with what
   * Send would have answered. A refused message is answered with its status
   * code and the stream goes on; nothing is stored for it.
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
   * Stores one message durably, then fans it out. Idempotent: a retry with the
   * same client_msg_id returns the original seq and stores nothing new.
   */
  Send: grpc.handleUnaryCall<_chat_SendRequest__Output, _chat_SendReply>;

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
  Send: MethodDefinition<
    _chat_SendRequest,
    _chat_SendReply,
    _chat_SendRequest__Output,
    _chat_SendReply__Output
  >;
  Subscribe: MethodDefinition<
    _chat_SubscribeFrame,
    _chat_Delivery,
    _chat_SubscribeFrame__Output,
    _chat_Delivery__Output
  >;
}
