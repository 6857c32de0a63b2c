/**
 * A running chat server: the store, group commit, fan-out and the gRPC
 * service wired together and bound to a port. `server.ts` is its command
 * line; tests start it in-process.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import process from "node:process";
import { GroupCommitter } from "./commit/group_commit.ts";
import { GroupFeed } from "./delivery/feed.ts";
import { hostPort } from "../shared/format.ts";
import {
  DEFAULT_GROUP,
  MAX_RECEIVE_MESSAGE_BYTES,
  MAX_SEND_MESSAGE_BYTES,
} from "../shared/limits.ts";
import { ChatService, GroupPolicy } from "./service.ts";
import { Store, type StoreOptions } from "../store/sqlite/store.ts";
import { WorkerWriter } from "../store/sqlite/writer.ts";
import { chatServiceDefinition } from "../protocol/wire.ts";

/** How to start a server. */
export interface ChatServerOptions {
  /** Address to listen on, e.g. `0.0.0.0` or `127.0.0.1`. */
  host: string;
  /** 0 picks a free port; {@link RunningChatServer.port} tells which. */
  port: number;
  /** SQLite file; created when missing. */
  dbPath: string;
  /** Names the default group is closed to; null leaves it open to every client. */
  members: readonly string[] | null;
  /** Groups besides the default one, each open (members null) or closed to a list of names. */
  groups?: readonly GroupSpec[];
  log?: (line: string) => void;
  synchronous?: StoreOptions["synchronous"];
}

/** A group a server has: its name, and the names it is closed to (null: open to every client). */
export interface GroupSpec {
  name: string;
  members: readonly string[] | null;
}

/** Raised when the port cannot be bound; the message names the address. */
export class BindError extends Error {
  override name = "BindError";
}

/** A started server. */
export interface RunningChatServer {
  port: number;
  store: Store;
  committer: GroupCommitter;
  /**
   * Stops accepting calls, ends streams with UNAVAILABLE so clients reconnect,
   * commits what is pending and closes the store.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** One line for operators: memory, open streams, sends and commits so far. */
  stats(): string;
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
};

/** Opens the store, binds the port and starts serving. Throws StoreOpenError or BindError. */
export async function startChatServer(options: ChatServerOptions): Promise<RunningChatServer> {
  const log = options.log ?? (() => {});
  const store = new Store(options.dbPath, { synchronous: options.synchronous });
  let writer: WorkerWriter;
  try {
    writer = await WorkerWriter.start(options.dbPath, { synchronous: options.synchronous });
  } catch (error) {
    store.close();
    throw error;
  }
  const groups = [{ name: DEFAULT_GROUP, members: options.members }, ...options.groups ?? []];
  const feeds = new Map(groups.map((g) => [g.name, new GroupFeed(g.name, store)]));
  const policies = new Map(groups.map((g) => [g.name, new GroupPolicy(g.members)]));
  const committer = new GroupCommitter(store, writer, (appended) => {
    let start = 0;
    // A batch is in sequence order per group; publish each group's run at once.
    for (let i = 1; i <= appended.length; i++) {
      if (i === appended.length || appended[i].group !== appended[start].group) {
        feeds.get(appended[start].group)?.publish(appended.slice(start, i).map((a) => a.message));
        start = i;
      }
    }
  });
  const service = new ChatService({ store, writer, committer, feeds, policies, log });
  const server = new grpc.Server(SERVER_CHANNEL_OPTIONS);
  server.addService(chatServiceDefinition(), service.handlers);
  const address = hostPort(options.host, options.port);
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        address,
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => error ? reject(error) : resolve(bound),
      )
    );
  } catch (error) {
    await writer.close();
    store.close();
    const message = error instanceof Error ? error.message : String(error);
    const inUse = /EADDRINUSE|address already in use/i.test(message);
    throw new BindError(
      inUse
        ? `port ${options.port} on ${options.host} is in use; stop what holds it or pick another with -port`
        : `cannot listen on ${address}: ${message}`,
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = 5_000) =>
    stopping ??= (async () => {
      const timer = setTimeout(() => server.forceShutdown(), graceMs);
      // tryShutdown refuses new calls at once; calls in progress finish, among
      // them sends waiting for the commits that close() below makes.
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      service.endStreams(grpc.status.UNAVAILABLE, "the server is shutting down; reconnect later");
      await committer.close();
      await drained;
      clearTimeout(timer);
      await writer.close();
      store.close();
    })();
  const stats = () => {
    const { rss, heapUsed } = Deno.memoryUsage();
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    const { commits, messages } = committer.stats;
    const send = service.sendLatency();
    // All threads (the writer's too), since the start: benchmarks take differences.
    const { user, system } = process.cpuUsage();
    return `stats: rss ${mb(rss)} MB, heap ${mb(heapUsed)} MB, cpu ${
      ((user + system) / 1e6).toFixed(3)
    } s, ${service.openStreams} open streams, ` +
      `${messages} sends in ${commits} commits, send answered in ${send.p50.toFixed(2)} ms ` +
      `(p50) / ${send.p99.toFixed(2)} ms (p99) of the last 4,096`;
  };
  return { port, store, committer, shutdown, stats };
}
