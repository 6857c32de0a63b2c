/**
 * Register: a new client gets an id and a secret key; a known one resumes with
 * them. Either way the reply says which groups it may read and what is unread.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { type GroupInfo, type RegisterReply, Role } from "../../protocol/proto.ts";
import { refuseMalformed, statusError } from "../../protocol/status.ts";
import { MalformedRequest } from "../../protocol/wire.ts";
import { checkName } from "../../shared/validate.ts";
import { type ClientRecord, memberKey, ProofRefusedError } from "../../store/types.ts";
import { ROLE_NUMBER } from "../groups/rooms.ts";
import { MAX_GUESTS } from "../../shared/limits.ts";
import { planProof, takenReason, verifyToken } from "../auth/accounts.ts";
import { type RateDecision, rateLimitedError } from "../auth/rate_limit.ts";
import { hashKey, type Principal } from "../auth/authenticator.ts";
import type { Group } from "../groups/directory.ts";
import type { HandlerContext } from "./context.ts";

/** A RegisterRequest as decoded (proto3 defaults filled in). */
export interface RegisterRequest {
  name: string;
  clientId: string;
  key: string;
  invite: string;
  token: string;
  linkCode: string;
}

/**
 * Registers or resumes the caller.
 *
 * @throws {grpc.ServiceError} INVALID_ARGUMENT for a bad name, half an identity or another
 *   name than the one registered; NOT_FOUND for an unknown id; UNAUTHENTICATED for a wrong key.
 */
export async function register(
  ctx: HandlerContext,
  request: RegisterRequest | MalformedRequest,
  peer: string,
): Promise<RegisterReply> {
  refuseMalformed<RegisterRequest>(request, "RegisterRequest");
  // Who keeps failing proofs is slowed down before trying again: a wrong key counts against
  // that address and client id only, so one machine behind a shared address (NAT) guessing
  // keys cannot keep the others there from resuming; bad codes and tokens count per address.
  const failures = `${peer}|${request.clientId.slice(0, 64)}`;
  limit(ctx.limits.failedProofs.check(failures), "failed proofs");
  try {
    return await registerChecked(ctx, request, peer);
  } catch (error) {
    if (failedProof(error)) ctx.limits.failedProofs.take(failures);
    throw error;
  }
}

/** A wrong key, a code that does not hold or a token refused: what guessing looks like. */
function failedProof(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED;
}

/** Refuses with RESOURCE_EXHAUSTED (and the wait) when `decision` says no. */
function limit(decision: RateDecision, what: string): void {
  if (!decision.ok) throw rateLimitedError(what, decision.retryAfterMs);
}

/** Who registered, with the key to answer (a new one, or the one given) and why it is a guest. */
interface Registered {
  principal: Principal;
  key: string;
  guestReason: string;
}

async function registerChecked(
  ctx: HandlerContext,
  request: RegisterRequest,
  peer: string,
): Promise<RegisterReply> {
  const problem = checkName(request.name);
  if (problem) throw statusError(grpc.status.INVALID_ARGUMENT, `cannot register: ${problem}`);
  const resumed = request.clientId !== "" || request.key !== "";
  const { principal, key, guestReason } = resumed
    ? await resume(ctx, request)
    : await registerNew(ctx, request, peer);
  // The operator's groups (members or not: a non-member is told it is not one), then the
  // caller's rooms.
  const listed = [
    ...ctx.groups.operatorGroups(),
    ...ctx.groups.readable(principal.client).filter((g) => g.room),
  ];
  // Where each group ends in the store, not in this node's memory, which may be behind other
  // nodes' commits: a client moving here must not take this node for a database restored.
  const ends = await ctx.fanout.latest(listed.map((g) => g.feed));
  const groups = await Promise.all(
    listed.map((g, i) => groupInfo(ctx, principal.client, g, resumed, ends[i])),
  );
  const unread = groups.map((g) => `${g.unread} unread in ${g.name}`).join(", ");
  ctx.log(`register ${principal.label} (${resumed ? "resumed" : "new"}; ${unread})`, {
    event: "register",
    client: principal.label,
    client_id: principal.client.id,
    handle: principal.client.account,
    resumed,
    unread: groups.reduce((n, g) => n + g.unread, 0),
  });
  return {
    clientId: principal.client.id,
    key,
    groups,
    resumed,
    serverId: ctx.reader.serverId(),
    handle: principal.client.account ?? "",
    guestReason,
    name: principal.client.name,
  };
}

/** A known device checks in with its id and key (and, for a token account, a valid token). */
async function resume(ctx: HandlerContext, request: RegisterRequest): Promise<Registered> {
  if (request.clientId === "" || request.key === "") {
    throw statusError(
      grpc.status.INVALID_ARGUMENT,
      "give both client_id and key to resume, or neither to register anew",
    );
  }
  const principal = await ctx.auth.verify(
    request.clientId,
    request.key,
    () =>
      statusError(
        grpc.status.NOT_FOUND,
        `client id ${
          JSON.stringify(request.clientId.slice(0, 64))
        } is not registered on this server; register again without an id`,
      ),
  );
  const { account, name } = principal.client;
  if (account !== null && ctx.accounts.mode === "token") {
    await renewGrant(ctx, principal, request.token);
  } else if (name !== request.name) {
    // In token mode an account's display name is the identity provider's, whatever -name says.
    throw statusError(
      grpc.status.INVALID_ARGUMENT,
      `client ${request.clientId} is registered as ${JSON.stringify(name)}, not ${
        JSON.stringify(request.name.slice(0, 80))
      }`,
    );
  }
  return {
    principal,
    key: request.key,
    guestReason: account ? "" : "this device proves no account",
  };
}

/** A new device: its proof planned, bounded, and applied by the writer with the device. */
async function registerNew(
  ctx: HandlerContext,
  request: RegisterRequest,
  peer: string,
): Promise<Registered> {
  const plan = await planProof(ctx.accounts.mode, request, ctx.accounts.tokens);
  const claiming = plan.proof.kind === "first-use" || plan.proof.kind === "invite";
  // Checked before a registration is counted: a refused claim must not use one up.
  if (claiming) limit(ctx.limits.claims.check(peer), "claims");
  limit(ctx.limits.registrations.take(peer), "registrations");
  // Counted in the database (an index range), so releases and revokes are counted too.
  if (plan.proof.kind === "guest" && await ctx.reader.guestCount() >= MAX_GUESTS) {
    throw statusError(
      grpc.status.RESOURCE_EXHAUSTED,
      `this server has ${MAX_GUESTS} guests, the most it keeps; register with an account`,
    );
  }
  const key = randomBytes(32).toString("base64url");
  let client: ClientRecord;
  try {
    // Durable before the client hears its id: the server must never forget one it handed out.
    client = await ctx.writer.addClient({
      id: randomBytes(16).toString("hex"),
      name: plan.name,
      keyHash: hashKey(key),
      proof: plan.proof,
    });
  } catch (error) {
    if (error instanceof ProofRefusedError) {
      throw statusError(grpc.status.PERMISSION_DENIED, error.message);
    }
    throw error;
  }
  const principal = ctx.auth.remember(client);
  if (plan.expiresAtMs !== undefined) ctx.auth.grant(client.id, plan.expiresAtMs);
  if (client.account === null) {
    const reason = plan.guestReason ??
      (plan.proof.kind === "first-use" ? takenReason(plan.proof.handle) : "");
    return { principal, key, guestReason: reason };
  }
  if (claiming) ctx.limits.claims.take(peer);
  if (plan.proof.kind !== "token") {
    const event = plan.proof.kind === "link" ? "link" : "claim";
    ctx.log(`${event} ${client.account} by ${principal.label}`, {
      event,
      client: principal.label,
      client_id: client.id,
      handle: client.account,
    });
  }
  return { principal, key, guestReason: "" };
}

/**
 * In token mode a device acts as its account only while a token vouches for it: each
 * Register of such a device must bring a valid token for that account.
 *
 * @throws {grpc.ServiceError} UNAUTHENTICATED for a missing or refused token, or one for
 *   another account.
 */
async function renewGrant(ctx: HandlerContext, principal: Principal, token: string) {
  const account = principal.client.account;
  if (!token || !ctx.accounts.tokens) {
    throw statusError(
      grpc.status.UNAUTHENTICATED,
      `this device is ${account}'s, which needs a token from the identity provider (-token)`,
    );
  }
  const verified = await verifyToken(ctx.accounts.tokens, token);
  if (verified.handle !== account) {
    throw statusError(grpc.status.UNAUTHENTICATED, `the token is not for ${account}`);
  }
  ctx.auth.grant(principal.client.id, verified.expiresAtMs ?? 0);
}

async function groupInfo(
  ctx: HandlerContext,
  client: ClientRecord,
  group: Group,
  resumed: boolean,
  lastSeq: number,
): Promise<GroupInfo> {
  const member = group.admits(client);
  const cursor = Math.max(
    await ctx.committer.cursorOf(client.id, group.name),
    group.floorOf(client),
  );
  // Sequences are gap-free, so a new client (which has sent nothing) has lastSeq - cursor
  // unread; only a resumed one needs its own messages counted out, over what it missed.
  const unread = !member
    ? 0
    : resumed
    ? await ctx.reader.countUnread(group.name, cursor, client.id)
    : lastSeq - cursor;
  const role = group.room?.roleOf(memberKey(client));
  return {
    name: group.name,
    member,
    lastSeq,
    cursor,
    unread,
    role: role ? ROLE_NUMBER[role] : Role.ROLE_UNSPECIFIED,
  };
}

/** The requested name for a log line: quoted and escaped, so a bad name cannot forge log lines. */
export function quotedName(request: { name?: string } | MalformedRequest): string {
  if (request instanceof MalformedRequest) return "(malformed request)";
  return JSON.stringify(String(request.name ?? "").slice(0, 80));
}
