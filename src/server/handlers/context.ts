/**
 * What every handler of the Chat service is given: the server's parts, wired once.
 *
 * @module
 */
import type { StoreReader, StoreWriter } from "../../store/types.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import type { GroupCommitter } from "../commit/group_commit.ts";
import type { GroupDirectory } from "../groups/directory.ts";
import type { ServerMetrics } from "../metrics.ts";
import type { OpenStreams } from "./streams.ts";
import type { Refusals } from "./refusals.ts";

/** The server's parts as handlers use them. */
export interface HandlerContext {
  reader: StoreReader;
  writer: StoreWriter;
  committer: GroupCommitter;
  groups: GroupDirectory;
  auth: Authenticator;
  refusals: Refusals;
  streams: OpenStreams;
  metrics: ServerMetrics;
  /** One line per register, send, subscribe and disconnect. */
  log: (line: string) => void;
}
