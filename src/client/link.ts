/**
 * What the receiver and the outbox need from the session that owns them: the
 * channel, the identity the three share, and where to report. The session
 * implements it; the two loops never see each other, only this.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { Backoff, BackoffOptions } from "../shared/backoff.ts";
import type { ChatClient } from "../protocol/proto.ts";
import type { ClientEvent, OfflineEvent } from "./events.ts";
import type { IdentityState } from "./identity.ts";

/** The session as its receiver and outbox see it. */
export interface SessionLink {
  /** The gRPC client on the session's channel. */
  readonly client: ChatClient;
  /** Aborted when the session closes: every loop and wait ends. */
  readonly signal: AbortSignal;
  /** Retry delays of both loops. */
  readonly backoff: BackoffOptions | undefined;
  /** The account this device proves, as the last Register said; empty for a guest. */
  handle(): string;
  /** The identity calls are made with now; undefined before the first registration. */
  current(): IdentityState | undefined;
  /**
   * The identity to call with, waiting for a registration in progress.
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
   * A call failed transiently: says so (once per outage) and waits before the next try, as
   * `backoff` says or as long as the server asked (`failure`'s `retry-after-ms`), if longer.
   * @throws {Error} (as a rejection) if the session closes meanwhile.
   */
  waitToRetry(
    call: OfflineEvent["call"],
    details: string,
    backoff: Backoff,
    failure?: unknown,
  ): Promise<void>;
  /** A call succeeded; ends an outage. */
  cameOnline(): void;
  /** Reports `event` to the session's front end. */
  emit(event: ClientEvent): void;
  /** Options of a unary call: its deadline. */
  callOptions(): grpc.CallOptions;
}
