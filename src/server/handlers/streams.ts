/**
 * The open Subscribe and Publish streams, each with what ends it with a
 * status: shutdown ends them all, so clients reconnect.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";

/** A stream's way to end itself with a status. */
export type EndStream = (status: grpc.ServiceError) => void;

/** The registry of open streams; see the module doc. */
export class OpenStreams {
  #streams = new Map<object, EndStream>();

  /** How many are open. */
  get size(): number {
    return this.#streams.size;
  }

  /** Registers `stream` until {@link delete}. */
  add(stream: object, end: EndStream): void {
    this.#streams.set(stream, end);
  }

  /** Forgets `stream` (it ended). */
  delete(stream: object): void {
    this.#streams.delete(stream);
  }

  /** Ends every open stream with `status`. */
  endAll(status: grpc.ServiceError): void {
    for (const end of [...this.#streams.values()]) end(status);
  }
}
