/**
 * The Admin service: what an operator does to accounts (invite codes, releasing
 * a handle, revoking a device), each call proven by the operator secret.
 * Changes take effect at once: affected devices' cached identities are dropped
 * and their open streams end, so they reconnect as what they now are.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { ADMIN_SECRET_HEADER, type AdminHandlers } from "../../protocol/proto.ts";
import { refuseMalformed, statusError } from "../../protocol/status.ts";
import type { MalformedRequest } from "../../protocol/wire.ts";
import { checkHandle } from "../../shared/validate.ts";
import { oneTimeCode } from "../auth/accounts.ts";
import type { HandlerContext } from "../handlers/context.ts";
import type { AdminSecret } from "./secret.ts";

/** The Admin handlers, for `server.addService(adminServiceDefinition(), ...)`. */
export function adminHandlers(ctx: HandlerContext, secret: AdminSecret): AdminHandlers {
  /** A unary Admin call: the secret checked, the request decoded, refusals logged. */
  function call<Req, Res>(
    what: string,
    handle: (request: Req) => Promise<Res>,
  ): grpc.handleUnaryCall<Req | MalformedRequest, Res> {
    return (call, callback) => {
      const given = call.metadata.get(ADMIN_SECRET_HEADER)[0];
      if (typeof given !== "string" || !secret.matches(given)) {
        callback(ctx.refusals.refuse(
          `admin ${what}`,
          call.getPeer(),
          statusError(grpc.status.UNAUTHENTICATED, "this call needs the operator secret"),
        ));
        return;
      }
      Promise.resolve().then(() => {
        refuseMalformed<Req>(call.request, `${what} request`);
        return handle(call.request);
      }).then(
        (reply) => callback(null, reply),
        (error) => callback(ctx.refusals.refuse(`admin ${what}`, "the operator", error)),
      );
    };
  }

  return {
    CreateInvite: call("invite", async (request: { handle: string }) => {
      const handle = request.handle.trim().toLowerCase();
      if (handle !== "") refuseBadHandle(handle);
      const { code, stored } = oneTimeCode("invite", handle || null);
      await ctx.writer.addCode(stored);
      ctx.log(`admin: invite made${handle ? ` for ${handle}` : ""}`, {
        event: "admin",
        action: "invite",
        handle: handle || undefined,
      });
      return { code, expiresAtMs: stored.expiresAtMs };
    }),
    ReleaseHandle: call("release", async (request: { handle: string }) => {
      const handle = request.handle.trim().toLowerCase();
      refuseBadHandle(handle);
      // The store takes the account out of its rooms (and gives ownerless rooms an owner).
      const devices = await ctx.rooms.storeChange(() => ctx.writer.releaseHandle(handle));
      if (devices < 0) {
        throw statusError(grpc.status.NOT_FOUND, `there is no account ${handle}`);
      }
      ctx.auth.forgetAccount(handle);
      // They are guests now: their streams end, and they come back as what they are.
      ctx.streams.endWhere(
        (p) => p.client.account === handle,
        statusError(grpc.status.UNAVAILABLE, `the account ${handle} was released; reconnect`),
      );
      ctx.log(`admin: released ${handle} (${devices} devices are guests now)`, {
        event: "admin",
        action: "release",
        handle,
        devices,
      });
      return { devices };
    }),
    RevokeDevice: call("revoke", async (request: { clientId: string }) => {
      const id = request.clientId.trim();
      if (!(await ctx.rooms.storeChange(() => ctx.writer.revokeDevice(id)))) {
        throw statusError(
          grpc.status.NOT_FOUND,
          `there is no device ${JSON.stringify(id.slice(0, 64))}`,
        );
      }
      ctx.auth.forget(id);
      ctx.streams.endWhere(
        (p) => p.client.id === id,
        statusError(grpc.status.UNAUTHENTICATED, "this device was revoked by the operator"),
      );
      ctx.log(`admin: revoked device ${id}`, { event: "admin", action: "revoke", client_id: id });
      return {};
    }),
  } as AdminHandlers;
}

function refuseBadHandle(handle: string): void {
  const problem = checkHandle(handle);
  if (problem) throw statusError(grpc.status.INVALID_ARGUMENT, problem);
}
