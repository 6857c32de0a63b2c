/**
 * For the client's tests: an in-process gRPC server with handlers a test writes to answer
 * (or misbehave) on purpose, and a wait for a condition. Not part of the client.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type ChatHandlers,
  chatProto,
  PUBLISH_ORDER_HEADER,
  PUBLISH_ORDERED,
  type SendRequest,
} from "../protocol/proto.ts";

/** A unary handler that refuses as not implemented: what a test did not ask for. */
const unimplemented = (_call: unknown, cb: (error: Partial<grpc.StatusObject>) => void) =>
  cb({ code: grpc.status.UNIMPLEMENTED, details: "not in this fake" });

/** A Publish handler of a server that does not know Publish (an older one). */
export const unimplementedPublish: ChatHandlers["Publish"] = (call) =>
  call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "not in this fake" });

/**
 * A Publish handler that answers each message of the stream as `send` answers it, in the
 * order sent (as a real server does, whatever order `send` answers in), and ends the stream
 * once the client has half-closed it and everything is answered: a fake written for Send
 * serves a client that publishes.
 */
export function publishVia(send: ChatHandlers["Send"]): ChatHandlers["Publish"] {
  return (call) => {
    // As a real server does: it may be sent many messages ahead (the fake keeps no failure
    // rule of its own; the tests that need one answer so themselves).
    const headers = new grpc.Metadata();
    headers.set(PUBLISH_ORDER_HEADER, PUBLISH_ORDERED);
    call.sendMetadata(headers);
    let answered: Promise<void> = Promise.resolve();
    let cancelled = false;
    call.on("cancelled", () => cancelled = true);
    call.on("data", (request: SendRequest) => {
      const { clientMsgId } = request;
      // What a unary handler reads of its call; the tests' Send handlers read no more.
      const unaryCall = { request, metadata: call.metadata, getPeer: () => call.getPeer() };
      const answer = new Promise<PublishReplyOf>((resolve) =>
        send(
          unaryCall as unknown as grpc.ServerUnaryCall<SendRequest, never>,
          (error, reply) =>
            resolve(
              error
                ? {
                  clientMsgId,
                  seq: 0,
                  sentAtMs: 0,
                  duplicate: false,
                  code: error.code ?? grpc.status.UNKNOWN,
                  details: error.details ?? "",
                }
                : {
                  clientMsgId,
                  seq: Number(reply?.seq ?? 0),
                  sentAtMs: Number(reply?.sentAtMs ?? 0),
                  duplicate: reply?.duplicate ?? false,
                  code: grpc.status.OK,
                  details: "",
                },
            ),
        )
      );
      answered = answered.then(() => answer).then((reply) => {
        if (!cancelled) call.write(reply);
      });
    });
    call.on("end", () =>
      answered.then(() => {
        if (!cancelled) call.end();
      }));
  };
}

/** A PublishReply as a handler writes it. */
type PublishReplyOf = Parameters<Parameters<ChatHandlers["Publish"]>[0]["write"]>[0];

/**
 * Handlers of a fake server that registers everyone as one new client, opens every
 * subscription, never answers a Send or a CreateLinkCode, answers a Publish stream's
 * messages as its Send does ({@link publishVia}), and refuses the room calls as
 * UNIMPLEMENTED; a test overrides what it needs.
 */
export function fakeHandlers(overrides: Partial<ChatHandlers>): ChatHandlers {
  const Send: ChatHandlers["Send"] = overrides.Send ?? (() => {});
  return {
    CreateLinkCode: () => {},
    Register: (_call, cb) =>
      cb(null, { clientId: "ef".repeat(16), key: "k", resumed: false, groups: [] }),
    Send,
    Publish: publishVia(Send),
    Subscribe: (call) => {
      call.once("data", () => call.sendMetadata(new grpc.Metadata()));
      call.on("end", () => call.end());
    },
    CreateRoom: unimplemented,
    JoinRoom: unimplemented,
    LeaveRoom: unimplemented,
    InviteToRoom: unimplemented,
    RemoveMember: unimplemented,
    SetRole: unimplemented,
    History: unimplemented,
    ListRooms: unimplemented,
    ListMembers: unimplemented,
    ...overrides,
  };
}

/**
 * A gRPC server on 127.0.0.1 (a free port) with `handlers`; the test stops it with
 * `fake.forceShutdown()`.
 * @throws {Error} (as a rejection) if it cannot bind.
 */
export async function startFake(
  handlers: ChatHandlers,
): Promise<{ fake: grpc.Server; port: number }> {
  const fake = new grpc.Server();
  fake.addService(chatProto.chat.Chat.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    fake.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => e ? reject(e) : resolve(p),
    )
  );
  return { fake, port };
}

/**
 * Resolves once `predicate` holds, checking every 5 ms.
 * @throws {Error} (as a rejection) naming `what` if it does not hold within `timeoutMs`.
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!await predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
