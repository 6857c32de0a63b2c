/**
 * What other nodes commit, heard through PostgreSQL's LISTEN on a connection of its own (not
 * from a pool: it must stay open to hear anything). `pg` does not reconnect a listening client
 * by itself: when the connection is lost (PostgreSQL restarted, the network cut, a ping
 * unanswered), this module says `offline` once, and tries again with a capped backoff until
 * LISTEN is in effect again, then says `resync`: notifications sent meanwhile are lost for
 * good, so whatever a node keeps of shared state must be read again.
 *
 * @module
 */
import pg from "pg";
import { messageOf } from "../../shared/errors.ts";
import type { StoreChange, StoreChanges } from "../types.ts";
import { CHANNEL, decodePayload, sentBy } from "./payload.ts";

/** How {@link PostgresChanges} keeps listening. */
export interface ListenOptions {
  /** The first wait before connecting again after a loss: 100 ms unless told. */
  minBackoffMs?: number;
  /** Waits double after each failed attempt up to this: 2 s unless told. */
  maxBackoffMs?: number;
  /**
   * How often the listening connection is asked `SELECT 1`, and how long the answer may take:
   * a connection that does not answer in time is taken for lost (a frozen server, or one that
   * went away without closing it). 5 s unless told; 0: never.
   */
  pingMs?: number;
}

/**
 * A {@link StoreChanges} over a listening `pg` client. Each subscriber hears first `resync`
 * (or `offline`, if the connection is down when it subscribes), then the changes other nodes
 * commit, in commit order, and `offline` and `resync` as the connection goes and comes back.
 * Changes committed by this node (its node id in the payload) are not told: the node knows them.
 */
export class PostgresChanges implements StoreChanges {
  #config: pg.ClientConfig;
  #nodeId: string;
  /** Whether a payload is surely this node's own: dropped unparsed. */
  #own: (payload: string) => boolean;
  #minBackoffMs: number;
  #maxBackoffMs: number;
  #pingMs: number;
  #listeners = new Set<(change: StoreChange) => void>();
  /** The client of the connection in use or being made; an old one's events are ignored. */
  #client: pg.Client | undefined;
  #listening = false;
  #offlineReason = "not listening yet";
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  /** Set while a ping waits for its answer: its deadline. */
  #pingDeadline: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(config: pg.ClientConfig, nodeId: string, options: ListenOptions) {
    this.#config = config;
    this.#nodeId = nodeId;
    this.#own = sentBy(nodeId);
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 2_000;
    this.#pingMs = options.pingMs ?? 5_000;
  }

  /**
   * Connects and LISTENs as node `nodeId` (whose own changes it then drops). Resolves once
   * LISTEN is in effect: every change committed after that is heard, or an `offline` told.
   *
   * @throws {Error} what the first connection or LISTEN failed with; nothing is left open.
   */
  static async start(
    config: pg.ClientConfig,
    nodeId: string,
    options: ListenOptions = {},
  ): Promise<PostgresChanges> {
    const changes = new PostgresChanges(config, nodeId, options);
    const error = await changes.#listen();
    if (error) {
      await changes.close();
      throw error;
    }
    return changes;
  }

  /** Whether LISTEN is in effect now. */
  get listening(): boolean {
    return this.#listening;
  }

  /** How many attempts to listen again have failed since the connection was last lost. */
  get failedAttempts(): number {
    return this.#listening ? 0 : Math.max(0, this.#failures - 1);
  }

  /** See {@link StoreChanges.subscribe}. The first call comes after this returns. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    const first: StoreChange = this.#listening
      ? { kind: "resync" }
      : { kind: "offline", reason: this.#offlineReason };
    let started = false;
    const pending: StoreChange[] = [first];
    // Until the first call is made, whatever comes waits behind it, in order.
    const queued = (change: StoreChange) =>
      started ? deliver(listener, change) : pending.push(change);
    this.#listeners.add(queued);
    queueMicrotask(() => {
      started = true;
      if (!this.#listeners.has(queued)) return;
      for (const change of pending) deliver(listener, change);
    });
    return () => this.#listeners.delete(queued);
  }

  /**
   * Stops listening: no more calls to subscribers from now on; resolves once the connection
   * is closed. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    clearTimeout(this.#retryTimer);
    this.#stopPing();
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    await client?.end().catch(() => {});
  }

  /**
   * One attempt: a new client, connected, LISTENing. Resolves with undefined once in effect,
   * else with the error (and a retry scheduled, unless this was the first attempt's caller).
   */
  async #listen(): Promise<Error | undefined> {
    const client = new pg.Client(this.#config);
    this.#client = client;
    // Always an 'error' listener: without one, a lost connection ends the process.
    client.on("error", (error) => this.#lost(client, messageOf(error)));
    client.on("end", () => this.#lost(client, "the connection was closed"));
    // Notifications can come in the same read as LISTEN's answer, before this attempt has said
    // resync: they wait for it.
    let early: string[] | undefined = [];
    client.on("notification", (n) => {
      if (client !== this.#client || n.channel !== CHANNEL) return;
      if (early) early.push(n.payload ?? "");
      else this.#heard(n.payload ?? "");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#lost(client, messageOf(error));
      return failure;
    }
    if (client !== this.#client) return undefined; // closed, or lost meanwhile (and retrying)
    this.#listening = true;
    this.#failures = 0;
    this.#startPing(client);
    this.#emit({ kind: "resync" });
    const waiting = early;
    early = undefined;
    for (const payload of waiting) if (client === this.#client) this.#heard(payload);
    return undefined;
  }

  /** `client`'s connection is gone (or never came): say so once, and try again later. */
  #lost(client: pg.Client, reason: string): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#stopPing();
    client.end().catch(() => {});
    if (this.#closed) return;
    this.#offlineReason = reason;
    if (this.#listening) {
      this.#listening = false;
      this.#emit({ kind: "offline", reason });
    }
    const delay = Math.min(this.#maxBackoffMs, this.#minBackoffMs * 2 ** this.#failures);
    this.#failures++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#closed) this.#listen();
    }, delay);
  }

  /** Asks `client` a trivial query now and then; no answer in time means the connection is lost. */
  #startPing(client: pg.Client): void {
    this.#stopPing();
    if (this.#pingMs <= 0) return;
    this.#pingTimer = setInterval(() => {
      if (this.#pingDeadline !== undefined || client !== this.#client) return;
      const ms = this.#pingMs;
      this.#pingDeadline = setTimeout(
        () => this.#lost(client, `no answer to a ping within ${ms} ms`),
        ms,
      );
      client.query("SELECT 1").then(
        () => {
          clearTimeout(this.#pingDeadline);
          this.#pingDeadline = undefined;
        },
        (error: unknown) => this.#lost(client, `a ping failed: ${messageOf(error)}`),
      );
    }, this.#pingMs);
  }

  #stopPing(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pingDeadline);
    this.#pingTimer = this.#pingDeadline = undefined;
  }

  #heard(payload: string): void {
    if (this.#own(payload)) return;
    const heard = decodePayload(payload);
    if (!heard || heard.node === this.#nodeId) return;
    this.#emit(heard.change);
  }

  #emit(change: StoreChange): void {
    for (const listener of [...this.#listeners]) {
      if (this.#listeners.has(listener)) listener(change);
    }
  }
}

/** Calls `listener`; what it throws is reported as uncaught, not thrown into the driver. */
function deliver(listener: (change: StoreChange) => void, change: StoreChange): void {
  try {
    listener(change);
  } catch (error) {
    reportError(error);
  }
}
