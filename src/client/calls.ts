/**
 * How the client makes a unary gRPC call and reads its outcome: one promise
 * wrapper for every unary call, which statuses are worth retrying, the
 * failure said briefly, and the identity metadata every call after Register
 * carries. Shared by the session, the receiver and the outbox.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { TRANSIENT } from "../protocol/status.ts";
import { type ChatClient, CLIENT_ID_HEADER, CLIENT_KEY_HEADER } from "../protocol/proto.ts";
import { errorOf } from "../shared/errors.ts";
import type { IdentityState } from "./identity.ts";

/** Raised when the server refused a call for good (not worth retrying). */
export class RefusedError extends Error {
  override name = "RefusedError";
  /** The gRPC status the server (or the client's own check) answered. */
  readonly code: grpc.status;

  /** A refusal with `code` and the server's `details` as its message. */
  constructor(code: grpc.status, details: string) {
    super(details);
    this.code = code;
  }
}

/** Statuses after which the same call may succeed later (shared with the server). */
export { TRANSIENT };

/** The status of a failed call; UNKNOWN for something that is not a gRPC error. */
export function statusOf(error: unknown): grpc.status {
  return (error as grpc.ServiceError)?.code ?? grpc.status.UNKNOWN;
}

/** The details of a failed call, briefly (see {@link briefDetails}). */
export function detailsOf(error: unknown): string {
  return briefDetails((error as grpc.ServiceError)?.details ?? String(error));
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENOTFOUND: "host not found",
};

/** grpc-js's connection failures, said briefly ("connection refused" rather than a paragraph). */
export function briefDetails(details: string): string {
  const cause = details.match(/\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)\b/)
    ?.[1];
  return cause ? CAUSES[cause] : details.replace(/\s*Resolution note:\s*$/, "");
}

/** The metadata that proves `state`'s identity on calls after Register. */
export function metadataOf(state: IdentityState): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(CLIENT_ID_HEADER, state.clientId);
  metadata.set(CLIENT_KEY_HEADER, state.key);
  return metadata;
}

/**
 * The request and reply types of a unary method of the Chat client, read from its last
 * overload, `(argument, callback)`; `never` for a streaming method, whose last overload has
 * no callback (so nothing is inferred for its reply).
 */
type UnaryTypes<K extends keyof ChatClient> = ChatClient[K] extends (
  argument: infer Request,
  callback: grpc.requestCallback<infer Reply>,
) => grpc.ClientUnaryCall ? unknown extends Reply ? never : { request: Request; reply: Reply }
  : never;

/** The Chat client's unary methods, by their proto names (`CreateRoom`, not `createRoom`). */
export type UnaryMethod = {
  [K in keyof ChatClient]: K extends Capitalize<K & string>
    ? UnaryTypes<K> extends never ? never : K
    : never;
}[keyof ChatClient];

/** What unary method `K` is called with. */
export type RequestOf<K extends UnaryMethod> = UnaryTypes<K>["request"];
/** What unary method `K` answers. */
export type ReplyOf<K extends UnaryMethod> = UnaryTypes<K>["reply"];

/** How one unary call is made: its metadata, its deadline, and what cancels it. */
export interface UnaryOptions {
  /** The identity ({@link metadataOf}); none for Register. */
  metadata?: grpc.Metadata;
  /** Its deadline and other grpc-js call options. */
  options: grpc.CallOptions;
  /** Cancels the call (it then fails with CANCELLED). */
  signal?: AbortSignal;
}

/**
 * Calls unary `method` of `client` with `request`, as a promise: the one place the client
 * turns grpc-js's callback into a promise, for every unary call.
 *
 * @example
 * ```ts ignore
 * const reply = await unary(client, "CreateRoom", { name: "dev" }, {
 *   metadata: metadataOf(state),
 *   options: { deadline: Date.now() + 5_000 },
 * });
 * ```
 *
 * @throws {grpc.ServiceError} (as a rejection) whatever status the call ends with, as
 * grpc-js reports it; {@link refusalOf} tells a refusal from a server away.
 */
export function unary<K extends UnaryMethod>(
  client: ChatClient,
  method: K,
  request: RequestOf<K>,
  { metadata = new grpc.Metadata(), options, signal }: UnaryOptions,
): Promise<ReplyOf<K>> {
  // Every overload of a unary method takes these four; TypeScript cannot see that through K.
  const start = client[method] as unknown as (
    argument: RequestOf<K>,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<ReplyOf<K>>,
  ) => grpc.ClientUnaryCall;
  return new Promise((resolve, reject) => {
    // Removed when the call ends: a session that retries through a long outage must not pile
    // listeners up on its one signal.
    const cancel = () => call.cancel();
    const call = start.call(client, request, metadata, options, (error, reply) => {
      signal?.removeEventListener("abort", cancel);
      if (error) reject(error);
      else resolve(reply!);
    });
    if (signal?.aborted) call.cancel();
    else signal?.addEventListener("abort", cancel, { once: true });
  });
}

/**
 * What a failed call's caller is given: the gRPC error itself when the status is worth
 * retrying ({@link TRANSIENT}: the server is away or busy), else a {@link RefusedError} with
 * the status and the server's details.
 */
export function refusalOf(error: unknown): Error {
  const code = statusOf(error);
  if (TRANSIENT.has(code)) return errorOf(error);
  return new RefusedError(code, detailsOf(error));
}
