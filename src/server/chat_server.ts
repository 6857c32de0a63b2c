/**
 * A running chat server: storage, group commit, fan-out, the groups and the
 * gRPC service wired together and bound to a port. `server.ts` is its command
 * line; tests start it in-process.
 *
 * The path of a message: the Send (or Publish) handler authenticates the caller
 * (`auth/`), checks group and text (`handlers/intake.ts`), and hands it to group
 * commit (`commit/`), which commits it with whatever else arrived meanwhile through
 * the store's writer (`store/`). The committed batch goes to fan-out
 * (`delivery/fanout.ts`): into each group's feed at once, its senders answered,
 * and every subscriber of those groups woken after that turn; each subscription
 * (`delivery/subscription.ts`) then writes the frames its window allows on its
 * Subscribe stream (`handlers/subscribe.ts`).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../protocol/status.ts";
import { adminServiceDefinition, chatServiceDefinition } from "../protocol/wire.ts";
import { messageOf } from "../shared/errors.ts";
import { hostPort } from "../shared/format.ts";
import {
  DEFAULT_GROUP,
  MAX_RECEIVE_MESSAGE_BYTES,
  MAX_SEND_MESSAGE_BYTES,
} from "../shared/limits.ts";
import { openPostgres } from "../store/postgres/mod.ts";
import { openSqlite, type SqliteOptions } from "../store/sqlite/mod.ts";
import type { StoreBackend, StoreReader, WriterFailedError } from "../store/types.ts";
import { adminHandlers } from "./admin/service.ts";
import { AdminSecret } from "./admin/secret.ts";
import type { AccountMode, TokenCheck } from "./auth/accounts.ts";
import { Authenticator } from "./auth/authenticator.ts";
import {
  CLAIM_LIMIT,
  FAILED_PROOF_LIMIT,
  type Limit,
  LINK_CODE_LIMIT,
  MAX_TRACKED_PEERS,
  NO_LIMIT,
  RateLimiter,
  REGISTRATION_LIMIT,
  ROOM_CHANGE_LIMIT,
} from "./auth/rate_limit.ts";
import { followChanges } from "./cluster/follower.ts";
import { reportPresence } from "./cluster/presence.ts";
import { GroupCommitter } from "./commit/group_commit.ts";
import { Fanout } from "./delivery/fanout.ts";
import { GroupDirectory, type GroupSpec } from "./groups/directory.ts";
import { RoomService } from "./groups/rooms.ts";
import { Sessions } from "./delivery/sessions.ts";
import type { HandlerContext } from "./handlers/context.ts";
import { Refusals } from "./handlers/refusals.ts";
import { chatHandlers } from "./handlers/service.ts";
import { OpenStreams } from "./handlers/streams.ts";
import { addOperability } from "./ops/mod.ts";
import type { Log } from "./log.ts";
import { ServerMetrics, statsLine } from "./metrics.ts";

export type { GroupSpec };

/** How to start a server. */
export interface ChatServerOptions {
  /** Address to listen on, e.g. `0.0.0.0` or `127.0.0.1`. */
  host: string;
  /** 0 picks a free port; {@link RunningChatServer.port} tells which. */
  port: number;
  /**
   * The SQLite file (created when missing), or a PostgreSQL database's URL
   * (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, see {@link isPostgresUrl}) that other nodes
   * may share.
   */
  dbPath: string;
  /** Names the default group is closed to; null leaves it open to every client. */
  members: readonly string[] | null;
  /** Groups besides the default one, each open (members null) or closed to a list of names. */
  groups?: readonly GroupSpec[];
  /** Where the server says what happens (see log.ts); nowhere by default. */
  log?: Log;
  synchronous?: SqliteOptions["synchronous"];
  /** Storage options beyond `synchronous` (tests start a writer that dies, for one). */
  sqlite?: Omit<SqliteOptions, "synchronous">;
  /** Transport security; plaintext (insecure) by default. */
  credentials?: grpc.ServerCredentials;
  /** How devices prove accounts (default: claim on first use); see auth/accounts.ts. */
  accounts?: { mode: AccountMode; tokens?: TokenCheck };
  /** The operator secret's file (made at first start); see {@link defaultAdminSecretPath}. */
  adminSecretPath?: string;
  /**
   * Per-address rates (per minute, with a burst); the defaults are in auth/rate_limit.ts.
   * `"off"` admits everything: for load tests and benchmarks on one machine only.
   */
  limits?: Partial<Record<"registrations" | "claims" | "failedProofs", RateLimit>> | "off";
}

/** A rate: so many per minute, with a burst. */
export interface RateLimit {
  perMinute: number;
  burst: number;
}

/** Raised when the port cannot be bound; the message names the address. */
export class BindError extends Error {
  override name = "BindError";
}

/** A started server. */
export interface RunningChatServer {
  port: number;
  /** Committed state, as the server reads it. */
  reader: StoreReader;
  committer: GroupCommitter;
  /**
   * Resolves if the server can no longer store anything (its writer died). It has then
   * ended every stream with UNAVAILABLE and answers sends UNAVAILABLE; the program should
   * shut it down and exit non-zero, so a supervisor restarts it.
   */
  failed: Promise<WriterFailedError>;
  /**
   * Stops accepting calls, ends streams with UNAVAILABLE so clients reconnect,
   * commits what is pending and closes the store.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Every metric now, by name (see metrics.ts). */
  metrics(): Promise<Record<string, number>>;
  /** The metrics registry itself, which `-metrics` serves as Prometheus text. */
  registry: ServerMetrics["registry"];
  /** One line for operators: memory, open streams, sends and commits so far. */
  stats(): Promise<string>;
}

/** Server options of grpc-js: wire limits and keepalive, so dead peers are noticed. */
export const SERVER_CHANNEL_OPTIONS: grpc.ServerOptions = {
  "grpc.max_receive_message_length": MAX_RECEIVE_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_SEND_MESSAGE_BYTES,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 5_000,
  // A connection with no call for this long is closed: clients always hold a
  // Subscribe open, so this only ends connections that never became gRPC.
  "grpc.max_connection_idle_ms": 300_000,
  // No channelz: nothing serves or reads it, and grpc-js, on by default, registers every
  // connection and call with it (a socket ref in two ordered maps, a call tracker, counter
  // closures per message): 1.4 to 2.4 MB of server RSS per 1,000 idle clients (bench, idle).
  "grpc.enable_channelz": 0,
};

/** Whether `db` names a PostgreSQL database (`postgres://` or `postgresql://`), not a file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * Where the operator secret is kept unless told: beside a SQLite file (`<db>.admin-secret`),
 * or `chat.admin-secret` in the working directory for a PostgreSQL database.
 */
export function defaultAdminSecretPath(db: string): string {
  return isPostgresUrl(db) ? "chat.admin-secret" : `${db}.admin-secret`;
}

/**
 * Opens the store, binds the port and starts serving.
 *
 * @throws {StoreOpenError} when the database cannot be used.
 * @throws {AdminSecretError} when the operator secret cannot be made or read, or is unsafe.
 * @throws {BindError} when the port cannot be bound.
 */
export async function startChatServer(options: ChatServerOptions): Promise<RunningChatServer> {
  const log = options.log ?? (() => {});
  // Before the store: a server that could not be administered should not start.
  const adminSecret = await AdminSecret.loadOrCreate(
    options.adminSecretPath ?? defaultAdminSecretPath(options.dbPath),
  );
  const store: StoreBackend = isPostgresUrl(options.dbPath)
    ? await openPostgres(options.dbPath)
    : await openSqlite(options.dbPath, { ...options.sqlite, synchronous: options.synchronous });
  const { reader, writer } = store;
  let groups: GroupDirectory;
  try {
    groups = await GroupDirectory.load(
      [{ name: DEFAULT_GROUP, members: options.members }, ...options.groups ?? []],
      reader,
    );
  } catch (error) {
    await store.close();
    throw error;
  }
  // The store is read to fill gaps, and asked where groups end, only when other nodes commit too:
  // one node's own commits always follow on from what its feeds hold.
  const fanout = new Fanout(
    (name) => groups.get(name)?.feed,
    undefined,
    store.changes ? reader : undefined,
  );
  fanout.onError = (error) =>
    log(`messages another node committed cannot be read yet: ${messageOf(error)}`, {
      event: "error",
      details: messageOf(error),
    }, "warn");
  const committer = new GroupCommitter(reader, writer, (appended) => fanout.publish(appended));
  const metrics = new ServerMetrics();
  const peers = (rate: RateLimit): Limit =>
    options.limits === "off" ? NO_LIMIT : new RateLimiter({ ...rate, maxKeys: MAX_TRACKED_PEERS });
  const limits = options.limits === "off" ? {} : options.limits ?? {};
  const auth = new Authenticator(reader, options.accounts?.mode === "token");
  const streams = new OpenStreams((principal) => auth.expiryOf(principal), log);
  const sessions = new Sessions();
  const rooms = new RoomService({
    groups,
    reader,
    writer,
    sessions,
    cursorOf: (clientId, group) => committer.cursorOf(clientId, group),
    forgetCursors: (group) => committer.forgetCursors(group),
    between: (work) => committer.between(work),
    limit: options.limits === "off"
      ? NO_LIMIT
      : new RateLimiter({ ...ROOM_CHANGE_LIMIT, maxKeys: MAX_TRACKED_PEERS }),
    presence: store.presence,
    latest: (group) => fanout.latest([group.feed]).then(([seq]) => seq),
    log,
  });
  const ctx: HandlerContext = {
    limits: {
      registrations: peers(limits.registrations ?? REGISTRATION_LIMIT),
      claims: peers(limits.claims ?? CLAIM_LIMIT),
      failedProofs: peers(limits.failedProofs ?? FAILED_PROOF_LIMIT),
      linkCodes: peers(LINK_CODE_LIMIT),
    },
    accounts: {
      mode: options.accounts?.mode ?? "first-use",
      tokens: options.accounts?.tokens,
    },
    reader,
    writer,
    committer,
    fanout,
    groups,
    rooms,
    sessions,
    auth,
    refusals: new Refusals(log),
    streams,
    metrics,
    log,
  };
  metrics.watch({
    commits: committer.stats,
    streams,
    refusals: ctx.refusals.byCode,
    sessions,
    guestsRegistered: () => reader.guestCount(),
  });
  committer.observe = (messages, seconds) => metrics.committed(messages, seconds);
  committer.onRetried = (retries) => {
    for (const { group, message } of retries) fanout.heard(group, message.seq);
  };

  const server = new grpc.Server(SERVER_CHANNEL_OPTIONS);
  server.addService(chatServiceDefinition(), chatHandlers(ctx));
  server.addService(adminServiceDefinition(), adminHandlers(ctx, adminSecret));
  // Health (NOT_SERVING until the port is bound) and reflection: see ops/mod.ts.
  const health = addOperability(server);
  const address = hostPort(options.host, options.port);
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        address,
        options.credentials ?? grpc.ServerCredentials.createInsecure(),
        (error, bound) => error ? reject(error) : resolve(bound),
      )
    );
  } catch (error) {
    await store.close();
    const message = messageOf(error);
    const inUse = /EADDRINUSE|address already in use/i.test(message);
    throw new BindError(
      inUse
        ? `port ${options.port} on ${options.host} is in use; stop what holds it or pick another with -port`
        : `cannot listen on ${address}: ${message}`,
    );
  }

  const endStreams = () =>
    streams.endAll(
      statusError(grpc.status.UNAVAILABLE, "the server is shutting down; reconnect later"),
    );
  // The store is open and the port bound. A writer that died before this point is reported
  // just after, by the handler below (a resolved promise's callbacks run after this line).
  health.set("SERVING");
  // Nodes sharing the database: what the others change reaches this one from here on.
  const unfollow = store.changes &&
    followChanges(store.changes, { reader, fanout, groups, rooms, auth, streams, health, log });
  const unreport = store.presence && reportPresence(store.presence, sessions, log);
  // A writer that died cannot come back: end the streams now, so clients go elsewhere or wait.
  const failed = writer.failed.then((error) => {
    // First, so that probes and load balancers stop sending clients here.
    health.set("NOT_SERVING");
    try {
      endStreams();
    } catch (cause) {
      log(`ending streams after the writer stopped failed: ${messageOf(cause)}`, {
        event: "error",
        details: messageOf(cause),
      }, "warn");
    }
    return error;
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = 5_000) =>
    stopping ??= (async () => {
      const timer = setTimeout(() => server.forceShutdown(), graceMs);
      // NOT_SERVING before tryShutdown, while Watch streams can still be told; their end then
      // lets the drain below finish without waiting for the grace period.
      health.drain();
      // tryShutdown refuses new calls at once; calls in progress finish, among
      // them sends waiting for the commits that close() below makes.
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      endStreams();
      await committer.close().catch(() => {}); // A dead writer's sends were already refused.
      await drained;
      clearTimeout(timer);
      unfollow?.();
      unreport?.();
      await store.close();
    })();
  const snapshot = () => metrics.snapshot();
  return {
    port,
    reader,
    committer,
    failed,
    shutdown,
    metrics: snapshot,
    registry: metrics.registry,
    stats: async () => statsLine(await snapshot()),
  };
}
