/**
 * The Chat service's handlers, typed from chat.proto. Calls after Register go
 * through one gate: the caller is authenticated once, and a refused call is
 * logged and answered the same way whatever the method.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { ChatHandlers, SendRequest } from "../../protocol/proto.ts";
import type { MalformedRequest } from "../../protocol/wire.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { HandlerContext } from "./context.ts";
import { takeMessage } from "./intake.ts";
import { type PublishCall, servePublish } from "./publish.ts";
import { quotedName, register, type RegisterRequest } from "./register.ts";
import { type SubscribeCall, SubscribeSession } from "./subscribe.ts";

/** The handlers to give `server.addService` with the definition of `chatServiceDefinition()`. */
export function chatHandlers(ctx: HandlerContext): ChatHandlers {
  const { auth, refusals } = ctx;

  /** A unary call of a verified caller: its answer, or its refusal logged and answered. */
  function unary<Req, Res>(
    what: string,
    handle: (principal: Principal, request: Req) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let principal: Principal;
      try {
        principal = auth.authenticate(call.metadata);
      } catch (error) {
        callback(refusals.refuse(what, auth.claimed(call.metadata), error));
        return;
      }
      handle(principal, call.request).then(
        (reply) => callback(null, reply),
        (error) => callback(refusals.refuse(what, principal.label, error)),
      );
    };
  }

  /** A stream of a verified caller, served by `serve`; a refused caller's stream ends at once. */
  function stream<Call extends grpc.ServerDuplexStream<unknown, unknown>>(
    what: string,
    serve: (principal: Principal, call: Call) => void,
  ): (call: Call) => void {
    return (call) => {
      let principal: Principal;
      try {
        principal = auth.authenticate(call.metadata);
      } catch (error) {
        call.emit("error", refusals.refuse(what, auth.claimed(call.metadata), error));
        return;
      }
      serve(principal, call);
    };
  }

  return {
    Register: (call, callback) => {
      const request = call.request as RegisterRequest | MalformedRequest;
      register(ctx, request).then(
        (reply) => callback(null, reply),
        (error) => callback(refusals.refuse(`register ${quotedName(request)}`, undefined, error)),
      );
    },
    Send: unary<SendRequest | MalformedRequest, unknown>(
      "send",
      (principal, request) => takeMessage(ctx, principal, request),
    ),
    Publish: stream<PublishCall>(
      "publish",
      (principal, call) => servePublish(ctx, principal, call),
    ),
    Subscribe: stream<SubscribeCall>(
      "subscribe",
      (principal, call) => new SubscribeSession(ctx, principal, call),
    ),
  } as ChatHandlers;
}
