/**
 * The chat client without its terminal: registration, the subscription with
 * reconnects, dedupe and acks, and an outbox that sends in order and retries
 * safely. `client.ts` wires it to stdin and stdout; tests drive it directly.
 *
 * Nothing here blocks: every call is asynchronous with a deadline, and the
 * subscription and the outbox recover from a lost server independently. The
 * one thing they share is the identity: it changes only when a Register
 * succeeds, and both wait for a registration in progress rather than call
 * with credentials the server has just rejected.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { AckBatcher } from "./acks.ts";
import { Backoff, type BackoffOptions } from "../shared/backoff.ts";
import { displayName } from "../shared/format.ts";
import type { IdentityFile, IdentityState } from "./identity.ts";
import { DEFAULT_GROUP, MAX_SEND_MESSAGE_BYTES } from "../shared/limits.ts";
import {
  type ChatClient,
  chatProto,
  CLIENT_ID_HEADER,
  CLIENT_KEY_HEADER,
  type Delivery,
  type RegisterReply,
  type SendReply,
} from "../protocol/proto.ts";

/** A received message, as given to {@link ChatSessionOptions.onMessage}. */
export interface ReceivedMessage {
  group: string;
  seq: number;
  senderId: string;
  senderName: string;
  text: string;
  sentAtMs: number;
}

/** How to connect, and where to report. */
export interface ChatSessionOptions {
  name: string;
  /** `host:port` of the server. */
  address: string;
  identity: IdentityFile;
  /** Called once per message, in sequence order per group, never twice for one sequence. */
  onMessage: (message: ReceivedMessage) => void;
  /** Status for the person: connected, offline, back online, refusals. */
  onNotice?: (text: string) => void;
  backoff?: BackoffOptions;
  /** Deadline of each unary call. */
  callTimeoutMs?: number;
}

/** What was left when the session closed. */
export interface CloseReport {
  /** Typed messages the server never got. */
  unsent: number;
  /** A send was under way: the server may or may not have stored it. */
  inDoubt: number;
}

/** Raised when the server refused a call for good (not worth retrying). */
export class RefusedError extends Error {
  override name = "RefusedError";
  readonly code: grpc.status;
  constructor(code: grpc.status, details: string) {
    super(details);
    this.code = code;
  }
}

interface Outgoing {
  group: string;
  text: string;
  clientMsgId: string;
  resolve: (reply: SendReply) => void;
  reject: (error: Error) => void;
}

type SubscribeStream = ReturnType<ChatClient["Subscribe"]>;

/** Statuses after which the same call may succeed later. */
const TRANSIENT = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
  grpc.status.UNKNOWN,
  grpc.status.INTERNAL,
  grpc.status.ABORTED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

/** Client channel options: wire limits, quick reconnects, keepalive, no HTTP proxy for a chat socket. */
export const CLIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_SEND_MESSAGE_BYTES,
  "grpc.enable_http_proxy": 0,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5_000,
  "grpc.keepalive_time_ms": 20_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
};

function statusOf(error: unknown): grpc.status {
  return (error as grpc.ServiceError)?.code ?? grpc.status.UNKNOWN;
}

function detailsOf(error: unknown): string {
  return describeDetails((error as grpc.ServiceError)?.details ?? String(error));
}

/** grpc-js's connection failures, said briefly ("connection refused" rather than a paragraph). */
function describeDetails(details: string): string {
  const cause = details.match(/\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)\b/)
    ?.[1];
  const causes: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    ENOTFOUND: "host not found",
  };
  return cause ? causes[cause] : details.replace(/\s*Resolution note:\s*$/, "");
}

function metadataOf(state: IdentityState): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(CLIENT_ID_HEADER, state.clientId);
  metadata.set(CLIENT_KEY_HEADER, state.key);
  return metadata;
}

/** One connected client; see the module doc. */
export class ChatSession {
  /** Messages dropped because their sequence was already printed. */
  duplicatesDropped = 0;
  #options: ChatSessionOptions;
  #client: ChatClient;
  /** The current identity; replaced only by a successful Register. */
  #state: IdentityState | undefined;
  #registering: Promise<IdentityState> | undefined;
  #outbox: Outgoing[] = [];
  #inFlight: grpc.ClientUnaryCall | undefined;
  #wakeOutbox: (() => void) | undefined;
  #closing = new AbortController();
  #stream: SubscribeStream | undefined;
  #acks: AckBatcher | undefined;
  #online = false;
  #offlineSaid = false;
  #loops: Promise<void>[] = [];

  constructor(options: ChatSessionOptions) {
    this.#options = options;
    this.#client = new chatProto.chat.Chat(
      options.address,
      grpc.credentials.createInsecure(),
      CLIENT_CHANNEL_OPTIONS,
    );
  }

  /** This client as others see it, e.g. `Luis#7f3a`; empty before registration. */
  get displayName(): string {
    return this.#state ? displayName({ name: this.#options.name, id: this.#state.clientId }) : "";
  }

  /** The client id the server gave; empty before registration. */
  get clientId(): string {
    return this.#state?.clientId ?? "";
  }

  /** Messages typed and not yet acknowledged by the server. */
  get unsent(): number {
    return this.#outbox.length;
  }

  /**
   * Registers (or resumes the stored identity), retrying with backoff until
   * the server answers, then starts receiving and sending in the background.
   * Rejects with {@link RefusedError} if the server refuses this client.
   */
  async start(): Promise<void> {
    const stored = await this.#options.identity.load();
    this.#state = stored;
    await this.#register(stored);
    this.#closing.signal.throwIfAborted();
    this.#loops.push(this.#receiveLoop(), this.#sendLoop());
  }

  /**
   * Queues `text` for `group`. Resolves with the stored sequence once the
   * server has made it durable; retries (with the same message id) while the
   * server is away; rejects with {@link RefusedError} if it is refused.
   */
  send(text: string, group = DEFAULT_GROUP): Promise<SendReply> {
    return new Promise((resolve, reject) => {
      this.#outbox.push({ group, text, clientMsgId: crypto.randomUUID(), resolve, reject });
      if (!this.#online) this.#notice(`queued while offline (${this.#outbox.length} waiting)`);
      this.#wakeOutbox?.();
    });
  }

  /**
   * Waits up to `drainMs` for the outbox to empty, ends the subscription,
   * saves the state and releases the identity. Says what was left unsent.
   */
  async close(drainMs = 5_000): Promise<CloseReport> {
    const deadline = Date.now() + drainMs;
    while (this.#outbox.length > 0 && Date.now() < deadline && !this.#closing.signal.aborted) {
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
    const inDoubt = this.#inFlight ? 1 : 0;
    const report = { unsent: this.#outbox.length - inDoubt, inDoubt };
    this.#closing.abort();
    this.#inFlight?.cancel();
    this.#wakeOutbox?.();
    for (const item of this.#outbox.splice(0)) {
      item.reject(new Error("the client closed before the server acknowledged this message"));
    }
    // Every ack out, then half-close so the server sees a clean goodbye; cancel if it does not answer.
    this.#acks?.flush();
    this.#stream?.end();
    const timer = setTimeout(() => this.#stream?.cancel(), 1_000);
    await Promise.allSettled([...this.#loops, this.#registering]);
    clearTimeout(timer);
    try {
      if (this.#state) this.#options.identity.save(this.#state);
    } catch {
      // Already reported when it first failed; the server's cursor still holds.
    }
    this.#client.close();
    this.#options.identity.release();
    return report;
  }

  #notice(text: string): void {
    this.#options.onNotice?.(text);
  }

  #deadline(): grpc.CallOptions {
    return { deadline: Date.now() + (this.#options.callTimeoutMs ?? 5_000) };
  }

  #wentOffline(reason: string, retryMs: number): void {
    this.#online = false;
    if (!this.#offlineSaid) {
      this.#offlineSaid = true;
      this.#notice(`offline: ${reason}; retrying in ${(retryMs / 1000).toFixed(1)} s`);
    }
  }

  #cameOnline(): void {
    this.#online = true;
    if (this.#offlineSaid) {
      this.#offlineSaid = false;
      const queued = this.#outbox.length;
      this.#notice(`back online${queued ? `; sending ${queued} queued` : ""}`);
    }
  }

  /** The identity to call with, waiting for a registration in progress. */
  async #identity(): Promise<IdentityState> {
    return this.#registering ? await this.#registering : this.#state!;
  }

  /**
   * Registers from `from` (resume) or afresh (undefined). Concurrent callers
   * share one attempt, so a rejected identity is replaced once, not once per loop.
   */
  #register(from: IdentityState | undefined): Promise<IdentityState> {
    this.#registering ??= this.#registerWithRetry(from).finally(() =>
      this.#registering = undefined
    );
    return this.#registering;
  }

  /** The server rejected `rejected`: register again, unless another caller already did. */
  #replace(rejected: IdentityState, reason: string): Promise<IdentityState> {
    if (this.#state !== rejected) return this.#identity();
    if (!this.#registering) {
      this.#notice(`the server no longer accepts this client (${reason}); registering again`);
    }
    return this.#register(undefined);
  }

  async #registerWithRetry(from: IdentityState | undefined): Promise<IdentityState> {
    const backoff = new Backoff(this.#options.backoff);
    const { name, identity, address } = this.#options;
    let stored = from;
    while (true) {
      this.#closing.signal.throwIfAborted();
      let reply: RegisterReply;
      try {
        reply = await new Promise<RegisterReply>((resolve, reject) => {
          // Removed when the call ends: retries through a long outage must not pile them up.
          const cancel = () => call.cancel();
          const call = this.#client.Register(
            { name, clientId: stored?.clientId ?? "", key: stored?.key ?? "" },
            this.#deadline(),
            (error, value) => {
              this.#closing.signal.removeEventListener("abort", cancel);
              if (error) reject(error);
              else resolve(value!);
            },
          );
          this.#closing.signal.addEventListener("abort", cancel, { once: true });
        });
      } catch (error) {
        this.#closing.signal.throwIfAborted();
        const code = statusOf(error);
        if (stored && (code === grpc.status.NOT_FOUND || code === grpc.status.UNAUTHENTICATED)) {
          this.#notice(
            `the server does not accept the stored identity (${
              detailsOf(error)
            }); registering as a new client`,
          );
          stored = undefined;
          continue;
        }
        if (!TRANSIENT.has(code)) throw new RefusedError(code, detailsOf(error));
        const wait = backoff.next();
        this.#wentOffline(`cannot reach ${address} (${detailsOf(error)})`, wait);
        await sleep(wait, undefined, { signal: this.#closing.signal });
        continue;
      }
      const state = stored && reply.resumed
        ? stored
        : { clientId: reply.clientId, key: reply.key, seen: {} };
      this.#clampSeen(state, reply);
      if (this.#state && this.#state.clientId !== state.clientId) {
        // Frames of the old identity's stream must not be taken as this one's.
        this.#stream?.cancel();
      }
      this.#state = state;
      identity.save(state);
      this.#cameOnline();
      const how = reply.resumed ? "resumed" : "new identity";
      const groups = reply.groups.map((g) =>
        g.member
          ? `${g.unread} unread message${g.unread === 1 ? "" : "s"} in ${g.name}`
          : `not a member of ${g.name} (you will receive nothing from it and cannot send to it)`
      ).join("; ");
      this.#notice(`connected to ${address} as ${this.displayName} (${how}); ${groups}`);
      return state;
    }
  }

  /**
   * A group that ends before what this client has printed means the server's
   * database was replaced or restored: read on from where the group ends now.
   */
  #clampSeen(state: IdentityState, reply: RegisterReply): void {
    for (const group of reply.groups) {
      const seen = state.seen[group.name] ?? 0;
      if (seen > group.lastSeq) {
        this.#notice(
          `${group.name} ends at #${group.lastSeq} on the server, but this client has printed up to ` +
            `#${seen} (was its database restored?); reading on from #${group.lastSeq}`,
        );
        state.seen[group.name] = group.lastSeq;
      }
    }
  }

  async #receiveLoop(): Promise<void> {
    const backoff = new Backoff(this.#options.backoff);
    while (!this.#closing.signal.aborted) {
      let state: IdentityState;
      let status: grpc.StatusObject;
      try {
        state = await this.#identity();
        status = await this.#subscribeOnce(state, () => backoff.reset());
      } catch {
        continue; // The registration was aborted: the loop condition ends it.
      }
      if (this.#closing.signal.aborted) break;
      const why = status.details ? describeDetails(status.details) : grpc.status[status.code];
      if (status.code === grpc.status.UNAUTHENTICATED) {
        await this.#replace(state, why).catch(() => {});
        continue;
      }
      if (status.code === grpc.status.INVALID_ARGUMENT) {
        // The server refused our open; a resume refreshes what we know of the groups.
        this.#notice(`the server refused the subscription (${why}); checking in again`);
        await this.#register(state).catch(() => {});
      }
      if (state !== this.#state) continue; // Replaced meanwhile: subscribe as the new identity.
      const wait = backoff.next();
      this.#wentOffline(`the stream ended (${why})`, wait);
      await sleep(wait, undefined, { signal: this.#closing.signal }).catch(() => {});
    }
  }

  /** One Subscribe stream for `state`, from open to its status. */
  #subscribeOnce(state: IdentityState, onOpen: () => void): Promise<grpc.StatusObject> {
    return new Promise((resolve) => {
      const call = this.#client.Subscribe(metadataOf(state));
      this.#stream = call;
      call.on("metadata", () => {
        onOpen();
        this.#cameOnline();
      });
      const acks = new AckBatcher((group, seq) => call.write({ ack: { group, seq } }));
      this.#acks = acks;
      call.on("data", (delivery: Delivery) => this.#take(acks, state, delivery));
      call.on("error", () => {}); // The status event below carries the outcome.
      call.on("status", (status) => {
        acks.cancel();
        if (this.#stream === call) this.#stream = undefined;
        resolve(status);
      });
      call.write({
        open: { seen: Object.entries(state.seen).map(([group, seq]) => ({ group, seq })) },
      });
    });
  }

  #take(acks: AckBatcher, state: IdentityState, delivery: Delivery): void {
    if (state !== this.#state) return; // A stream of a replaced identity, being cancelled.
    const group = delivery.group;
    let seen = state.seen[group] ?? 0;
    for (const m of delivery.messages) {
      if (m.seq <= seen) {
        this.duplicatesDropped++;
        continue;
      }
      seen = m.seq;
      this.#options.onMessage({ group, ...m });
    }
    state.seen[group] = Math.max(seen, delivery.throughSeq);
    // Printed, then remembered, then acknowledged: a kill at any point reprints at most this frame.
    try {
      this.#options.identity.save(state);
    } catch (error) {
      this.#notice(
        `cannot save the state file (${error}); a restart may print some messages again`,
      );
    }
    acks.received(group, delivery.throughSeq);
  }

  /** Sends the outbox head to tail, one at a time, so the server stores them in typing order. */
  async #sendLoop(): Promise<void> {
    const backoff = new Backoff(this.#options.backoff);
    while (!this.#closing.signal.aborted) {
      const item = this.#outbox[0];
      if (!item) {
        await new Promise<void>((wake) => this.#wakeOutbox = wake);
        this.#wakeOutbox = undefined;
        continue;
      }
      let state: IdentityState;
      try {
        state = await this.#identity();
      } catch {
        continue; // The registration was aborted: the loop condition ends it.
      }
      try {
        const reply = await new Promise<SendReply>((resolve, reject) => {
          this.#inFlight = this.#client.Send(
            { group: item.group, text: item.text, clientMsgId: item.clientMsgId },
            metadataOf(state),
            this.#deadline(),
            (error, value) => error ? reject(error) : resolve(value!),
          );
        });
        this.#inFlight = undefined;
        this.#outbox.shift();
        backoff.reset();
        item.resolve(reply);
      } catch (error) {
        this.#inFlight = undefined;
        if (this.#closing.signal.aborted) return;
        const code = statusOf(error);
        if (code === grpc.status.UNAUTHENTICATED) {
          await this.#replace(state, detailsOf(error)).catch(() => {});
        } else if (TRANSIENT.has(code)) {
          // Same clientMsgId on the retry: if the first try was stored, the server says so.
          const wait = backoff.next();
          this.#wentOffline(`cannot send (${detailsOf(error)})`, wait);
          await sleep(wait, undefined, { signal: this.#closing.signal }).catch(() => {});
        } else {
          this.#outbox.shift();
          item.reject(new RefusedError(code, detailsOf(error)));
        }
      }
    }
  }
}
