/**
 * What every handler of the Chat service is given: the server's parts, wired once.
 *
 * @module
 */
import type { StoreReader, StoreWriter } from "../../store/types.ts";
import type { AccountMode, TokenCheck } from "../auth/accounts.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import type { Limit } from "../auth/rate_limit.ts";
import type { GroupCommitter } from "../commit/group_commit.ts";
import type { GroupDirectory } from "../groups/directory.ts";
import type { RoomService } from "../groups/rooms.ts";
import type { Fanout } from "../delivery/fanout.ts";
import type { Sessions } from "../delivery/sessions.ts";
import type { ServerMetrics } from "../metrics.ts";
import type { OpenStreams } from "./streams.ts";
import type { Refusals } from "./refusals.ts";
import type { Log } from "../log.ts";

/** How this server gives accounts. */
export interface AccountsConfig {
  mode: AccountMode;
  /** The identity provider's token check, in `token` mode. */
  tokens?: TokenCheck;
}

/** Per-address bounds on what an unauthenticated caller can cost (auth/rate_limit.ts). */
export interface PeerLimits {
  /** New devices registered. */
  registrations: Limit;
  /** Claims of a handle (first use or invite). */
  claims: Limit;
  /** Proofs that failed: a wrong key, a bad invite, link code or token. */
  failedProofs: Limit;
  /** Link codes made, per account (not per address): they are rows in the database. */
  linkCodes: Limit;
}

/** The server's parts as handlers use them. */
export interface HandlerContext {
  accounts: AccountsConfig;
  limits: PeerLimits;
  reader: StoreReader;
  writer: StoreWriter;
  committer: GroupCommitter;
  /** Where committed messages go; {@link Fanout.latest} says where a group ends in the store. */
  fanout: Fanout;
  groups: GroupDirectory;
  /** The rules of rooms (groups made at run time). */
  rooms: RoomService;
  /** Open Subscribe streams by member: where membership changes and room events go. */
  sessions: Sessions;
  auth: Authenticator;
  refusals: Refusals;
  streams: OpenStreams;
  metrics: ServerMetrics;
  /** One line per register, send, subscribe and disconnect. */
  log: Log;
}
