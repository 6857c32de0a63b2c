/**
 * The chat client without its terminal: registration, the subscription with
 * reconnects, dedupe and acks, and an outbox that sends in order and retries
 * safely. `client.ts` wires it to stdin and stdout; tests drive it directly.
 *
 * Nothing here blocks: every call is asynchronous with a deadline, and the
 * subscription and the outbox recover from a lost server independently.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { displayName } from "./format.ts";
import type { IdentityFile, IdentityState } from "./identity.ts";
import { DEFAULT_GROUP, MAX_SEND_MESSAGE_BYTES } from "./limits.ts";
import {
  type ChatClient,
  chatProto,
  type Delivery,
  type RegisterReply,
  type SendReply,
} from "./proto.ts";
import { CLIENT_ID_HEADER, CLIENT_KEY_HEADER } from "./service.ts";

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

/** Counters, for tests and the closing line. */
export interface SessionStats {
  received: number;
  /** Messages dropped because their sequence was already printed. */
  duplicatesDropped: number;
  sent: number;
  subscribes: number;
}

/** Raised by {@link ChatSession.send} when the server refused a message for good. */
export class SendRefusedError extends Error {
  override name = "SendRefusedError";
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

/** One connected client; see the module doc. */
export class ChatSession {
  readonly stats: SessionStats = { received: 0, duplicatesDropped: 0, sent: 0, subscribes: 0 };
  #options: ChatSessionOptions;
  #client: ChatClient;
  #state: IdentityState | undefined;
  #registration: Promise<RegisterReply> | undefined;
  #outbox: Outgoing[] = [];
  #wakeOutbox: (() => void) | undefined;
  #closing = new AbortController();
  #stream: SubscribeStream | undefined;
  #online = false;
  #offlineSaid = false;
  #saveTimer: ReturnType<typeof setTimeout> | undefined;
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

  /** Highest sequence printed in `group`. */
  seen(group = DEFAULT_GROUP): number {
    return this.#state?.seen[group] ?? 0;
  }

  /**
   * Registers (or resumes the stored identity), retrying with backoff until
   * the server answers, then starts receiving and sending in the background.
   */
  async start(): Promise<RegisterReply> {
    this.#state = await this.#options.identity.load();
    const reply = await this.#register();
    this.#loops.push(this.#receiveLoop(), this.#sendLoop());
    return reply;
  }

  /**
   * Queues `text` for `group`. Resolves with the stored sequence once the
   * server has made it durable; retries (with the same message id) while the
   * server is away; rejects with {@link SendRefusedError} if it is refused.
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
   * saves the state and releases the identity. Returns how many messages
   * were not sent.
   */
  async close(drainMs = 5_000): Promise<number> {
    const deadline = Date.now() + drainMs;
    while (this.#outbox.length > 0 && Date.now() < deadline && !this.#closing.signal.aborted) {
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
    const unsent = this.#outbox.length;
    this.#closing.abort();
    this.#wakeOutbox?.();
    for (const item of this.#outbox.splice(0)) {
      item.reject(new Error("the client closed before the server acknowledged this message"));
    }
    // Half-close so the server sees a clean goodbye (and has every ack); cancel if it does not answer.
    this.#stream?.end();
    const settled = Promise.allSettled(this.#loops);
    const timer = setTimeout(() => this.#stream?.cancel(), 1_000);
    await settled;
    clearTimeout(timer);
    clearTimeout(this.#saveTimer);
    if (this.#state) await this.#options.identity.save(this.#state);
    this.#client.close();
    this.#options.identity.release();
    return unsent;
  }

  #notice(text: string): void {
    this.#options.onNotice?.(text);
  }

  #metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set(CLIENT_ID_HEADER, this.#state?.clientId ?? "");
    metadata.set(CLIENT_KEY_HEADER, this.#state?.key ?? "");
    return metadata;
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
      this.#notice(
        `back online${this.#outbox.length ? `; sending ${this.#outbox.length} queued` : ""}`,
      );
    }
  }

  /** Registers once; concurrent callers (after the server lost our identity) share the attempt. */
  #register(): Promise<RegisterReply> {
    this.#registration ??= this.#registerWithRetry().finally(() => this.#registration = undefined);
    return this.#registration;
  }

  async #registerWithRetry(): Promise<RegisterReply> {
    const backoff = new Backoff(this.#options.backoff);
    const { name, identity, address } = this.#options;
    while (true) {
      this.#closing.signal.throwIfAborted();
      const stored = this.#state;
      try {
        const reply = await new Promise<RegisterReply>((resolve, reject) =>
          this.#client.Register(
            { name, clientId: stored?.clientId ?? "", key: stored?.key ?? "" },
            this.#deadline(),
            (error, value) => error ? reject(error) : resolve(value!),
          )
        );
        this.#state = stored && reply.resumed
          ? stored
          : { clientId: reply.clientId, key: reply.key, seen: {} };
        await identity.save(this.#state);
        const how = reply.resumed ? "resumed" : "new identity";
        const groups = reply.groups.map((g) =>
          g.member
            ? `${g.unread} unread message${g.unread === 1 ? "" : "s"} in ${g.name}`
            : `not a member of ${g.name} (you will receive nothing from it and cannot send to it)`
        ).join("; ");
        this.#cameOnline();
        this.#notice(`connected to ${address} as ${this.displayName} (${how}); ${groups}`);
        return reply;
      } catch (error) {
        const code = statusOf(error);
        if (stored && (code === grpc.status.NOT_FOUND || code === grpc.status.UNAUTHENTICATED)) {
          this.#notice(
            `the server does not accept the stored identity (${
              detailsOf(error)
            }); registering as a new client`,
          );
          this.#state = undefined;
          await identity.clear();
          continue;
        }
        if (!TRANSIENT.has(code)) throw new SendRefusedError(code, detailsOf(error));
        const wait = backoff.next();
        this.#wentOffline(`cannot reach ${address} (${detailsOf(error)})`, wait);
        await sleep(wait, undefined, { signal: this.#closing.signal });
      }
    }
  }

  async #receiveLoop(): Promise<void> {
    const backoff = new Backoff(this.#options.backoff);
    while (!this.#closing.signal.aborted) {
      let status: grpc.StatusObject | undefined;
      try {
        status = await this.#subscribeOnce(() => backoff.reset());
      } catch (error) {
        status = {
          code: statusOf(error),
          details: detailsOf(error),
          metadata: new grpc.Metadata(),
        };
      }
      if (this.#closing.signal.aborted) break;
      if (status.code === grpc.status.UNAUTHENTICATED) {
        await this.#reRegister(status.details);
        continue;
      }
      const wait = backoff.next();
      const why = status.details ? describeDetails(status.details) : grpc.status[status.code];
      this.#wentOffline(`the stream ended (${why})`, wait);
      await sleep(wait, undefined, { signal: this.#closing.signal }).catch(() => {});
    }
  }

  async #reRegister(reason: string): Promise<void> {
    this.#notice(`the server no longer knows this client (${reason}); registering again`);
    this.#state = undefined;
    await this.#options.identity.clear();
    await this.#register().catch(() => {});
  }

  /** One Subscribe stream, from open to its status. */
  #subscribeOnce(onOpen: () => void): Promise<grpc.StatusObject> {
    const state = this.#state!;
    this.stats.subscribes++;
    return new Promise((resolve) => {
      const call = this.#client.Subscribe(this.#metadata());
      this.#stream = call;
      call.on("metadata", () => {
        onOpen();
        this.#cameOnline();
      });
      call.on("data", (delivery: Delivery) => this.#take(call, state, delivery));
      call.on("error", () => {}); // The status event below carries the outcome.
      call.on("status", (status) => {
        this.#stream = undefined;
        resolve(status);
      });
      call.write({
        open: { seen: Object.entries(state.seen).map(([group, seq]) => ({ group, seq })) },
      });
    });
  }

  #take(
    call: SubscribeStream,
    state: IdentityState,
    delivery: Delivery,
  ): void {
    const group = delivery.group;
    let seen = state.seen[group] ?? 0;
    for (const m of delivery.messages) {
      if (m.seq <= seen) {
        this.stats.duplicatesDropped++;
        continue;
      }
      seen = m.seq;
      this.stats.received++;
      this.#options.onMessage({ group, ...m });
    }
    state.seen[group] = Math.max(seen, delivery.throughSeq);
    call.write({ ack: { group, seq: delivery.throughSeq } });
    this.#saveSoon();
  }

  /** Writes the state file at most a few times a second while messages stream in. */
  #saveSoon(): void {
    this.#saveTimer ??= setTimeout(() => {
      this.#saveTimer = undefined;
      if (this.#state) this.#options.identity.save(this.#state).catch(() => {});
    }, 200);
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
      try {
        const reply = await new Promise<SendReply>((resolve, reject) =>
          this.#client.Send(
            { group: item.group, text: item.text, clientMsgId: item.clientMsgId },
            this.#metadata(),
            this.#deadline(),
            (error, value) => error ? reject(error) : resolve(value!),
          )
        );
        this.#outbox.shift();
        this.stats.sent++;
        backoff.reset();
        item.resolve(reply);
      } catch (error) {
        const code = statusOf(error);
        if (code === grpc.status.UNAUTHENTICATED) {
          await this.#reRegister(detailsOf(error));
        } else if (TRANSIENT.has(code)) {
          // Same clientMsgId on the retry: if the first try was stored, the server says so.
          const wait = backoff.next();
          this.#wentOffline(`cannot send (${detailsOf(error)})`, wait);
          await sleep(wait, undefined, { signal: this.#closing.signal }).catch(() => {});
        } else {
          this.#outbox.shift();
          item.reject(new SendRefusedError(code, detailsOf(error)));
        }
      }
    }
  }
}
