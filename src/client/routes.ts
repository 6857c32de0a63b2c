/**
 * Which of a session's addresses its calls go to, and when it moves to another. The
 * addresses (`-server_ip a,b,c`) are the nodes of one service; the session starts at the
 * first and stays on the one that answers, for as long as it answers: nothing brings it
 * back to the first.
 *
 * When a call finds its node away ({@link NODE_AWAY}: the connection refused or lost, the
 * server shutting down, no answer within the deadline) the session moves to the next address
 * at once (wrapping around); only when every address has failed in turn (a round) does it
 * wait, as the caller's backoff says, before going on. A round counts from the last node
 * that worked for {@link STEADY_MS} or longer, so that a node which accepts calls and ends
 * them at once is not tried again and again without a wait. A refusal or a rate limit is no
 * reason to move: the same node is asked again after the wait, as with a single address.
 *
 * The receiver and the outbox fail independently, often both at once when a node goes
 * away. Each says by which route its call went: a failure on an address already left is
 * not counted again (that would skip the next address); its caller tries the current one,
 * after the wait of a round that is under way.
 *
 * With one address this is exactly the single-server client: every failure is a round of
 * one, and the session retries that address after its backoff.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { ChatClient } from "../protocol/proto.ts";

/** One address of a session's list and the channel to it. */
export interface Route {
  /** Its place in the list, from 0. */
  readonly index: number;
  /** `host:port` as given. */
  readonly address: string;
  /** The gRPC client on the address's channel. */
  readonly client: ChatClient;
}

/**
 * Statuses after which another node may answer where this one did not: the node is away.
 * CANCELLED is here because a node forced to stop (its grace period over) cancels the calls
 * it holds; the client's own cancellations (closing, a retired stream) are never reported.
 */
export const NODE_AWAY: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
]);

/** How long a node must have worked for its failure to start a new round. */
export const STEADY_MS = 1_000;

/** What a caller does after a failure; see {@link Routes.failed}. */
export type Verdict =
  /** The session moved to `to`: try it now. */
  | { kind: "moved"; to: Route }
  /**
   * Every address failed in turn: wait (the caller's backoff; tell {@link Routes.hold} how
   * long), then try `to` (the failed route itself when there is one address).
   */
  | { kind: "round"; to: Route }
  /** Not the node going away (a refusal, a rate limit): wait, then try the same route. */
  | { kind: "stay" }
  /** The call went by a route already left: try the current one after `waitMs`. */
  | { kind: "stale"; waitMs: number };

/** A session's routes; see the module doc. */
export class Routes {
  #addresses: readonly string[];
  #connect: (address: string) => ChatClient;
  #routes: Route[] = [];
  #current: Route;
  /** Routes that failed in turn since the last one that worked steadily. */
  #failed = 0;
  /** When the current route first answered since the session moved to it; 0 if it has not. */
  #reachedAtMs = 0;
  /** Until when a round's wait holds every caller (epoch ms). */
  #holdUntilMs = 0;
  #now: () => number;

  /**
   * Routes for `addresses`, in order; `connect` makes a route's client when it is first used.
   * @throws {Error} if `addresses` is empty.
   */
  constructor(
    addresses: readonly string[],
    connect: (address: string) => ChatClient,
    now: () => number = Date.now,
  ) {
    if (addresses.length === 0) throw new Error("a session needs at least one address");
    this.#addresses = addresses;
    this.#connect = connect;
    this.#now = now;
    this.#current = this.#route(0);
  }

  /** The addresses, in the order tried. */
  get addresses(): readonly string[] {
    return this.#addresses;
  }

  /** The route calls go by now. */
  get current(): Route {
    return this.#current;
  }

  /** How long a round's wait still holds every call (0: none is under way). */
  get holdMs(): number {
    return Math.max(0, this.#holdUntilMs - this.#now());
  }

  /** A call by `route` succeeded (a registration, a stream opened): that node works. */
  reached(route: Route): void {
    if (route !== this.#current) return;
    this.#holdUntilMs = 0;
    if (this.#reachedAtMs === 0) this.#reachedAtMs = this.#now();
  }

  /** A call by `route` ended with `code`, worth retrying: what to do; see {@link Verdict}. */
  failed(route: Route, code: grpc.status): Verdict {
    if (route !== this.#current) return { kind: "stale", waitMs: this.holdMs };
    if (!NODE_AWAY.has(code)) return { kind: "stay" };
    if (this.#reachedAtMs !== 0 && this.#now() - this.#reachedAtMs >= STEADY_MS) this.#failed = 0;
    this.#failed++;
    const to = this.#route((route.index + 1) % this.#addresses.length);
    if (to !== route) {
      this.#current = to;
      this.#reachedAtMs = 0;
    }
    return this.#failed % this.#addresses.length === 0
      ? { kind: "round", to }
      : { kind: "moved", to };
  }

  /** A round's wait of `waitMs` has begun: callers of a route left behind wait with it. */
  hold(waitMs: number): void {
    this.#holdUntilMs = Math.max(this.#holdUntilMs, this.#now() + waitMs);
  }

  /** Closes every channel made. */
  close(): void {
    for (const route of this.#routes) route?.client.close();
  }

  /** The route of `index`, its client made on first use. */
  #route(index: number): Route {
    this.#routes[index] ??= {
      index,
      address: this.#addresses[index],
      client: this.#connect(this.#addresses[index]),
    };
    return this.#routes[index];
  }
}
