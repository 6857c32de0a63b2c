/**
 * A Subscribe stream as a session: `open` (the first frame) checks every group's
 * claimed position, then starts one {@link Subscription} per group the caller
 * may read; `ack` frames move cursors; the session ends on the client's goodbye,
 * its cancel, a bad frame, or shutdown, and logs which. While open, it is one of
 * its member's streams ({@link Sessions}): a room joined is added to it, a room
 * left is stopped on it at once, and room events are written to it.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Ack__Output as Ack } from "../../protocol/gen/chat/Ack.ts";
import {
  ACKS_BATCHED,
  ACKS_HEADER,
  type RoomEvent,
  type SubscribeFrame,
} from "../../protocol/proto.ts";
import { isServiceError, refuseMalformed, statusError } from "../../protocol/status.ts";
import { messageOf } from "../../shared/errors.ts";
import {
  encodeDelivery,
  encodeEvents,
  type MalformedRequest,
  MORE_FIELD,
} from "../../protocol/wire.ts";
import type { Principal } from "../auth/authenticator.ts";
import { Subscription } from "../delivery/subscription.ts";
import type { MemberStream } from "../delivery/sessions.ts";
import { FrameWriter } from "../delivery/writer.ts";
import type { Group } from "../groups/directory.ts";
import { MAX_PENDING_EVENTS } from "../../shared/limits.ts";
import { type MemberKey, memberKey } from "../../store/types.ts";
import type { HandlerContext } from "./context.ts";

/** The server side of one Subscribe call (deliveries are written pre-encoded). */
export type SubscribeCall = grpc.ServerDuplexStream<SubscribeFrame | MalformedRequest, unknown>;

/** One Subscribe stream of one client; see the module doc. */
export class SubscribeSession implements MemberStream {
  readonly clientId: string;
  #ctx: HandlerContext;
  #principal: Principal;
  #member: MemberKey;
  #call: SubscribeCall;
  /** Per group; undefined until `open`. */
  #subscriptions: Map<string, Subscription> | undefined;
  /**
   * Groups this stream delivered and no longer does. Acks that were on their way still move
   * the cursor through the stopped subscription, so that a member who joins again is not sent
   * what he had printed; unless the room is no longer the directory's `group` (it was deleted,
   * and maybe made again by that name, which must not start from them).
   */
  #left = new Map<string, { subscription: Subscription; group: Group | undefined }>();
  /** Frames and events go out through it, one write per turn for a client that accepts more. */
  #writer: FrameWriter | undefined;
  /** Event frames not yet taken by the transport. */
  #pendingEvents = 0;
  #ended = false;
  /** Frames that came while `open` read the cursors: taken after it, in order. */
  #early: (SubscribeFrame | MalformedRequest)[] | undefined;
  /** Rooms joined whose cursor is being read, so that a leave meanwhile can cancel them. */
  #adding = new Map<string, Group>();

  constructor(ctx: HandlerContext, principal: Principal, call: SubscribeCall) {
    this.#ctx = ctx;
    this.#principal = principal;
    this.clientId = principal.client.id;
    this.#member = memberKey(principal.client);
    this.#call = call;
    ctx.streams.add(call, principal, (status) => {
      this.#stop();
      call.emit("error", status);
    }, "subscribe");
    call.on("data", (frame: SubscribeFrame | MalformedRequest) => this.#take(frame));
    // The client half-closed: its goodbye. A cancel may come with it; that says more.
    call.on(
      "end",
      () => queueMicrotask(() => this.#end(call.cancelled ? "cancelled" : "stream ended")),
    );
    call.on("cancelled", () => this.#end("cancelled"));
    call.on("error", () => this.#stop());
  }

  #take(frame: SubscribeFrame | MalformedRequest): void {
    if (this.#ended) return;
    if (this.#early) {
      this.#early.push(frame);
      return;
    }
    try {
      refuseMalformed<SubscribeFrame>(frame, "SubscribeFrame");
      const subscriptions = this.#subscriptions;
      if (subscriptions === undefined) {
        if (frame.frame !== "open" || !frame.open) {
          throw statusError(grpc.status.INVALID_ARGUMENT, "the first Subscribe frame must be open");
        }
        this.#early = [];
        this.#open(frame.open.seen ?? [], frame.open.acceptMore ?? false).then(
          () => {
            const early = this.#early ?? [];
            this.#early = undefined;
            for (const f of early) this.#take(f);
          },
          (error) => isServiceError(error) ? this.#fail(error) : this.#unavailable(error),
        );
      } else if (frame.frame === "ack" && frame.ack) {
        this.#ack(subscriptions, frame.ack);
      } else if (frame.frame === "acks" && frame.acks) {
        for (const ack of frame.acks.acks) this.#ack(subscriptions, ack);
      } else {
        throw statusError(grpc.status.INVALID_ARGUMENT, "only ack or acks frames may follow open");
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Checks every claimed position first, then moves cursors and starts delivery. */
  async #open(seen: readonly Ack[], acceptMore: boolean): Promise<void> {
    const { committer, groups, log } = this.#ctx;
    const { client } = this.#principal;
    const claims = new Map<string, number>();
    for (const ack of seen) claims.set(ack.group ?? "", Number(ack.seq ?? 0));
    const readable = groups.readable(client);
    // A claim past what this node holds may be what other nodes committed and this one has not
    // read yet: the store says (and those are read).
    const ahead = readable.filter((g) => (claims.get(g.name) ?? 0) > g.feed.lastSeq);
    const ends = new Map<Group, number>();
    if (ahead.length > 0) {
      const seqs = await this.#ctx.fanout.latest(ahead.map((g) => g.feed));
      ahead.forEach((g, i) => ends.set(g, seqs[i]));
    }
    // Claims of groups the caller may not read (a room it left) are let be.
    for (const group of readable) {
      const claimed = claims.get(group.name) ?? 0;
      const last = ends.get(group) ?? group.feed.lastSeq;
      if (!Number.isSafeInteger(claimed) || claimed < 0 || claimed > last) {
        throw statusError(
          grpc.status.INVALID_ARGUMENT,
          `open says sequence ${claimed} of ${group.name} was seen, but the group ends at ${last}`,
        );
      }
    }
    const stored = await Promise.all(readable.map((g) => committer.cursorOf(client.id, g.name)));
    if (this.#ended) return;
    const subscriptions = new Map<string, Subscription>();
    // Rooms joined or left while the cursors were read: those left are not started, those
    // joined are added below, as a join after this point would be.
    const now = new Set(groups.readable(client));
    readable.forEach((group, i) => {
      if (!now.delete(group)) return;
      const claimed = claims.get(group.name) ?? 0;
      const cursor = Math.max(stored[i], claimed, group.floorOf(client));
      if (cursor > stored[i]) {
        committer.saveCursor({ clientId: client.id, group: group.name, seq: cursor });
      }
      subscriptions.set(group.name, this.#subscription(group, cursor));
    });
    this.#subscriptions = subscriptions;
    const metrics = this.#ctx.metrics;
    this.#writer = new FrameWriter(
      (bytes, done) => {
        metrics.deliveryWrite();
        this.#call.write(bytes, done);
      },
      acceptMore ? MORE_FIELD.delivery : undefined,
    );
    this.#ctx.sessions.add(this.#member, this);
    // Headers now tell the client the subscription is live even when nothing is waiting, and
    // that acks of several groups may share a frame.
    const headers = new grpc.Metadata();
    headers.set(ACKS_HEADER, ACKS_BATCHED);
    this.#call.sendMetadata(headers);
    const from = [...subscriptions].map(([g, s]) => `${g} after #${s.acked}`).join(", ");
    log(`subscribe ${this.#principal.label} (${from || "member of no group"})`, {
      event: "subscribe",
      client: this.#principal.label,
      client_id: this.clientId,
      groups: [...subscriptions.keys()],
    });
    for (const s of subscriptions.values()) s.start();
    for (const group of now) this.addGroup(group);
  }

  #subscription(group: Group, cursor: number): Subscription {
    const { committer, metrics } = this.#ctx;
    const clientId = this.#principal.client.id;
    return new Subscription({
      feed: group.feed,
      clientId,
      cursor,
      write: (delivery, done, fromStore) => {
        metrics.delivered(delivery.messages.length, fromStore);
        this.#writer!.write(encodeDelivery(delivery), done);
      },
      onAcked: (seq) => committer.saveCursor({ clientId, group: group.name, seq }),
      onWindowFull: () => metrics.windowFull(),
      onReadFailed: (error) => this.#unavailable(error),
    });
  }

  /** See {@link MemberStream.addGroup}. */
  addGroup(group: Group): void {
    const subscriptions = this.#subscriptions;
    if (this.#ended || !subscriptions || subscriptions.has(group.name)) return;
    if (this.#adding.get(group.name) === group) return;
    this.#adding.set(group.name, group);
    const { client } = this.#principal;
    this.#ctx.committer.cursorOf(client.id, group.name).then(
      (stored) => {
        // Left (or deleted) meanwhile: dropGroup cancelled it.
        if (this.#adding.get(group.name) !== group) return;
        this.#adding.delete(group.name);
        if (this.#ended || subscriptions.has(group.name)) return;
        this.#start(subscriptions, group, Math.max(stored, group.floorOf(client)));
      },
      (error) => {
        if (this.#adding.get(group.name) !== group) return;
        this.#adding.delete(group.name);
        this.#unavailable(error);
      },
    );
  }

  #start(subscriptions: Map<string, Subscription>, group: Group, cursor: number): void {
    const subscription = this.#subscription(group, cursor);
    subscriptions.set(group.name, subscription);
    this.#left.delete(group.name);
    subscription.start();
  }

  /** See {@link MemberStream.dropGroup}. */
  dropGroup(name: string): void {
    this.#adding.delete(name);
    const subscription = this.#subscriptions?.get(name);
    if (!subscription) return;
    subscription.stop();
    this.#subscriptions!.delete(name);
    this.#left.set(name, { subscription, group: this.#ctx.groups.get(name) });
  }

  /** See {@link MemberStream.tell}. */
  tell(group: string, events: RoomEvent[]): void {
    if (this.#ended || !this.#subscriptions || this.#pendingEvents >= MAX_PENDING_EVENTS) return;
    this.#pendingEvents++;
    this.#writer!.write(encodeEvents(group, events), () => this.#pendingEvents--);
  }

  #ack(subscriptions: ReadonlyMap<string, Subscription>, ack: Ack): void {
    const left = this.#left.get(ack.group);
    const subscription = subscriptions.get(ack.group) ??
      (left?.group && this.#ctx.groups.get(ack.group) === left.group
        ? left.subscription
        : undefined);
    // An ack of 0 acknowledges nothing (a client that knows no events acks their frames so);
    // one of a left room that was deleted since is let be.
    if (!subscription && (this.#left.has(ack.group) || Number(ack.seq) === 0)) return;
    if (!subscription) {
      throw statusError(
        grpc.status.INVALID_ARGUMENT,
        `ack for group ${
          JSON.stringify(ack.group.slice(0, 80))
        }, which this stream does not deliver`,
      );
    }
    subscription.ack(Number(ack.seq));
  }

  /** Stops delivery and forgets the stream; idempotent. */
  #stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#ctx.streams.delete(this.#call);
    if (this.#subscriptions) this.#ctx.sessions.delete(this.#member, this);
    for (const s of this.#subscriptions?.values() ?? []) s.stop();
    this.#writer?.close();
  }

  /** The client ended the stream: stop, log why, and close our side. */
  #end(why: "stream ended" | "cancelled"): void {
    if (this.#ended) return;
    this.#stop();
    this.#ctx.log(`disconnect ${this.#principal.label} (${why})`, {
      event: "disconnect",
      client: this.#principal.label,
      client_id: this.clientId,
      reason: why,
    });
    if (why === "stream ended") this.#call.end();
  }

  /**
   * The store could not be read (its database is unreachable): end the stream with
   * UNAVAILABLE, so that the client comes back, here or to another node.
   */
  #unavailable(error: unknown): void {
    if (this.#ended) return;
    this.#stop();
    const reason = `the store cannot be read: ${messageOf(error)}`;
    this.#ctx.log(`disconnect ${this.#principal.label} (${reason})`, {
      event: "disconnect",
      client: this.#principal.label,
      client_id: this.clientId,
      reason,
      status: "UNAVAILABLE",
    }, "warn");
    this.#call.emit(
      "error",
      statusError(grpc.status.UNAVAILABLE, "the server cannot read its store now; reconnect"),
    );
  }

  /** A bad frame: refuse it (logged), end the stream with its status. */
  #fail(error: unknown): void {
    if (this.#ended) return;
    this.#stop();
    const status = this.#ctx.refusals.refuse("subscribe", this.#principal.label, error);
    this.#ctx.log(`disconnect ${this.#principal.label} (${status.details})`, {
      event: "disconnect",
      client: this.#principal.label,
      client_id: this.clientId,
      reason: status.details,
      status: grpc.status[status.code],
    });
    this.#call.emit("error", status);
  }
}
