/**
 * For the client's tests: an in-process gRPC server with handlers a test writes to answer
 * (or misbehave) on purpose, and a wait for a condition. Not part of the client.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { type ChatHandlers, chatProto } from "../protocol/proto.ts";

/** A unary handler that refuses as not implemented: what a test did not ask for. */
const unimplemented = (_call: unknown, cb: (error: Partial<grpc.StatusObject>) => void) =>
  cb({ code: grpc.status.UNIMPLEMENTED, details: "not in this fake" });

/**
 * Handlers of a fake server that registers everyone as one new client, opens every
 * subscription, never answers a Send or a CreateLinkCode, and refuses the room calls as
 * UNIMPLEMENTED; a test overrides what it needs.
 */
export function fakeHandlers(overrides: Partial<ChatHandlers>): ChatHandlers {
  return {
    CreateLinkCode: () => {},
    Register: (_call, cb) =>
      cb(null, { clientId: "ef".repeat(16), key: "k", resumed: false, groups: [] }),
    Send: () => {},
    Publish: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED }),
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
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
