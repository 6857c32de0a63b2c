/**
 * The receiving half of a session: one Subscribe stream at a time, reopened
 * with backoff when it ends. Each message is reported once (a sequence at or
 * below what was already printed is dropped), then remembered in the state
 * file, then acknowledged through an {@link AckBatcher}: a client killed at
 * any point reprints at most the Delivery it was taking (which may carry
 * several groups' frames, `Delivery.more`). A frame may instead
 * carry room events, which are reported and neither remembered nor acked:
 * the server tells them at most once.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { AckBatcher } from "./acks.ts";
import { errorOf } from "../shared/errors.ts";
import { Backoff } from "../shared/backoff.ts";
import {
  ACKS_BATCHED,
  ACKS_HEADER,
  type ChatClient,
  type Delivery,
  type RoomEvent as WireRoomEvent,
  RoomEventKind,
} from "../protocol/proto.ts";
import { briefDetails, metadataOf } from "./calls.ts";
import type { RoomEvent } from "./events.ts";
import type { IdentityState } from "./identity.ts";
import type { SessionLink } from "./link.ts";
import type { Route } from "./routes.ts";

type SubscribeStream = ReturnType<ChatClient["Subscribe"]>;

/** Receives for a session; see the module doc. */
export class Receiver {
  /** Messages dropped because their sequence was already printed. */
  duplicatesDropped = 0;
  #link: SessionLink;
  /** The open stream; frames of any other (a retired one) are ignored. */
  #stream: SubscribeStream | undefined;
  #acks: AckBatcher | undefined;

  /** A receiver for the session behind `link`; {@link run} starts it. */
  constructor(link: SessionLink) {
    this.#link = link;
  }

  /** Subscribes and resubscribes until the session closes. */
  async run(): Promise<void> {
    const link = this.#link;
    const backoff = new Backoff(link.backoff);
    while (!link.signal.aborted) {
      let state: IdentityState;
      let route: Route;
      let ended: { status: grpc.StatusObject; retired: boolean };
      try {
        state = await link.identity();
        route = link.route();
        ended = await this.#subscribeOnce(state, route, () => backoff.reset());
      } catch {
        continue; // The registration was aborted: the loop condition ends it.
      }
      if (link.signal.aborted) break;
      // Retired for an identity being registered: subscribe as that one once it is ready.
      if (ended.retired) continue;
      const { status } = ended;
      const why = status.details ? briefDetails(status.details) : grpc.status[status.code];
      if (status.code === grpc.status.UNAUTHENTICATED) {
        await link.replace(state, why).catch(() => {});
        continue;
      }
      if (status.code === grpc.status.INVALID_ARGUMENT) {
        // The server refused our open; a resume refreshes what we know of the groups.
        link.emit({ type: "subscription-refused", details: why });
        await link.checkIn(state).catch(() => {});
      }
      if (state !== link.current()) continue; // Replaced meanwhile: subscribe as the new identity.
      await link.waitToRetry(
        { call: "subscribe", route, code: status.code, details: why, cause: status },
        backoff,
      ).catch(() => {});
    }
  }

  /**
   * Ends the stream of an identity being replaced, or of an address the session has left:
   * its frames must not be taken (or saved) as the next identity's, and the session
   * receives where it sends.
   */
  retire(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.cancel();
  }

  /** Acks everything taken and half-closes the stream: the server sees a clean goodbye. */
  end(): void {
    this.#acks?.flush();
    this.#stream?.end();
  }

  /** Cancels the stream (the server did not answer {@link end}). */
  cancel(): void {
    this.#stream?.cancel();
  }

  /**
   * One Subscribe stream for `state` by `route`, from open to its status, and whether it was
   * retired.
   */
  #subscribeOnce(
    state: IdentityState,
    route: Route,
    onOpen: () => void,
  ): Promise<{ status: grpc.StatusObject; retired: boolean }> {
    const link = this.#link;
    return new Promise((resolve) => {
      const call = route.client.Subscribe(metadataOf(state));
      this.#stream = call;
      const acks = new AckBatcher((group, seq) => call.write({ ack: { group, seq } }));
      call.on("metadata", (headers: grpc.Metadata) => {
        if (headers.get(ACKS_HEADER)[0] === ACKS_BATCHED) {
          acks.batchWith((list) => call.write({ acks: { acks: list } }));
        }
        onOpen();
        link.cameOnline(route);
      });
      this.#acks = acks;
      call.on("data", (delivery: Delivery) => {
        if (this.#stream === call && state === link.current()) this.#take(acks, state, delivery);
      });
      call.on("error", () => {}); // The status event below carries the outcome.
      call.on("status", (status) => {
        acks.cancel();
        const retired = this.#stream !== call;
        if (!retired) this.#stream = undefined;
        resolve({ status, retired });
      });
      call.write({
        open: {
          seen: Object.entries(state.seen).map(([group, seq]) => ({ group, seq })),
          acceptMore: true,
        },
      });
    });
  }

  /** One Delivery: its own group's frame, then those of `more`, each as if it came alone. */
  #take(acks: AckBatcher, state: IdentityState, delivery: Delivery): void {
    const frames = delivery.more.length ? [delivery, ...delivery.more] : [delivery];
    const taken: Delivery[] = [];
    for (const frame of frames) {
      // An events-only frame has through_seq 0 and nothing to print, remember or ack.
      if (frame.messages.length > 0 || frame.throughSeq > 0) {
        this.#takeMessages(state, frame);
        taken.push(frame);
      }
      for (const wire of frame.events) this.#takeEvent(state, frame.group, wire);
    }
    if (taken.length === 0) return;
    // Printed, then remembered, then acknowledged: a kill at any point reprints at most this
    // Delivery. One save for all its groups.
    this.#save(state);
    for (const frame of taken) acks.received(frame.group, frame.throughSeq);
  }

  #takeMessages(state: IdentityState, delivery: Delivery): void {
    const link = this.#link;
    const group = delivery.group;
    let seen = state.seen[group] ?? 0;
    for (const m of delivery.messages) {
      if (m.seq <= seen) {
        this.duplicatesDropped++;
        continue;
      }
      seen = m.seq;
      link.emit({ type: "message", message: { group, ...m } });
    }
    state.seen[group] = Math.max(seen, delivery.throughSeq);
  }

  #takeEvent(state: IdentityState, group: string, wire: WireRoomEvent): void {
    const link = this.#link;
    const event = roomEventOf(wire);
    const { handle, clientId } = event.member;
    const self = handle
      ? handle.toLowerCase() === link.handle().toLowerCase()
      : clientId !== "" && clientId === state.clientId;
    link.emit({ type: "room-event", group, event, self });
    const out = event.kind === RoomEventKind.DELETED ||
      (self && (event.kind === RoomEventKind.REMOVED || event.kind === RoomEventKind.LEFT));
    // A room of the same name made later starts at sequence 1: what was printed here must not
    // make its first messages look like duplicates.
    if (out && group in state.seen) {
      delete state.seen[group];
      this.#save(state);
    }
  }

  #save(state: IdentityState): void {
    try {
      this.#link.save(state);
    } catch (error) {
      this.#link.emit({ type: "state-save-failed", error: errorOf(error) });
    }
  }
}

/** A wire event with its member filled in (a well-formed server always sends one). */
function roomEventOf(wire: WireRoomEvent): RoomEvent {
  const member = wire.member;
  return {
    kind: wire.kind,
    member: {
      handle: member?.handle ?? "",
      role: member?.role ?? 0,
      name: member?.name ?? "",
      clientId: member?.clientId ?? "",
    },
    by: wire.by,
  };
}
