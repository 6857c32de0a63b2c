/**
 * What the receiver and the outbox need from the session that owns them: the
 * route to call by, the identity the three share, and where to report. The session
 * implements it; the two loops never see each other, only this.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { Backoff, BackoffOptions } from "../shared/backoff.ts";
import type { ClientEvent, OfflineEvent } from "./events.ts";
import type { IdentityState } from "./identity.ts";
import type { Route } from "./routes.ts";

/** A call that failed in a way worth retrying, as its loop reports it. */
export interface Outage {
  /** Which call found the server away: connecting, the subscription, or a send. */
  call: OfflineEvent["call"];
  /** The route it went by: a failure on an address the session has left moves it no further. */
  route: Route;
  /** The status it ended with (OK for a stream the server ended early). */
  code: grpc.status;
  /** The failure, briefly. */
  details: string;
  /** What failed, for the wait a server asks for (`retry-after-ms`). */
  cause?: unknown;
}

/** The session as its receiver and outbox see it. */
export interface SessionLink {
  /**
   * The address calls go to now and the gRPC client on its channel; taken after
   * {@link identity}, which checks in there first when the session has moved.
   */
  route(): Route;
  /** Aborted when the session closes: every loop and wait ends. */
  readonly signal: AbortSignal;
  /** Retry delays of both loops. */
  readonly backoff: BackoffOptions | undefined;
  /** The account this device proves, as the last Register said; empty for a guest. */
  handle(): string;
  /** The identity calls are made with now; undefined before the first registration. */
  current(): IdentityState | undefined;
  /**
   * The identity to call with, waiting for a registration in progress, or for one at the
   * current address when the session has moved there since the last.
   * @throws {Error} if that registration ends because the session closed.
   */
  identity(): Promise<IdentityState>;
  /**
   * The server rejected `rejected` (UNAUTHENTICATED): registers anew, unless
   * another caller already did; resolves with the identity to use now.
   */
  replace(rejected: IdentityState, details: string): Promise<IdentityState>;
  /** Registers again as `state` (a resume), to refresh what the server says of its groups. */
  checkIn(state: IdentityState): Promise<IdentityState>;
  /**
   * Writes `state` to the state file, synchronously.
   * @throws {Error} if the file cannot be written.
   */
  save(state: IdentityState): void;
  /** Is the server answering (as far as the last call knows)? */
  online(): boolean;
  /**
   * A call failed transiently: says so (once per address and outage) and, when its node is
   * away and the session has another address, moves there and resolves at once; else waits
   * before the next try, as `backoff` says or as long as the server asked (`retry-after-ms`),
   * if longer (see routes.ts).
   * @throws {Error} (as a rejection) if the session closes meanwhile.
   */
  waitToRetry(outage: Outage, backoff: Backoff): Promise<void>;
  /** A call by `route` succeeded; ends an outage. */
  cameOnline(route: Route): void;
  /** Reports `event` to the session's front end. */
  emit(event: ClientEvent): void;
  /** Options of a unary call: its deadline. */
  callOptions(): grpc.CallOptions;
}
