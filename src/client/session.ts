/**
 * The chat client without its terminal: a session registers (or resumes the
 * stored identity), then runs a {@link Receiver} and an {@link Outbox} that
 * recover from a lost server independently, and reports everything as typed
 * {@link ClientEvent}s. `client.ts` renders them as lines (`line.ts`); tests
 * drive a session directly.
 *
 * Nothing here blocks: every call is asynchronous with a deadline (on a
 * Publish stream, each message's: see {@link Outbox}). The one
 * thing the receiver and the outbox share is the identity: it changes only
 * when a Register succeeds, and both wait for a registration in progress
 * rather than call with credentials the server has just rejected.
 *
 * A session may be given several addresses, the nodes of one service: it moves
 * between them as `routes.ts` says. Every address is checked in at (a Register
 * that resumes the identity) before anything else is called there: that tells
 * which server it reaches (the identity store keeps the hint), refreshes the
 * groups, and is the `connected` event that names the address. The cursor and the
 * outbox stay as they are, so the next node sends what was not acknowledged and
 * answers a resent message with its original sequence: nothing is lost or repeated.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff, type BackoffOptions } from "../shared/backoff.ts";
import { errorOf } from "../shared/errors.ts";
import { displayName } from "../shared/format.ts";
import { DEFAULT_GROUP, DEFAULT_HISTORY_PAGE, MAX_SEND_MESSAGE_BYTES } from "../shared/limits.ts";
import {
  type ChatClient,
  chatProto,
  type HistoryReply,
  HistoryVisibility,
  type InviteReply,
  type Member,
  type RegisterReply,
  RETRY_AFTER_MS_HEADER,
  type RoomInfo,
  type SendReply,
  Visibility,
} from "../protocol/proto.ts";
import {
  detailsOf,
  metadataOf,
  refusalOf,
  RefusedError,
  type ReplyOf,
  type RequestOf,
  statusOf,
  TRANSIENT,
  unary,
  type UnaryMethod,
} from "./calls.ts";
import type {
  ClientEvent,
  MemberRole,
  OfflineEvent,
  RoomHistory,
  RoomVisibility,
} from "./events.ts";
import type { IdentityState } from "./identity.ts";
import type { IdentityStore } from "./identity_store.ts";
import type { Outage, SessionLink } from "./link.ts";
import { Outbox } from "./outbox.ts";
import { Receiver } from "./receiver.ts";
import { type Route, Routes } from "./routes.ts";

/** How to connect, and where to report. */
export interface ChatSessionOptions {
  /** The display name. */
  name: string;
  /**
   * `host:port` of the server, or of each node of one service, in the order to try them
   * (see `routes.ts`).
   */
  address: string | readonly string[];
  /** Where the identity is kept; opened for this name and these addresses. */
  identity: IdentityStore;
  /**
   * Called for everything the session has to say: messages (once each, in
   * sequence order per group), connection status, refusals.
   */
  onEvent: (event: ClientEvent) => void;
  /**
   * What proves an account when this device registers anew (see chat.proto's
   * RegisterRequest): an invite code, an identity provider's token, or a link code.
   */
  proof?: { invite?: string; token?: string; linkCode?: string };
  /**
   * The channel's credentials, or each address's (a certificate is checked against the host
   * connected to); insecure (plain TCP) by default.
   */
  credentials?: grpc.ChannelCredentials | ((address: string) => grpc.ChannelCredentials);
  backoff?: BackoffOptions;
  /** Deadline of each unary call; {@link CALL_TIMEOUT_MS} by default. */
  callTimeoutMs?: number;
}

/** The deadline of each unary call, unless {@link ChatSessionOptions.callTimeoutMs} says. */
export const CALL_TIMEOUT_MS = 5_000;

/** What was left when the session closed. */
export interface CloseReport {
  /** Typed messages the server never got. */
  unsent: number;
  /** Messages on their way and not answered: the server may or may not have stored them. */
  inDoubt: number;
}

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

/** How a room is made: who may join it, and what a new member may read. */
export interface RoomOptions {
  /** OPEN (every device, guests too; the default) or INVITE_ONLY. */
  visibility?: RoomVisibility;
  /** HISTORY_ALL (the default) or HISTORY_SINCE_JOIN. */
  history?: RoomHistory;
}

/** The wait a rate-limited server asks for (`retry-after-ms` metadata), or 0. */
function retryAfterMs(error: unknown): number {
  const value = (error as grpc.ServiceError)?.metadata?.get?.(RETRY_AFTER_MS_HEADER)[0];
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 600_000) : 0;
}

/** One connected client; see the module doc. */
export class ChatSession {
  #options: ChatSessionOptions;
  #routes: Routes;
  /** The current identity; replaced only by a successful Register. */
  #state: IdentityState | undefined;
  /** The route of the last successful Register: calls elsewhere wait for a check-in there. */
  #checkedIn: Route | undefined;
  #registering: Promise<IdentityState> | undefined;
  #closing = new AbortController();
  /** The account this device proves, as the last Register said; empty for a guest. */
  #handle = "";
  /** The display name as the server registered it (an identity provider's may differ). */
  #name: string;
  #resolveEnded!: (error: RefusedError) => void;
  /**
   * Resolves if, after {@link start}, the server refuses this client for good (its token
   * expired, its account was revoked and it cannot register again): the session has then
   * stopped. Never rejects.
   */
  readonly ended: Promise<RefusedError> = new Promise((resolve) => this.#resolveEnded = resolve);
  #online = false;
  /** The addresses whose failure was told in the outage under way. */
  #offlineSaid = new Set<string>();
  #receiver: Receiver;
  #outbox: Outbox;
  #loops: Promise<void>[] = [];

  /** A session that connects when {@link start} is called. */
  constructor(options: ChatSessionOptions) {
    this.#options = options;
    this.#name = options.name;
    const { credentials } = options;
    this.#routes = new Routes(
      typeof options.address === "string" ? [options.address] : options.address,
      (address): ChatClient =>
        new chatProto.chat.Chat(
          address,
          typeof credentials === "function"
            ? credentials(address)
            : credentials ?? grpc.credentials.createInsecure(),
          CLIENT_CHANNEL_OPTIONS,
        ),
    );
    const link: SessionLink = {
      route: () => this.#routes.current,
      signal: this.#closing.signal,
      backoff: options.backoff,
      current: () => this.#state,
      handle: () => this.#handle,
      identity: () => this.#identity(),
      replace: (rejected, details) => this.#replace(rejected, details),
      checkIn: (state) => this.#register(state),
      save: (state) => options.identity.save(state),
      online: () => this.#online,
      waitToRetry: (outage, backoff) => this.#waitToRetry(outage, backoff),
      cameOnline: (route) => this.#cameOnline(route),
      emit: (event) => this.#emit(event),
      callOptions: () => this.#callOptions(),
    };
    this.#receiver = new Receiver(link);
    this.#outbox = new Outbox(link);
  }

  /** This client as others see it, e.g. `Luis#7f3a`; empty before registration. */
  get displayName(): string {
    return this.#state
      ? displayName({ name: this.#name, id: this.#state.clientId, handle: this.#handle })
      : "";
  }

  /** The client id the server gave; empty before registration. */
  get clientId(): string {
    return this.#state?.clientId ?? "";
  }

  /** Messages typed and not yet acknowledged by the server. */
  get unsent(): number {
    return this.#outbox.size;
  }

  /** Messages dropped because their sequence was already printed. */
  get duplicatesDropped(): number {
    return this.#receiver.duplicatesDropped;
  }

  /**
   * Registers (or resumes the stored identity), retrying with backoff until
   * the server answers, then starts receiving and sending in the background.
   * @throws {RefusedError} if the server refuses this client.
   * @throws {Error} if the session was closed meanwhile, or the state dir cannot be written.
   */
  async start(): Promise<void> {
    // A code is given to become an account: the device registers anew with it, even where a
    // (guest) identity is stored, which the new one then replaces.
    const { invite, linkCode } = this.#options.proof ?? {};
    const stored = invite || linkCode ? undefined : this.#options.identity.stored;
    this.#state = stored;
    await this.#register(stored);
    this.#closing.signal.throwIfAborted();
    this.#loops.push(this.#receiver.run(), this.#outbox.run());
  }

  /**
   * Queues `text` for `group`. Resolves with the stored sequence once the
   * server has made it durable; retries (with the same message id) while the
   * server is away. A refused message is reported as a `refused` event.
   * @throws {RefusedError} (as a rejection) if the server refuses it, or
   * would (the text fails `checkText`: refused before sending).
   */
  send(text: string, group: string = DEFAULT_GROUP): Promise<SendReply> {
    return this.#outbox.send(text, group);
  }

  /**
   * Resolves once every message queued so far has been answered by the server (stored, or
   * refused) and nothing else is queued, or once `timeoutMs` (by default the deadline of one
   * call) has passed, whichever comes first: a command waits with it for the lines typed
   * before it, and a server that is away holds it up no longer than that. Never rejects;
   * resolves at once when nothing is queued (as after {@link close}).
   */
  settled(timeoutMs: number = this.#options.callTimeoutMs ?? CALL_TIMEOUT_MS): Promise<void> {
    return this.#outbox.whenEmpty(timeoutMs);
  }

  /**
   * A one-time code with which another device joins this device's account
   * (`-link CODE` there), and until when it is valid.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: this device is a guest.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async createLinkCode(): Promise<{ code: string; expiresAtMs: number }> {
    const { code, expiresAtMs } = await this.#call("CreateLinkCode", {});
    return { code, expiresAtMs: Number(expiresAtMs) };
  }

  /**
   * Makes room `name`, open with its whole history by default; this device's account is its
   * owner and first member. Resolves with the room as the server made it.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: a guest, a bad or taken
   * name (INVALID_ARGUMENT, ALREADY_EXISTS).
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached, or is at a
   * bound (RESOURCE_EXHAUSTED, which is worth retrying later: too many rooms).
   */
  async createRoom(name: string, options: RoomOptions = {}): Promise<RoomInfo> {
    const reply = await this.#call("CreateRoom", {
      name,
      visibility: options.visibility ?? Visibility.OPEN,
      history: options.history ?? HistoryVisibility.HISTORY_ALL,
    });
    return roomOf(reply.room, "CreateRoom");
  }

  /**
   * Joins `room`: an open one, or an invite-only one this account was invited to or holds
   * a one-time `code` of. Its messages then come on the stream like any group's.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: no such room, no invite,
   * a bad code, already a member.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async joinRoom(room: string, code = ""): Promise<RoomInfo> {
    return roomOf((await this.#call("JoinRoom", { room, code })).room, "JoinRoom");
  }

  /**
   * Leaves `room`. Resolves with `deleted: true` when this was its last member: the room and
   * its history are gone.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: not a member, the last
   * owner while others remain (FAILED_PRECONDITION), an operator's group.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async leaveRoom(room: string): Promise<{ deleted: boolean }> {
    const { deleted } = await this.#call("LeaveRoom", { room });
    this.#forget(room);
    return { deleted };
  }

  /**
   * Invites account `handle` to `room`; with no handle, makes a one-time code that any
   * account may join with (`code` and `expiresAtMs` in the reply; empty for a handle).
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: not an owner or admin,
   * no such account, already a member or invited.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async inviteToRoom(room: string, handle = ""): Promise<InviteReply> {
    const { code, expiresAtMs } = await this.#call("InviteToRoom", { room, handle });
    return { code, expiresAtMs: Number(expiresAtMs) };
  }

  /**
   * Removes account `handle` from `room`; resolves with the member as it was removed.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: a role too low, no
   * such member.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async removeMember(room: string, handle: string): Promise<Member> {
    return memberOf((await this.#call("RemoveMember", { room, handle })).member, "RemoveMember");
  }

  /**
   * Gives member `handle` of `room` the role `role`; resolves with the member as it is now.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: not an owner, no such
   * member, the room would have no owner left (FAILED_PRECONDITION).
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async setRole(room: string, handle: string, role: MemberRole): Promise<Member> {
    return memberOf((await this.#call("SetRole", { room, handle, role })).member, "SetRole");
  }

  /**
   * Up to `limit` (1 to 100) messages of `room` before sequence `beforeSeq` (0: the newest),
   * oldest first, with whether older ones remain that this client may read.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: not a member, a bad limit.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async history(
    room: string,
    beforeSeq = 0,
    limit = DEFAULT_HISTORY_PAGE,
  ): Promise<HistoryReply> {
    const { messages, more } = await this.#call("History", { room, beforeSeq, limit });
    return { messages, more };
  }

  /**
   * The groups this client is in, with unread counts and its role, then those it can join
   * (open ones, and those its account is invited to), each part by name.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async listRooms(): Promise<RoomInfo[]> {
    return (await this.#call("ListRooms", {})).rooms;
  }

  /**
   * Who is in `room` and how many of their devices are online now: every member of a room,
   * owners first; the devices online in an operator's open group.
   *
   * @throws {RefusedError} (as a rejection) if the server refuses: not a member, no such room.
   * @throws {grpc.ServiceError} (as a rejection) if the server cannot be reached.
   */
  async listMembers(room: string): Promise<Member[]> {
    return (await this.#call("ListMembers", { room })).members;
  }

  /**
   * Waits up to `drainMs` for the outbox to empty, ends the subscription,
   * saves the state and releases the identity. Says what was left unsent.
   */
  async close(drainMs = 5_000): Promise<CloseReport> {
    if (!this.#closing.signal.aborted) await this.#outbox.whenEmpty(drainMs);
    const inDoubt = this.#outbox.inFlight;
    const report = { unsent: this.#outbox.size - inDoubt, inDoubt };
    this.#closing.abort();
    this.#outbox.abandon();
    // Every ack out, then half-close so the server sees a clean goodbye; cancel if it does not answer.
    this.#receiver.end();
    const timer = setTimeout(() => this.#receiver.cancel(), 1_000);
    await Promise.allSettled([...this.#loops, this.#registering]);
    clearTimeout(timer);
    try {
      if (this.#state) this.#options.identity.save(this.#state);
    } catch {
      // Already reported when it first failed; the server's cursor still holds.
    }
    this.#routes.close();
    this.#options.identity.release();
    return report;
  }

  /**
   * One unary call as the current identity (waiting for a registration in progress), with a
   * deadline, cancelled if the session closes.
   * @throws {RefusedError} (as a rejection) for a status not worth retrying.
   * @throws {grpc.ServiceError} (as a rejection) for one that is ({@link TRANSIENT}).
   */
  async #call<K extends UnaryMethod>(method: K, request: RequestOf<K>): Promise<ReplyOf<K>> {
    const state = await this.#identity();
    try {
      return await unary(this.#routes.current.client, method, request, {
        metadata: metadataOf(state),
        options: this.#callOptions(),
        signal: this.#closing.signal,
      });
    } catch (error) {
      throw refusalOf(error);
    }
  }

  /**
   * Forgets what was printed of `room` (named as typed: the server also finds it lower-cased),
   * which this client has just left: a room made later under its name starts at sequence 1.
   * Done here, not on an event: the room's stream may stop before the server tells of it.
   */
  #forget(room: string): void {
    const state = this.#state;
    const name = state && (room in state.seen ? room : room.toLowerCase());
    if (!state || !name || !(name in state.seen)) return;
    delete state.seen[name];
    try {
      this.#options.identity.save(state);
    } catch (error) {
      this.#emit({ type: "state-save-failed", error: errorOf(error) });
    }
  }

  #callOptions(): grpc.CallOptions {
    return { deadline: Date.now() + (this.#options.callTimeoutMs ?? CALL_TIMEOUT_MS) };
  }

  #emit(event: ClientEvent): void {
    this.#options.onEvent(event);
  }

  /** See {@link SessionLink.waitToRetry}. */
  async #waitToRetry(outage: Outage, backoff: Backoff): Promise<void> {
    const signal = this.#closing.signal;
    const verdict = this.#routes.failed(outage.route, outage.code);
    if (verdict.kind === "stale") {
      // Another loop has moved the session on and said so: try where it is now.
      if (verdict.waitMs > 0) await sleep(verdict.waitMs, undefined, { signal });
      return;
    }
    // A server that limits this client says how long to wait: hammering it gains nothing.
    const wait = verdict.kind === "moved"
      ? 0
      : Math.max(backoff.next(), retryAfterMs(outage.cause));
    const next = verdict.kind === "stay" || verdict.to === outage.route ? undefined : verdict.to;
    // The other loop and the check-in at the next address wait with this one.
    if (verdict.kind === "round" && next) this.#routes.hold(wait);
    this.#wentOffline(outage, wait, next?.address);
    // Received where it sends: a stream still open at the address left ends, and opens again
    // after the check-in at the next one.
    if (next) this.#receiver.retire();
    if (wait > 0) await sleep(wait, undefined, { signal });
  }

  #wentOffline({ call, route, details }: Outage, retryMs: number, next?: string): void {
    this.#online = false;
    if (this.#offlineSaid.has(route.address)) return;
    this.#offlineSaid.add(route.address);
    const event: OfflineEvent = { type: "offline", call, address: route.address, details, retryMs };
    this.#emit(next === undefined ? event : { ...event, next });
  }

  #cameOnline(route: Route): void {
    // A call that still went by an address the session has left says nothing of the current.
    if (route !== this.#routes.current) return;
    this.#routes.reached(route);
    this.#online = true;
    if (this.#offlineSaid.size > 0) {
      this.#offlineSaid.clear();
      this.#emit({ type: "online", queued: this.#outbox.size });
    }
  }

  /**
   * The identity to call with, waiting for a registration in progress; after a move to
   * another address, for a check-in there.
   */
  async #identity(): Promise<IdentityState> {
    if (this.#registering) return await this.#registering;
    if (this.#state && this.#checkedIn !== this.#routes.current) {
      return await this.#checkIn(this.#state);
    }
    return this.#state!;
  }

  /**
   * Registers again as `from` (a resume, or anew if the server refuses it); a refusal for
   * good ends the session.
   */
  #checkIn(from: IdentityState, revokedSaid = false): Promise<IdentityState> {
    const again = this.#register(from, revokedSaid);
    again.catch((error) => {
      if (error instanceof RefusedError) this.#end(error);
    });
    return again;
  }

  /**
   * Registers from `from` (resume) or afresh (undefined). Concurrent callers
   * share one attempt, so a rejected identity is replaced once, not once per loop.
   */
  #register(from: IdentityState | undefined, revokedSaid = false): Promise<IdentityState> {
    this.#registering ??= this.#registerWithRetry(from, revokedSaid).finally(() =>
      this.#registering = undefined
    );
    return this.#registering;
  }

  /**
   * The server rejected `rejected` in a call: check in again, unless another caller already
   * did. It resumes first (a token is renewed that way; an identity the server no longer
   * knows is then replaced by a new one). A refusal for good ends the session.
   */
  #replace(rejected: IdentityState, details: string): Promise<IdentityState> {
    if (this.#state !== rejected) return this.#identity();
    if (!this.#registering) this.#emit({ type: "identity-revoked", details });
    return this.#checkIn(rejected, true);
  }

  /** The server refused this client for good: stop, and tell whoever awaits {@link ended}. */
  #end(error: RefusedError): void {
    if (this.#closing.signal.aborted) return;
    this.#emit({ type: "ended", code: error.code, details: error.message });
    this.#closing.abort();
    this.#resolveEnded(error);
  }

  /** One Register call by `route` as `stored` (or anew), cancelled if the session closes. */
  #callRegister(route: Route, stored: IdentityState | undefined): Promise<RegisterReply> {
    // Codes go only with a registration anew (they are used once); a token goes every time,
    // as the server grants a token's account only while a valid one is shown.
    const { invite, linkCode, token } = this.#options.proof ?? {};
    const proof = stored ? { token } : { invite, linkCode, token };
    return unary(route.client, "Register", {
      name: this.#options.name,
      clientId: stored?.clientId ?? "",
      key: stored?.key ?? "",
      invite: proof.invite ?? "",
      token: proof.token ?? "",
      linkCode: proof.linkCode ?? "",
    }, { options: this.#callOptions(), signal: this.#closing.signal });
  }

  /** @param revokedSaid an `identity-revoked` event already told of `from`'s rejection. */
  async #registerWithRetry(
    from: IdentityState | undefined,
    revokedSaid = false,
  ): Promise<IdentityState> {
    const backoff = new Backoff(this.#options.backoff);
    const signal = this.#closing.signal;
    let stored = from;
    while (true) {
      signal.throwIfAborted();
      // Every address failed in turn: another loop is waiting its backoff, and so does this.
      const hold = this.#routes.holdMs;
      if (hold > 0) await sleep(hold, undefined, { signal });
      const route = this.#routes.current;
      let reply: RegisterReply;
      try {
        reply = await this.#callRegister(route, stored);
      } catch (error) {
        signal.throwIfAborted();
        const code = statusOf(error);
        if (stored && (code === grpc.status.NOT_FOUND || code === grpc.status.UNAUTHENTICATED)) {
          if (!revokedSaid) {
            this.#emit({ type: "identity-rejected", code, details: detailsOf(error) });
          }
          stored = undefined;
          continue;
        }
        if (!TRANSIENT.has(code)) throw new RefusedError(code, detailsOf(error));
        const details = detailsOf(error);
        await this.#waitToRetry({ call: "register", route, code, details, cause: error }, backoff);
        continue;
      }
      const fresh = !(stored && reply.resumed);
      const state = fresh ? { clientId: reply.clientId, key: reply.key, seen: {} } : stored!;
      if (this.#state && this.#state.clientId !== state.clientId) {
        // Frames of the old identity's stream must not be taken (or saved) as this one's.
        this.#receiver.retire();
      }
      this.#clampSeen(state, reply);
      // Saved where the server that answered keeps it; a stored identity of that server wins
      // over one just made, and is resumed by one more Register (identity_store.ts).
      const instead = await this.#options.identity.settle(
        state,
        reply.serverId,
        fresh,
        route.address,
      );
      if (instead) {
        stored = instead;
        continue;
      }
      this.#state = state;
      this.#checkedIn = route;
      this.#handle = reply.handle;
      this.#name = reply.name || this.#options.name;
      this.#cameOnline(route);
      this.#emit({
        type: "connected",
        address: route.address,
        displayName: this.displayName,
        resumed: reply.resumed,
        groups: reply.groups,
        handle: reply.handle,
        guestReason: reply.guestReason,
      });
      return state;
    }
  }

  /**
   * Forgets what was printed of groups the server no longer lists for this client (the reply
   * lists the operator's groups and the rooms the client is in): a room left, or removed from,
   * while this client was away, may be made again later and start at sequence 1.
   *
   * A group that ends before what this client has printed means the server's
   * database was replaced or restored: read on from where the group ends now.
   */
  #clampSeen(state: IdentityState, reply: RegisterReply): void {
    const listed = new Set(reply.groups.map((group) => group.name));
    for (const name of Object.keys(state.seen)) {
      if (!listed.has(name)) delete state.seen[name];
    }
    for (const group of reply.groups) {
      const seen = state.seen[group.name] ?? 0;
      if (seen > group.lastSeq) {
        this.#emit({
          type: "history-rewound",
          group: group.name,
          lastSeq: group.lastSeq,
          printedSeq: seen,
        });
        state.seen[group.name] = group.lastSeq;
      }
    }
  }
}

/**
 * The room of a RoomReply.
 * @throws {Error} if the reply has none (a server that breaks chat.proto).
 */
function roomOf(room: RoomInfo | null, method: string): RoomInfo {
  if (!room) throw new Error(`the server answered ${method} without the room`);
  return room;
}

/**
 * The member of a MemberReply.
 * @throws {Error} if the reply has none (a server that breaks chat.proto).
 */
function memberOf(member: Member | null, method: string): Member {
  if (!member) throw new Error(`the server answered ${method} without the member`);
  return member;
}
