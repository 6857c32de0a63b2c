/**
 * The open Subscribe and Publish streams, each with what ends it with a
 * status: shutdown ends them all so clients reconnect, the operator's account
 * changes end a device's streams, and a stream whose caller's token expires
 * ends then.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../../protocol/status.ts";
import type { Principal } from "../auth/authenticator.ts";
import type { Log } from "../log.ts";

/** A stream's way to end itself with a status. */
export type EndStream = (status: grpc.ServiceError) => void;

/** The longest a timer may be set for; a longer token is checked again when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The status a stream ends with when its caller's token expires. */
function tokenExpired(): grpc.ServiceError {
  return statusError(
    grpc.status.UNAUTHENTICATED,
    "the token of this device has expired; register again with a valid token",
  );
}

/** Which call a stream is, for the metrics' count by kind. */
export type StreamKind = "subscribe" | "publish";

interface OpenStream {
  end: EndStream;
  principal: Principal;
  kind: StreamKind;
  expiry?: ReturnType<typeof setTimeout>;
}

/** The registry of open streams; see the module doc. */
export class OpenStreams {
  #streams = new Map<object, OpenStream>();
  /** Counted as they come and go, so that a scrape does not walk every stream. */
  #open: Record<StreamKind, number> = { subscribe: 0, publish: 0 };
  #expiryOf: (principal: Principal) => number | undefined;
  #log: Log;

  /**
   * @param expiryOf until when a caller may act as its account (token mode), or undefined.
   * @param log where a stream ended by an expired token is told.
   */
  constructor(
    expiryOf: (principal: Principal) => number | undefined,
    log: Log,
  ) {
    this.#expiryOf = expiryOf;
    this.#log = log;
  }

  /** How many are open. */
  get size(): number {
    return this.#streams.size;
  }

  /** How many of `kind` are open. */
  sizeOf(kind: StreamKind): number {
    return this.#open[kind];
  }

  /**
   * Registers `stream` (a `kind` call) of `principal` until {@link delete}; ends it when its
   * grant expires.
   */
  add(stream: object, principal: Principal, end: EndStream, kind: StreamKind): void {
    const entry: OpenStream = { end, principal, kind };
    const until = this.#expiryOf(principal);
    if (until !== undefined) {
      entry.expiry = setTimeout(() => {
        this.#log(`token expired: ending a stream of ${principal.label}`, {
          event: "token-expired",
          client: principal.label,
          client_id: principal.client.id,
        });
        end(tokenExpired());
      }, Math.min(Math.max(0, until - Date.now()), MAX_TIMER_MS));
    }
    if (!this.#streams.has(stream)) this.#open[kind]++;
    this.#streams.set(stream, entry);
  }

  /** Forgets `stream` (it ended). */
  delete(stream: object): void {
    const entry = this.#streams.get(stream);
    if (!entry) return;
    clearTimeout(entry.expiry);
    this.#open[entry.kind]--;
    this.#streams.delete(stream);
  }

  /** The callers of the open streams, each device once. */
  callers(): Principal[] {
    const byId = new Map<string, Principal>();
    for (const { principal } of this.#streams.values()) byId.set(principal.client.id, principal);
    return [...byId.values()];
  }

  /** Ends every open stream with `status`. */
  endAll(status: grpc.ServiceError): void {
    this.endWhere(() => true, status);
  }

  /** Ends with `status` every open stream whose caller `matches`. */
  endWhere(matches: (principal: Principal) => boolean, status: grpc.ServiceError): void {
    for (const { end, principal } of [...this.#streams.values()]) {
      if (matches(principal)) end(status);
    }
  }
}
