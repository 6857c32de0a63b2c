/**
 * Register: a new client gets an id and a secret key; a known one resumes with
 * them. Either way the reply says which groups it may read and what is unread.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import type { GroupInfo, RegisterReply } from "../../protocol/proto.ts";
import { refuseMalformed, statusError } from "../../protocol/status.ts";
import { MalformedRequest } from "../../protocol/wire.ts";
import { checkName } from "../../shared/validate.ts";
import type { ClientRecord } from "../../store/types.ts";
import { hashKey, type Principal } from "../auth/authenticator.ts";
import type { Group } from "../groups/directory.ts";
import type { HandlerContext } from "./context.ts";

/** A RegisterRequest as decoded (proto3 defaults filled in). */
export interface RegisterRequest {
  name: string;
  clientId: string;
  key: string;
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
): Promise<RegisterReply> {
  refuseMalformed<RegisterRequest>(request, "RegisterRequest");
  const problem = checkName(request.name);
  if (problem) throw statusError(grpc.status.INVALID_ARGUMENT, `cannot register: ${problem}`);
  let principal: Principal;
  let key = request.key;
  const resumed = request.clientId !== "" || request.key !== "";
  if (resumed) {
    if (request.clientId === "" || request.key === "") {
      throw statusError(
        grpc.status.INVALID_ARGUMENT,
        "give both client_id and key to resume, or neither to register anew",
      );
    }
    principal = ctx.auth.verify(
      request.clientId,
      request.key,
      () =>
        statusError(
          grpc.status.NOT_FOUND,
          `client id ${request.clientId} is not registered on this server; register again without an id`,
        ),
    );
    if (principal.client.name !== request.name) {
      throw statusError(
        grpc.status.INVALID_ARGUMENT,
        `client ${request.clientId} is registered as "${principal.client.name}", not "${request.name}"`,
      );
    }
  } else {
    key = randomBytes(32).toString("base64url");
    const client = {
      id: randomBytes(16).toString("hex"),
      name: request.name,
      keyHash: hashKey(key),
    };
    // Durable before the client hears its id: the server must never forget one it handed out.
    await ctx.writer.addClient(client);
    principal = ctx.auth.remember(client);
  }
  const groups = [...ctx.groups.all()].map((g) => groupInfo(ctx, principal.client, g, resumed));
  const unread = groups.map((g) => `${g.unread} unread in ${g.name}`).join(", ");
  ctx.log(`register ${principal.label} (${resumed ? "resumed" : "new"}; ${unread})`);
  return {
    clientId: principal.client.id,
    key,
    groups,
    resumed,
    serverId: ctx.reader.serverId(),
  };
}

function groupInfo(
  ctx: HandlerContext,
  client: ClientRecord,
  group: Group,
  resumed: boolean,
): GroupInfo {
  const member = group.policy.admits(client.name);
  const { lastSeq } = group.feed;
  const cursor = ctx.committer.cursorOf(client.id, group.name);
  // Sequences are gap-free, so a new client (which has sent nothing) has lastSeq - cursor
  // unread; only a resumed one needs its own messages counted out, over what it missed.
  const unread = !member
    ? 0
    : resumed
    ? ctx.reader.countUnread(group.name, cursor, client.id)
    : lastSeq - cursor;
  return { name: group.name, member, lastSeq, cursor, unread };
}

/** The requested name for a log line: quoted and escaped, so a bad name cannot forge log lines. */
export function quotedName(request: { name?: string } | MalformedRequest): string {
  if (request instanceof MalformedRequest) return "(malformed request)";
  return JSON.stringify(String(request.name ?? "").slice(0, 80));
}
