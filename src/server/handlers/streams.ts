/**
 * The open Subscribe and Publish streams, each with what ends it with a
 * status: shutdown ends them all, so clients reconnect.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { Principal } from "../auth/authenticator.ts";

/** A stream's way to end itself with a status. */
export type EndStream = (status: grpc.ServiceError) => void;

/** The registry of open streams; see the module doc. */
export class OpenStreams {
  #streams = new Map<object, { end: EndStream; principal: Principal }>();

  /** How many are open. */
  get size(): number {
    return this.#streams.size;
  }

  /** Registers `stream` of `principal` until {@link delete}. */
  add(stream: object, principal: Principal, end: EndStream): void {
    this.#streams.set(stream, { end, principal });
  }

  /** Forgets `stream` (it ended). */
  delete(stream: object): void {
    this.#streams.delete(stream);
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
