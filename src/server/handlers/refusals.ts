/**
 * What the server answers for an error, and the one way a refusal is logged.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { isServiceError, statusError } from "../../protocol/status.ts";
import { messageOf } from "../../shared/errors.ts";
import { StoreConflictError, StoreUnavailableError, WriterFailedError } from "../../store/types.ts";
import { CommitterClosedError } from "../commit/group_commit.ts";
import { AckError } from "../delivery/subscription.ts";
import { type Log, oneLine } from "../log.ts";

/** The gRPC status for `error`: its own if it has one, else the closest code and a sentence. */
export function toStatus(error: unknown): grpc.ServiceError {
  if (isServiceError(error)) return error;
  if (error instanceof AckError) return statusError(grpc.status.INVALID_ARGUMENT, error.message);
  if (error instanceof CommitterClosedError) {
    return statusError(grpc.status.UNAVAILABLE, "the server is shutting down; retry shortly");
  }
  if (error instanceof StoreUnavailableError) {
    return statusError(
      grpc.status.UNAVAILABLE,
      "the server cannot reach its database now; retry shortly",
    );
  }
  if (error instanceof StoreConflictError) {
    return statusError(
      grpc.status.ABORTED,
      `another server changed this meanwhile; try again (${error.message})`,
    );
  }
  if (error instanceof WriterFailedError) {
    return statusError(
      grpc.status.UNAVAILABLE,
      "the server cannot store messages now; retry shortly",
    );
  }
  return statusError(grpc.status.INTERNAL, `the server could not store this: ${messageOf(error)}`);
}

/** Logs refused calls, each as `refused <what> [from <who>]: <CODE>: <details>`. */
export class Refusals {
  #log: Log;
  /** Refusals so far, by status code name (for metrics). */
  readonly byCode: Map<string, number> = new Map();

  constructor(log: Log) {
    this.#log = log;
  }

  /**
   * Logs the refusal of `what` (e.g. `send`) from `who` (if known) and returns the status to
   * answer. The details may hold the caller's text (an id it sent): control characters are
   * escaped, so no refusal can forge a log line.
   */
  refuse(what: string, who: string | undefined, error: unknown): grpc.ServiceError {
    const status = toStatus(error);
    const code = grpc.status[status.code];
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    // At most LOGGED_PER_SECOND refusal lines a second, then one line saying how many were not
    // logged: a caller looping on bad calls cannot fill the log's disk.
    const now = Date.now();
    if (now - this.#windowStart >= 1_000) {
      this.#windowStart = now;
      this.#loggedInWindow = 0;
    }
    if (++this.#loggedInWindow > LOGGED_PER_SECOND) {
      this.#quiet++;
      return status;
    }
    const quietCount = this.#quiet;
    const quiet = quietCount ? ` (and ${quietCount} more refusals not logged)` : "";
    this.#quiet = 0;
    const line = `refused ${what}${who ? ` from ${who}` : ""}: ${code}: ${status.details}${quiet}`;
    this.#log(oneLine(line), {
      event: "refusal",
      call: what,
      client: who,
      status: code,
      details: status.details,
      not_logged_before: quietCount || undefined,
    });
    return status;
  }

  #windowStart = 0;
  #loggedInWindow = 0;
  #quiet = 0;
}

/** Refusal lines logged a second at most; see {@link Refusals.refuse}. */
export const LOGGED_PER_SECOND = 20;
