/**
 * The Chat service's handlers, typed from chat.proto. Calls after Register go
 * through one gate: the caller is authenticated once, and a refused call is
 * logged and answered the same way whatever the method.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { CreateLinkCodeReply__Output as CreateLinkCodeReply } from "../../protocol/gen/chat/CreateLinkCodeReply.ts";
import type { CreateLinkCodeRequest__Output as CreateLinkCodeRequest } from "../../protocol/gen/chat/CreateLinkCodeRequest.ts";
import type {
  ChatHandlers,
  PublishReply,
  RegisterReply,
  SendReply,
  SendRequest,
  SubscribeFrame,
} from "../../protocol/proto.ts";
import type { MalformedRequest } from "../../protocol/wire.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { HandlerContext } from "./context.ts";
import { takeMessage } from "./intake.ts";
import { createLinkCode } from "./link.ts";
import { peerKey } from "../auth/rate_limit.ts";
import { type PublishCall, servePublish } from "./publish.ts";
import { quotedName, register, type RegisterRequest } from "./register.ts";
import { roomCalls } from "./rooms.ts";
import { type SubscribeCall, SubscribeSession } from "./subscribe.ts";

/** The handlers to give `server.addService` with the definition of `chatServiceDefinition()`. */
export function chatHandlers(ctx: HandlerContext): ChatHandlers {
  const { auth, refusals } = ctx;

  /**
   * A unary call of a verified caller: its answer, or its refusal logged and answered. The
   * request may be a {@link MalformedRequest} (see protocol/wire.ts), whatever its declared type.
   */
  function unary<Req, Res>(
    what: string,
    handle: (principal: Principal, request: Req | MalformedRequest) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      auth.authenticate(call.metadata).then(
        (principal) =>
          handle(principal, call.request).then(
            (reply) => callback(null, reply),
            (error) => callback(refusals.refuse(what, principal.label, error)),
          ),
        (error) => callback(refusals.refuse(what, auth.claimed(call.metadata), error)),
      );
    };
  }

  /** A stream of a verified caller, served by `serve`; a refused caller's stream ends at once. */
  function stream<Req, Res>(
    what: string,
    serve: (
      principal: Principal,
      call: grpc.ServerDuplexStream<Req | MalformedRequest, Res>,
    ) => void,
  ): grpc.handleBidiStreamingCall<Req, Res> {
    return (call) => {
      // Frames that arrive meanwhile wait in the stream's buffer until `serve` reads them.
      auth.authenticate(call.metadata).then(
        (principal) => {
          // Cancelled while its caller was read from the store: there is nothing to serve.
          if (!call.cancelled) serve(principal, call);
        },
        (error) => call.emit("error", refusals.refuse(what, auth.claimed(call.metadata), error)),
      );
    };
  }

  const rooms = roomCalls(ctx);
  const handlers: ChatHandlers = {
    Register: (call, callback) => {
      const request: RegisterRequest | MalformedRequest = call.request;
      register(ctx, request, peerKey(call.getPeer())).then(
        (reply: RegisterReply) => callback(null, reply),
        (error) => callback(refusals.refuse(`register ${quotedName(request)}`, undefined, error)),
      );
    },
    CreateLinkCode: unary<CreateLinkCodeRequest, CreateLinkCodeReply>(
      "link code",
      (principal) => createLinkCode(ctx, principal),
    ),
    Send: unary<SendRequest, SendReply>(
      "send",
      (principal, request) => takeMessage(ctx, principal, request),
    ),
    Publish: stream<SendRequest, PublishReply>(
      "publish",
      (principal, call: PublishCall) => servePublish(ctx, principal, call),
    ),
    // Deliveries are written as bytes already encoded (protocol/wire.ts), hence `unknown`.
    Subscribe: stream<SubscribeFrame, unknown>(
      "subscribe",
      (principal, call: SubscribeCall) => new SubscribeSession(ctx, principal, call),
    ),
    CreateRoom: unary("create room", rooms.CreateRoom),
    JoinRoom: unary("join room", rooms.JoinRoom),
    LeaveRoom: unary("leave room", rooms.LeaveRoom),
    InviteToRoom: unary("invite", rooms.InviteToRoom),
    RemoveMember: unary("remove member", rooms.RemoveMember),
    SetRole: unary("set role", rooms.SetRole),
    ListRooms: unary("list rooms", rooms.ListRooms),
    ListMembers: unary("list members", rooms.ListMembers),
    // The reply is written as bytes already encoded (protocol/body.ts), hence the cast.
    History: unary("history", rooms.History) as unknown as ChatHandlers["History"],
  };
  return handlers;
}
