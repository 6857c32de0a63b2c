/**
 * A Publish stream: each request is stored as Send would store it, as soon as
 * it arrives, so the messages of many streams share commits; the replies go
 * back in request order, a refused message answered with its status while the
 * stream goes on. Replies ready at once share one message for a sender that
 * reads `PublishReply.more`.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { setImmediate } from "node:timers";
import type { PublishReply } from "../../protocol/gen/chat/PublishReply.ts";
import {
  ACCEPT_MORE_HEADER,
  PUBLISH_ORDER_HEADER,
  PUBLISH_ORDERED,
  type SendRequest,
} from "../../protocol/proto.ts";
import { statusError, TRANSIENT } from "../../protocol/status.ts";
import {
  encodePublishReply,
  MalformedRequest,
  MORE_FIELD,
  type PublishAnswer,
} from "../../protocol/wire.ts";
import { FrameWriter } from "../delivery/writer.ts";
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
    writer.close();
    ctx.streams.delete(call);
  };
  const fail = (error: grpc.ServiceError) => {
    if (ended) return;
    stop();
    call.emit("error", error);
  };
  // Tells the sender at once that this server refuses what follows a message it failed to
  // store (below), so that it may keep many messages in flight without risking their order.
  const headers = new grpc.Metadata();
  headers.set(PUBLISH_ORDER_HEADER, PUBLISH_ORDERED);
  call.sendMetadata(headers);
  // A sender with many messages in flight would otherwise cost a write per reply.
  const writer = new FrameWriter(
    (bytes, done) => call.write(bytes as unknown as PublishReply, done),
    call.metadata.get(ACCEPT_MORE_HEADER)[0] === "1" ? MORE_FIELD.publishReply : undefined,
    { schedule: setImmediate },
  );
  ctx.streams.add(call, principal, (status) => {
    closing = true;
    call.pause();
    // After this turn: a message being taken in right now is answered too.
    queueMicrotask(() =>
      replies.then(() => {
        if (!ended) writer.flushNow();
        fail(status);
      })
    );
  }, "publish");
  // Once a message is not stored for the server's own failure (its commit failed, the
  // server is going away), the sender will send it again, and those after it: none of those
  // may be stored before it, so every later message of the stream is refused ABORTED. The
  // commit tells its failure before the next commit's checks run (GroupCommitter.append).
  let broken: grpc.ServiceError | undefined;
  const breaks = (id: string) => {
    broken ??= statusError(
      grpc.status.ABORTED,
      `not stored: message "${id.slice(0, 80)}" before it on this stream was not stored; ` +
        "send them again, in order",
    );
  };
  const unlessBroken = () => broken;
  call.on("data", (request: SendRequest | MalformedRequest) => {
    if (ended || closing) return;
    const clientMsgId = request instanceof MalformedRequest ? "" : request.clientMsgId;
    const order = { check: unlessBroken, failed: () => breaks(clientMsgId) };
    const reply = (broken ? Promise.reject(broken) : takeMessage(ctx, principal, request, order))
      .then(
        (sent): PublishAnswer => ({ clientMsgId, ...sent, code: grpc.status.OK, details: "" }),
        (error): PublishAnswer => {
          const { code, details } = ctx.refusals.refuse("publish", principal.label, error);
          if (TRANSIENT.has(code)) breaks(clientMsgId);
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
      else writer.write(encodePublishReply(answer), answered);
    }).catch((error) => {
      answered();
      fail(ctx.refusals.refuse("publish", principal.label, error));
    });
  });
  call.on("end", () => {
    replies.then(() => {
      if (ended) return;
      // The last replies may wait in the writer for the next turn: they go before the end.
      writer.flushNow();
      stop();
      call.end();
    });
  });
  call.on("cancelled", stop);
  call.on("error", stop);
}
