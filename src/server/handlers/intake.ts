/**
 * Taking in one message, as Send and Publish both do: check it, store it
 * through group commit, and answer what was stored.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { encodeBody } from "../../protocol/body.ts";
import type { SendReply, SendRequest } from "../../protocol/proto.ts";
import { refuseMalformed, statusError } from "../../protocol/status.ts";
import type { MalformedRequest } from "../../protocol/wire.ts";
import { checkClientMsgId, checkText } from "../../shared/validate.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { ClientRecord } from "../../store/types.ts";
import type { Group } from "../groups/directory.ts";
import type { HandlerContext } from "./context.ts";

/**
 * What a stream of messages asks of each: `check`, asked just before its commit (what it
 * returns refuses the message), and `failed`, told at once if its commit fails (see
 * `GroupCommitter.append`).
 */
export interface MessageOrder {
  check: () => grpc.ServiceError | undefined;
  failed: (error: unknown) => void;
}

/**
 * Checks `request` from `principal` and stores it; resolves once it is durable.
 *
 * @throws {grpc.ServiceError} INVALID_ARGUMENT for a malformed request, text or id; NOT_FOUND
 *   for an unknown group; PERMISSION_DENIED for a non-member (naming no member); what
 *   `order.check` says.
 */
export async function takeMessage(
  ctx: HandlerContext,
  principal: Principal,
  request: SendRequest | MalformedRequest,
  order?: MessageOrder,
): Promise<SendReply> {
  ctx.metrics.sendStarted();
  try {
    return await storeMessage(ctx, principal, request, order);
  } finally {
    ctx.metrics.sendEnded();
  }
}

/** PERMISSION_DENIED for `client`'s send to `group`; who the members are is not its business. */
function notMember(client: ClientRecord, group: Group): grpc.ServiceError {
  return statusError(
    grpc.status.PERMISSION_DENIED,
    `${client.name} is not a member of group ${group.name}${
      client.account ? "" : " (this device is a guest: its name proves no account)"
    }`,
  );
}

/** What {@link takeMessage} does, besides counting the send in flight. */
async function storeMessage(
  ctx: HandlerContext,
  principal: Principal,
  request: SendRequest | MalformedRequest,
  order: MessageOrder | undefined,
): Promise<SendReply> {
  const started = performance.now();
  refuseMalformed<SendRequest>(request, "SendRequest");
  const { group: groupName, text, clientMsgId } = request;
  const group = ctx.groups.require(groupName);
  const { client } = principal;
  if (!group.admits(client)) throw notMember(client, group);
  const problem = checkText(text) ?? checkClientMsgId(clientMsgId);
  if (problem) throw statusError(grpc.status.INVALID_ARGUMENT, `not sent: ${problem}`);
  const fields = {
    senderId: client.id,
    senderName: client.name,
    senderHandle: client.account ?? "",
    text,
    sentAtMs: Date.now(),
  };
  // A room may change before the commit (the sender removed, the room deleted): asked
  // again then. The operator's groups change only at a restart.
  const member = group.room
    ? () =>
      ctx.groups.get(group.name) !== group || !group.admits(client)
        ? notMember(client, group)
        : undefined
    : undefined;
  const check = order ? () => order.check() ?? member?.() : member;
  // Encoded here, once: stored as it is and spliced into every frame that carries it.
  const appended = await ctx.committer.append(
    { group: group.name, clientMsgId, ...fields, body: encodeBody(fields) },
    check,
    order?.failed,
  );
  const { seq, sentAtMs } = appended.message;
  const latencyMs = performance.now() - started;
  ctx.log(
    `send ${principal.label} -> ${group.name} #${seq}${
      appended.duplicate ? " (retry, not stored again)" : ""
    }`,
    {
      event: "send",
      client: principal.label,
      client_id: client.id,
      group: group.name,
      seq,
      duplicate: appended.duplicate,
      latency_ms: Math.round(latencyMs * 1000) / 1000,
    },
  );
  ctx.metrics.sendAnswered(latencyMs);
  return { seq, sentAtMs, duplicate: appended.duplicate };
}
