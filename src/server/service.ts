/**
 * The gRPC handlers of the Chat service: who the caller is, what it may do,
 * and the precise status for everything it may not.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { encodeBody } from "../protocol/body.ts";
import { CommitterClosedError, type GroupCommitter } from "./commit/group_commit.ts";
import { AckError, type GroupFeed, Subscription } from "./delivery/feed.ts";
import { displayName } from "../shared/format.ts";
import {
  type ChatHandlers,
  CLIENT_ID_HEADER,
  CLIENT_KEY_HEADER,
  type GroupInfo,
  type PublishReply,
  type SendReply,
  type SendRequest,
  type SubscribeFrame,
} from "../protocol/proto.ts";
import type { ClientRecord, Store } from "../store/sqlite/store.ts";
import type { StoreWriter } from "../store/sqlite/writer.ts";
import { MAX_PUBLISH_IN_FLIGHT } from "../shared/limits.ts";
import { percentiles } from "../shared/percentiles.ts";
import { checkClientMsgId, checkName, checkText } from "../shared/validate.ts";
import { encodeDelivery, MalformedRequest } from "../protocol/wire.ts";

/** A group's access rule: open to every client, or closed to a list of names. */
export class GroupPolicy {
  /** Lower-cased member names, or null for an open group. */
  readonly members: ReadonlySet<string> | null;

  constructor(members: readonly string[] | null) {
    this.members = members && new Set(members.map((m) => m.toLowerCase()));
  }

  /** Whether a client of this display name may read and write. Names match without case. */
  admits(name: string): boolean {
    return this.members === null || this.members.has(name.toLowerCase());
  }
}

/** What the service needs from the rest of the server. */
export interface ChatServiceOptions {
  store: Store;
  writer: StoreWriter;
  committer: GroupCommitter;
  feeds: ReadonlyMap<string, GroupFeed>;
  policies: ReadonlyMap<string, GroupPolicy>;
  /** One line per register, send, subscribe and disconnect. */
  log: (line: string) => void;
}

/** A gRPC error with a status code and a sentence for a person. */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

/** Hash of a client key; only this is stored. Keys are 256 random bits, so one SHA-256 suffices. */
export function hashKey(key: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(key).digest());
}

type Stream = grpc.ServerDuplexStream<SubscribeFrame, unknown>;
type PublishStream = grpc.ServerDuplexStream<SendRequest, PublishReply>;

/** The Chat service; {@link ChatService.handlers} goes to `server.addService`. */
export class ChatService {
  #options: ChatServiceOptions;
  #clients = new Map<string, ClientRecord>();
  /** Open Subscribe and Publish streams, each with what ends it with a status (shutdown). */
  #streams = new Map<
    grpc.ServerDuplexStream<unknown, unknown>,
    (status: grpc.ServiceError) => void
  >();
  /** The last 4,096 send latencies, a ring. */
  #sendMs = new Float64Array(4096);
  #sends = 0;

  constructor(options: ChatServiceOptions) {
    this.#options = options;
  }

  /** Notes the time from a stored message's arrival (`started`) to its answer. */
  #recordSend(started: number): void {
    this.#sendMs[this.#sends++ % this.#sendMs.length] = performance.now() - started;
  }

  /** Server-side time of the last stored sends, from arrival to answer (ms), p50 and p99. */
  sendLatency(): { p50: number; p99: number } {
    return percentiles(this.#sendMs, Math.min(this.#sends, this.#sendMs.length));
  }

  /** Number of open Subscribe and Publish streams, for the stats line. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /**
   * Ends every stream with `status`, so clients reconnect (shutdown). A Publish stream first
   * answers the messages it has read, which the shutdown still commits.
   */
  endStreams(code: grpc.status, details: string): void {
    for (const end of [...this.#streams.values()]) end(statusError(code, details));
  }

  /** The handlers, typed from chat.proto. */
  get handlers(): ChatHandlers {
    return {
      Register: (call, callback) => {
        this.#register(call.request).then(
          (reply) => callback(null, reply),
          (error) => callback(this.#refused(`register ${quoted(call.request)}`, error)),
        );
      },
      Send: (call, callback) => {
        const started = performance.now();
        let client: ClientRecord;
        try {
          client = this.#authenticate(call.metadata);
        } catch (error) {
          callback(this.#refused(`send from ${this.#who(call.metadata)}`, error));
          return;
        }
        this.#send(client, call.request).then(
          (reply) => {
            this.#recordSend(started);
            callback(null, reply);
          },
          (error) => callback(this.#refused(`send from ${this.#who(call.metadata)}`, error)),
        );
      },
      Publish: (call) => this.#publish(call as PublishStream),
      Subscribe: (call) => this.#subscribe(call as Stream),
    };
  }

  /** Logs a refused call and returns its status, so operators see bad input too. */
  #refused(what: string, error: unknown): grpc.ServiceError {
    const status = asServiceError(error);
    this.#options.log(`refused ${what}: ${grpc.status[status.code]}: ${status.details}`);
    return status;
  }

  #who(metadata: grpc.Metadata): string {
    const id = metadata.get(CLIENT_ID_HEADER)[0];
    const client = typeof id === "string" ? this.#clients.get(id) : undefined;
    return client
      ? displayName(client)
      : typeof id === "string" && id
      ? `client ${id}`
      : "unknown client";
  }

  async #register(request: { name: string; clientId: string; key: string }) {
    refuseMalformed(request, "RegisterRequest");
    const { writer, log } = this.#options;
    const problem = checkName(request.name);
    if (problem) throw statusError(grpc.status.INVALID_ARGUMENT, `cannot register: ${problem}`);
    let client: ClientRecord;
    let resumed = false;
    if (request.clientId !== "" || request.key !== "") {
      if (request.clientId === "" || request.key === "") {
        throw statusError(
          grpc.status.INVALID_ARGUMENT,
          "give both client_id and key to resume, or neither to register anew",
        );
      }
      client = this.#verify(
        request.clientId,
        request.key,
        () =>
          statusError(
            grpc.status.NOT_FOUND,
            `client id ${request.clientId} is not registered on this server; register again without an id`,
          ),
      );
      if (client.name !== request.name) {
        throw statusError(
          grpc.status.INVALID_ARGUMENT,
          `client ${request.clientId} is registered as "${client.name}", not "${request.name}"`,
        );
      }
      resumed = true;
    } else {
      const key = randomBytes(32).toString("base64url");
      client = { id: randomBytes(16).toString("hex"), name: request.name, keyHash: hashKey(key) };
      // Durable before the client hears its id: the server must never forget one it handed out.
      await writer.addClient(client);
      this.#clients.set(client.id, client);
      request = { ...request, key };
    }
    const groups = [...this.#options.feeds.values()].map((feed) =>
      this.#groupInfo(client, feed, resumed)
    );
    const unread = groups.map((g) => `${g.unread} unread in ${g.name}`).join(", ");
    log(`register ${displayName(client)} (${resumed ? "resumed" : "new"}; ${unread})`);
    return { clientId: client.id, key: request.key, groups, resumed };
  }

  #groupInfo(client: ClientRecord, feed: GroupFeed, resumed: boolean): GroupInfo {
    const member = this.#admits(feed.name, client);
    const cursor = this.#options.committer.cursorOf(client.id, feed.name);
    // Sequences are gap-free, so a new client (which has sent nothing) has lastSeq - cursor
    // unread; only a resumed one needs its own messages counted out, over what it missed.
    const unread = !member
      ? 0
      : resumed
      ? this.#options.store.countUnread(feed.name, cursor, client.id)
      : feed.lastSeq - cursor;
    return { name: feed.name, member, lastSeq: feed.lastSeq, cursor, unread };
  }

  /** Whether `client` may read and write `group` (a group with no policy is open). */
  #admits(group: string, client: ClientRecord): boolean {
    return this.#options.policies.get(group)?.admits(client.name) ?? true;
  }

  /**
   * The client with this id and key. An unknown id is `unknown`: NOT_FOUND for
   * Register (the client then registers anew), UNAUTHENTICATED for other calls.
   */
  #verify(clientId: string, key: string, unknown: () => grpc.ServiceError): ClientRecord {
    let client = this.#clients.get(clientId);
    if (!client) {
      client = this.#options.store.client(clientId);
      if (!client) throw unknown();
      this.#clients.set(clientId, client);
    }
    const hash = hashKey(key);
    if (!timingSafeEqual(hash, client.keyHash)) {
      throw statusError(grpc.status.UNAUTHENTICATED, `wrong key for client id ${clientId}`);
    }
    return client;
  }

  #authenticate(metadata: grpc.Metadata): ClientRecord {
    const id = metadata.get(CLIENT_ID_HEADER)[0];
    const key = metadata.get(CLIENT_KEY_HEADER)[0];
    if (typeof id !== "string" || typeof key !== "string" || id === "" || key === "") {
      throw statusError(
        grpc.status.UNAUTHENTICATED,
        `this call needs ${CLIENT_ID_HEADER} and ${CLIENT_KEY_HEADER} metadata from Register`,
      );
    }
    return this.#verify(
      id,
      key,
      () =>
        statusError(
          grpc.status.UNAUTHENTICATED,
          `client id ${id} is not registered on this server; register again`,
        ),
    );
  }

  /** Checks one message of `client` and stores it: what Send and Publish share. */
  async #send(client: ClientRecord, request: SendRequest | MalformedRequest): Promise<SendReply> {
    const { committer, feeds, policies, log } = this.#options;
    refuseMalformed(request, "SendRequest");
    const { group, text, clientMsgId } = request as SendRequest;
    if (!feeds.has(group)) {
      throw statusError(
        grpc.status.NOT_FOUND,
        `there is no group ${JSON.stringify(group.slice(0, 80))}; this server has: ${
          [...feeds.keys()].join(", ")
        }`,
      );
    }
    if (!this.#admits(group, client)) {
      throw statusError(
        grpc.status.PERMISSION_DENIED,
        `${client.name} is not a member of group ${group}; its members are ${
          [...policies.get(group)!.members!].join(", ")
        }`,
      );
    }
    const problem = checkText(text) ?? checkClientMsgId(clientMsgId);
    if (problem) throw statusError(grpc.status.INVALID_ARGUMENT, `not sent: ${problem}`);
    const fields = { senderId: client.id, senderName: client.name, text, sentAtMs: Date.now() };
    // Encoded here, once: stored as it is and spliced into every frame that carries it.
    const appended = await committer.append({
      group,
      clientMsgId,
      ...fields,
      body: encodeBody(fields),
    });
    const { seq, sentAtMs } = appended.message;
    log(
      `send ${displayName(client)} -> ${group} #${seq}${
        appended.duplicate ? " (retry, not stored again)" : ""
      }`,
    );
    return { seq, sentAtMs, duplicate: appended.duplicate };
  }

  /**
   * Publish: each request is stored as Send would store it, as soon as it arrives, so the
   * messages of many streams share commits; the replies go back in request order.
   */
  #publish(call: PublishStream): void {
    let client: ClientRecord;
    try {
      client = this.#authenticate(call.metadata);
    } catch (error) {
      this.#refused(`publish from ${this.#who(call.metadata)}`, error);
      call.emit("error", asServiceError(error));
      return;
    }
    let ended = false;
    let inFlight = 0;
    let replies: Promise<void> = Promise.resolve();
    const stop = () => {
      ended = true;
      this.#streams.delete(call);
    };
    const fail = (error: unknown) => {
      if (ended) return;
      stop();
      call.emit("error", asServiceError(error));
    };
    let closing = false;
    this.#streams.set(call, (status) => {
      closing = true;
      call.pause();
      // After this turn: a message being taken in right now is answered too.
      queueMicrotask(() => replies.then(() => fail(status)));
    });
    call.on("data", (request: SendRequest | MalformedRequest) => {
      if (ended || closing) return;
      const started = performance.now();
      const clientMsgId = request instanceof MalformedRequest ? "" : request.clientMsgId;
      const reply = this.#send(client, request).then(
        (sent): PublishReply => {
          this.#recordSend(started);
          return { clientMsgId, ...sent, code: grpc.status.OK, details: "" };
        },
        (error): PublishReply => {
          const { code, details } = this.#refused(`publish from ${displayName(client)}`, error);
          return { clientMsgId, seq: 0, sentAtMs: 0, duplicate: false, code, details };
        },
      );
      // A message counts until its reply has left: a sender that does not read its replies
      // holds at most this many messages and replies here.
      if (++inFlight === MAX_PUBLISH_IN_FLIGHT) call.pause();
      const answered = () => {
        if (--inFlight === MAX_PUBLISH_IN_FLIGHT - 1) call.resume();
      };
      replies = replies.then(() => reply).then((answer) => {
        if (ended) answered();
        else call.write(answer, answered);
      }).catch((error) => {
        answered();
        fail(error);
      });
    });
    call.on("end", () => {
      replies.then(() => {
        if (ended) return;
        stop();
        call.end();
      });
    });
    call.on("cancelled", stop);
    call.on("error", stop);
  }

  #subscribe(call: Stream): void {
    let client: ClientRecord;
    try {
      client = this.#authenticate(call.metadata);
    } catch (error) {
      call.emit("error", asServiceError(error));
      return;
    }
    const { committer, feeds, log } = this.#options;
    let subscriptions: Map<string, Subscription> | undefined;
    let ended = false;
    const stop = () => {
      if (ended) return;
      ended = true;
      this.#streams.delete(call);
      for (const s of subscriptions?.values() ?? []) s.stop();
    };
    const fail = (error: unknown) => {
      if (ended) return;
      stop();
      log(`disconnect ${displayName(client)} (${asServiceError(error).details})`);
      call.emit("error", asServiceError(error));
    };
    this.#streams.set(call, (status) => {
      stop();
      call.emit("error", status);
    });

    call.on("data", (frame: SubscribeFrame) => {
      if (ended) return;
      try {
        refuseMalformed(frame, "SubscribeFrame");
        if (subscriptions === undefined) {
          if (frame.frame !== "open" || !frame.open) {
            throw statusError(
              grpc.status.INVALID_ARGUMENT,
              "the first Subscribe frame must be open",
            );
          }
          subscriptions = new Map();
          const seen = new Map<string, number>();
          for (const ack of frame.open.seen ?? []) seen.set(ack.group ?? "", Number(ack.seq ?? 0));
          for (const feed of feeds.values()) {
            if (!this.#admits(feed.name, client)) continue;
            const claimed = seen.get(feed.name) ?? 0;
            if (!Number.isSafeInteger(claimed) || claimed < 0 || claimed > feed.lastSeq) {
              throw statusError(
                grpc.status.INVALID_ARGUMENT,
                `open says sequence ${claimed} of ${feed.name} was seen, but the group ends at ${feed.lastSeq}`,
              );
            }
            const stored = committer.cursorOf(client.id, feed.name);
            const cursor = Math.max(stored, claimed);
            if (cursor > stored) {
              committer.saveCursor({ clientId: client.id, group: feed.name, seq: cursor });
            }
            subscriptions.set(
              feed.name,
              new Subscription({
                feed,
                clientId: client.id,
                cursor,
                write: (delivery, done) => call.write(encodeDelivery(delivery), done),
                onAcked: (seq) =>
                  committer.saveCursor({ clientId: client.id, group: feed.name, seq }),
              }),
            );
          }
          // Headers now tell the client the subscription is live even when nothing is waiting.
          call.sendMetadata(new grpc.Metadata());
          const from = [...subscriptions].map(([g, s]) => `${g} after #${s.acked}`).join(", ");
          log(`subscribe ${displayName(client)} (${from || "member of no group"})`);
          for (const s of subscriptions.values()) s.start();
        } else if (frame.frame === "ack" && frame.ack) {
          const subscription = subscriptions.get(frame.ack.group);
          if (!subscription) {
            throw statusError(
              grpc.status.INVALID_ARGUMENT,
              `ack for group "${frame.ack.group}", which this stream does not deliver`,
            );
          }
          subscription.ack(Number(frame.ack.seq));
        } else {
          throw statusError(grpc.status.INVALID_ARGUMENT, "only ack frames may follow open");
        }
      } catch (error) {
        fail(error);
      }
    });
    call.on("end", () => {
      if (ended) return;
      stop();
      log(`disconnect ${displayName(client)} (stream ended)`);
      call.end();
    });
    call.on("cancelled", () => {
      if (ended) return;
      stop();
      log(`disconnect ${displayName(client)} (cancelled)`);
    });
    call.on("error", () => stop());
  }
}

/** The requested name for a log line: quoted and escaped, so a bad name cannot forge log lines. */
function quoted(request: { name?: string } | MalformedRequest): string {
  if (request instanceof MalformedRequest) return "(malformed request)";
  return JSON.stringify(String(request.name ?? "").slice(0, 80));
}

/** Throws INVALID_ARGUMENT for a request whose bytes did not decode. */
function refuseMalformed(request: unknown, type: string): void {
  if (request instanceof MalformedRequest) {
    throw statusError(
      grpc.status.INVALID_ARGUMENT,
      `the request is not a valid chat.${type} (${request.reason})`,
    );
  }
}

function asServiceError(error: unknown): grpc.ServiceError {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "number") {
    return error as grpc.ServiceError;
  }
  if (error instanceof AckError) return statusError(grpc.status.INVALID_ARGUMENT, error.message);
  if (error instanceof CommitterClosedError) {
    return statusError(grpc.status.UNAVAILABLE, "the server is shutting down; retry shortly");
  }
  const message = error instanceof Error ? error.message : String(error);
  return statusError(grpc.status.INTERNAL, `the server could not store this: ${message}`);
}
