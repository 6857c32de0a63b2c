/**
 * Raw gRPC calls for tests: a typed client of the real service and promise
 * wrappers that surface the status code and details, so tests can assert the
 * exact refusal a client would see.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { CLIENT_CHANNEL_OPTIONS } from "../src/client/session.ts";
import { unary } from "../src/client/calls.ts";
import {
  ACCEPT_MORE_HEADER,
  ADMIN_SECRET_HEADER,
  type ChatClient,
  chatProto,
  CLIENT_ID_HEADER,
  CLIENT_KEY_HEADER,
  type Delivery,
  type PublishReply,
  type RegisterReply,
  type SendReply,
  type SendRequest,
  type SubscribeFrame,
} from "../src/protocol/proto.ts";

/**
 * A client stub for `127.0.0.1:port`. With `ownConnection`, its channel opens an HTTP/2
 * connection of its own (a local subchannel pool), as a separate client process would.
 */
export function rawClient(port: number, { ownConnection = false } = {}): ChatClient {
  return new chatProto.chat.Chat(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    ownConnection
      ? { ...CLIENT_CHANNEL_OPTIONS, "grpc.use_local_subchannel_pool": 1 }
      : CLIENT_CHANNEL_OPTIONS,
  );
}

/**
 * Opens a Subscribe stream as `who` with `seen` in its open frame; resolves once the server
 * has answered with headers (the subscription is live), rejects if the stream fails first.
 * `acceptMore`: the stream reads `Delivery.more`, as the client does.
 */
export async function openSubscription(
  client: ChatClient,
  who: { clientId: string; key: string },
  seen: { group: string; seq: number }[] = [],
  { acceptMore = false } = {},
): Promise<grpc.ClientDuplexStream<SubscribeFrame, Delivery>> {
  const call = client.Subscribe(auth(who.clientId, who.key));
  await new Promise((resolve, reject) => {
    call.once("metadata", resolve);
    call.once("error", reject);
    call.write({ open: { seen, acceptMore } });
  });
  return call;
}

/** Identity metadata for calls after Register. */
export function auth(id: string, key: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (id) metadata.set(CLIENT_ID_HEADER, id);
  if (key) metadata.set(CLIENT_KEY_HEADER, key);
  return metadata;
}

const deadline = () => ({ deadline: Date.now() + 5_000 });

/** Register, as a promise; `proof` carries an invite, a token or a link code for a new device. */
export function register(
  client: ChatClient,
  name: string,
  clientId = "",
  key = "",
  proof: { invite?: string; token?: string; linkCode?: string } = {},
): Promise<RegisterReply> {
  return unary(client, "Register", { name, clientId, key, ...proof }, { options: deadline() });
}

/** CreateLinkCode, as a promise. */
export async function createLinkCode(
  client: ChatClient,
  who: { clientId: string; key: string },
): Promise<{ code: string; expiresAtMs: number }> {
  const reply = await unary(client, "CreateLinkCode", {}, {
    metadata: auth(who.clientId, who.key),
    options: deadline(),
  });
  return { code: reply.code, expiresAtMs: Number(reply.expiresAtMs) };
}

/** An Admin client for `127.0.0.1:port`, and its calls as promises with `secret`. */
export function rawAdmin(port: number, secret: string) {
  const admin = new chatProto.chat.Admin(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = () => {
    const m = new grpc.Metadata();
    if (secret) m.set(ADMIN_SECRET_HEADER, secret);
    return m;
  };
  const call = <T>(start: (done: (e: grpc.ServiceError | null, r?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => start((e, r) => e ? reject(e) : resolve(r!)));
  return {
    invite: (handle = "") =>
      call<{ code: string }>((done) =>
        admin.CreateInvite({ handle }, metadata(), deadline(), done)
      ),
    release: (handle: string) =>
      call<{ devices: number }>((done) =>
        admin.ReleaseHandle({ handle }, metadata(), deadline(), done)
      ),
    revoke: (clientId: string) =>
      call<unknown>((done) => admin.RevokeDevice({ clientId }, metadata(), deadline(), done)),
    close: () => admin.close(),
  };
}

/** The room calls of the Chat service (chat.proto), by method name. */
export type RoomMethod =
  | "CreateRoom"
  | "JoinRoom"
  | "LeaveRoom"
  | "InviteToRoom"
  | "RemoveMember"
  | "SetRole"
  | "History"
  | "ListRooms"
  | "ListMembers";

/**
 * A room call (e.g. `roomCall(client, alice, "JoinRoom", { room: "dev" })`) as `who`, as a
 * promise of its decoded reply (proto3 defaults filled in, enums as numbers).
 */
export function roomCall<T = Record<string, unknown>>(
  client: ChatClient,
  who: { clientId: string; key: string },
  method: RoomMethod,
  request: Record<string, unknown> = {},
): Promise<T> {
  // Untyped on purpose: tests send fields as they please (bad ones included) and read what
  // they expect back.
  return unary(client, method, request as never, {
    metadata: auth(who.clientId, who.key),
    options: deadline(),
  }) as Promise<T>;
}

/** Send, as a promise. */
export function send(
  client: ChatClient,
  who: { clientId: string; key: string },
  text: string,
  clientMsgId: string = crypto.randomUUID(),
  group = "general",
): Promise<SendReply> {
  return unary(client, "Send", { group, text, clientMsgId }, {
    metadata: auth(who.clientId, who.key),
    options: deadline(),
  });
}

/**
 * A Publish stream that sends one message at a time: {@link Publisher.send} resolves with the
 * reply to that message, in order. `close` ends the stream.
 */
export class Publisher {
  /** The stream itself (its headers, say). */
  readonly call: grpc.ClientDuplexStream<SendRequest, PublishReply>;
  #waiting: { resolve: (r: PublishReply) => void; reject: (e: unknown) => void }[] = [];
  /** Reply messages received (fewer than replies when they share messages). */
  messages = 0;
  /** How the stream ended. */
  readonly status: Promise<grpc.StatusObject>;

  /** `acceptMore`: the stream reads `PublishReply.more` (several replies in one message). */
  constructor(
    client: ChatClient,
    who: { clientId: string; key: string },
    { acceptMore = false } = {},
  ) {
    const metadata = auth(who.clientId, who.key);
    if (acceptMore) metadata.set(ACCEPT_MORE_HEADER, "1");
    this.call = client.Publish(metadata);
    this.status = new Promise((resolve) => this.call.on("status", resolve));
    this.call.on("data", (reply: PublishReply) => {
      this.messages++;
      for (const one of [reply, ...reply.more]) this.#waiting.shift()?.resolve(one);
    });
    this.call.on("error", (error) => {
      for (const w of this.#waiting.splice(0)) w.reject(error);
    });
  }

  /** Publishes `text`; resolves with its reply (stored or refused). */
  send(
    text: string,
    clientMsgId: string = crypto.randomUUID(),
    group = "general",
  ): Promise<PublishReply> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.call.write({ group, text, clientMsgId });
    });
  }

  close(): void {
    this.call.end();
  }
}

/** The rejection of `promise`, which must reject with a gRPC status. */
export async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; details: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as grpc.ServiceError;
    return { code: grpc.status[e.code], details: e.details };
  }
  throw new Error("the call succeeded; a refusal was expected");
}

/** A Subscribe stream that records deliveries and its final status. */
export class RawSubscription {
  readonly deliveries: Delivery[] = [];
  readonly call: ReturnType<ChatClient["Subscribe"]>;
  readonly status: Promise<grpc.StatusObject>;
  #waiters = new Set<() => void>();

  constructor(client: ChatClient, metadata: grpc.Metadata) {
    this.call = client.Subscribe(metadata);
    this.call.on("data", (d: Delivery) => {
      this.deliveries.push(d);
      for (const w of this.#waiters) w();
    });
    this.call.on("error", () => {});
    this.status = new Promise((resolve) => this.call.on("status", resolve));
  }

  /** Sequence numbers of every message received. */
  get seqs(): number[] {
    return this.deliveries.flatMap((d) => d.messages.map((m) => m.seq));
  }

  /** Waits until `predicate` holds over the deliveries, or fails after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const seqs = this.seqs;
        const got = seqs.length > 20
          ? `${seqs.length} messages, ${seqs.slice(0, 5)} ... ${seqs.slice(-5)}`
          : `seqs [${seqs}]`;
        reject(new Error(`condition not met within ${timeoutMs} ms; got ${got}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

/** Sends raw bytes as the request of `method` (e.g. "Send"), bypassing the protobuf encoder. */
export function rawCall(
  client: ChatClient,
  method: string,
  bytes: Uint8Array,
  metadata = new grpc.Metadata(),
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      `/chat.Chat/${method}`,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      bytes,
      metadata,
      deadline(),
      (e, r) => e ? reject(e) : resolve(r),
    )
  );
}

/**
 * Waits until `check()` holds, looking every 10 ms.
 *
 * @throws {Error} naming `what` if it does not hold within `timeoutMs`.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
