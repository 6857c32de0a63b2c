/**
 * How the client reads the outcome of a gRPC call: which statuses are worth
 * retrying, the failure said briefly, and the identity metadata every call
 * after Register carries. Shared by the session, the receiver and the outbox.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { CLIENT_ID_HEADER, CLIENT_KEY_HEADER } from "../protocol/proto.ts";
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

/** Statuses after which the same call may succeed later. */
export const TRANSIENT: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
  grpc.status.UNKNOWN,
  grpc.status.INTERNAL,
  grpc.status.ABORTED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

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
