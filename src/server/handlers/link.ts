/**
 * CreateLinkCode: a device of an account gets a one-time code with which
 * another device joins the same account (Register's `link_code`).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../../protocol/status.ts";
import { oneTimeCode } from "../auth/accounts.ts";
import { rateLimitedError } from "../auth/rate_limit.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { HandlerContext } from "./context.ts";

/**
 * A new link code for the caller's account; only its hash is stored.
 *
 * @throws {grpc.ServiceError} PERMISSION_DENIED for a guest, which has no account to link.
 */
export async function createLinkCode(
  ctx: HandlerContext,
  principal: Principal,
): Promise<{ code: string; expiresAtMs: number }> {
  const handle = principal.client.account;
  if (handle === null) {
    throw statusError(
      grpc.status.PERMISSION_DENIED,
      "this device is a guest: it has no account to link another device to",
    );
  }
  const decision = ctx.limits.linkCodes.take(handle);
  if (!decision.ok) throw rateLimitedError("link codes", decision.retryAfterMs, "for this account");
  const { code, stored } = oneTimeCode("link", handle, principal.client.id);
  await ctx.writer.addCode(stored);
  ctx.log(`link code for ${handle} made by ${principal.label}`, {
    event: "link-code",
    client: principal.label,
    client_id: principal.client.id,
    handle,
  });
  return { code, expiresAtMs: stored.expiresAtMs };
}
