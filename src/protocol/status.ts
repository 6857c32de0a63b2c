/**
 * gRPC statuses as the chat service answers them: a code and a sentence for a person.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { MalformedRequest } from "./wire.ts";

/**
 * A gRPC error with a status code and a sentence for a person.
 *
 * @example
 * ```ts
 * callback(statusError(grpc.status.NOT_FOUND, 'there is no group "random"'));
 * ```
 */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

/**
 * Statuses after which the same call may succeed later: the server did not store what it was
 * asked to (it was away, busy, or failed), and a client sends it again.
 */
export const TRANSIENT: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
  grpc.status.UNKNOWN,
  grpc.status.INTERNAL,
  grpc.status.ABORTED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

/** Whether `error` already carries a gRPC status code. */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return !!error && typeof error === "object" && "code" in error && typeof error.code === "number";
}

/**
 * Refuses a request whose bytes did not decode as `chat.<type>`.
 *
 * @throws {grpc.ServiceError} INVALID_ARGUMENT naming the type and the decoder's reason.
 */
export function refuseMalformed<T>(
  request: T | MalformedRequest,
  type: string,
): asserts request is T {
  if (request instanceof MalformedRequest) {
    throw statusError(
      grpc.status.INVALID_ARGUMENT,
      `the request is not a valid chat.${type} (${request.reason})`,
    );
  }
}
