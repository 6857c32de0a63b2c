/**
 * A Publish stream: each request is stored as Send would store it, as soon as
 * it arrives, so the messages of many streams share commits; the replies go
 * back in request order, a refused message answered with its status while the
 * stream goes on.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { PublishReply, SendRequest } from "../../protocol/proto.ts";
import { MalformedRequest } from "../../protocol/wire.ts";
import { MAX_PUBLISH_IN_FLIGHT } from "../../shared/limits.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { HandlerContext } from "./context.ts";
import { takeMessage } from "./intake.ts";

/** The server side of one Publish call. */
export type PublishCall = grpc.ServerDuplexStream<SendRequest | MalformedRequest, PublishReply>;

/** Serves one Publish stream of `principal` until it ends; see the module doc. */
export function servePublish(ctx: HandlerContext, principal: Principal, call: PublishCall): void {
  let ended = false;
  let closing = false;
  let inFlight = 0;
  let replies: Promise<void> = Promise.resolve();
  const stop = () => {
    ended = true;
    ctx.streams.delete(call);
  };
  const fail = (error: grpc.ServiceError) => {
    if (ended) return;
    stop();
    call.emit("error", error);
  };
  ctx.streams.add(call, principal, (status) => {
    closing = true;
    call.pause();
    // After this turn: a message being taken in right now is answered too.
    queueMicrotask(() => replies.then(() => fail(status)));
  }, "publish");
  call.on("data", (request: SendRequest | MalformedRequest) => {
    if (ended || closing) return;
    const clientMsgId = request instanceof MalformedRequest ? "" : request.clientMsgId;
    const reply = takeMessage(ctx, principal, request).then(
      (sent): PublishReply => ({ clientMsgId, ...sent, code: grpc.status.OK, details: "" }),
      (error): PublishReply => {
        const { code, details } = ctx.refusals.refuse("publish", principal.label, error);
        return { clientMsgId, seq: 0, sentAtMs: 0, duplicate: false, code, details };
      },
    );
    // A message counts until its reply has left: a sender that does not read its replies
    // holds at most this many messages and replies here.
    if (++inFlight === MAX_PUBLISH_IN_FLIGHT) call.pause();
    const answered = () => {
      if (--inFlight === MAX_PUBLISH_IN_FLIGHT - 1) call.resume();
    };
    replies = replies.then(() => reply).then((answer) => {
      if (ended) answered();
      else call.write(answer, answered);
    }).catch((error) => {
      answered();
      fail(ctx.refusals.refuse("publish", principal.label, error));
    });
  });
  call.on("end", () => {
    replies.then(() => {
      if (ended) return;
      stop();
      call.end();
    });
  });
  call.on("cancelled", stop);
  call.on("error", stop);
}
