/**
 * What a node does with the changes other nodes commit to the database they share
 * ({@link StoreChange}). Only names travel; the node reads what changed:
 *
 * - messages go to fan-out, which reads those this node misses and feeds them in order;
 * - a room changed is read and applied to the rooms here and to its members' streams here
 *   (`RoomService.syncRoom`), between two commits, as a change made here is;
 * - a device revoked loses its streams here; a device whose account was released, or an
 *   account released, has its streams ended so that it comes back as what it now is;
 * - while the database cannot be heard, the node reports NOT_SERVING through health
 *   (clients and load balancers go to another node); when it hears again (`resync`), it reads
 *   all it keeps of shared state again, since what changed meanwhile was not heard, then
 *   reports SERVING.
 *
 * How soon a change made on one node takes effect on the others is the time PostgreSQL takes
 * to deliver a notification (well under a millisecond on one machine) plus one read: bounded
 * by the database's speed, not by a timer.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../../protocol/status.ts";
import { messageOf } from "../../shared/errors.ts";
import type { StoreChange, StoreChanges, StoreReader } from "../../store/types.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import type { Fanout } from "../delivery/fanout.ts";
import type { GroupDirectory } from "../groups/directory.ts";
import type { RoomService } from "../groups/rooms.ts";
import type { OpenStreams } from "../handlers/streams.ts";
import type { Log } from "../log.ts";
import type { ServingStatus } from "../ops/health.ts";

/** What {@link followChanges} changes on this node. */
export interface Followers {
  reader: StoreReader;
  fanout: Fanout;
  groups: GroupDirectory;
  rooms: RoomService;
  auth: Authenticator;
  streams: OpenStreams;
  /** Health as probes and load balancers see it. */
  health: { set(status: ServingStatus): void };
  log: Log;
}

/** How long to wait before reading again after a read failed, at most. */
const MAX_RETRY_MS = 2_000;

/**
 * Applies the changes other nodes commit to this node, as the module doc says, until the
 * returned function is called.
 */
export function followChanges(changes: StoreChanges, node: Followers): () => void {
  const { reader, fanout, rooms, auth, streams, health, log } = node;
  let stopped = false;
  /** Changes other than messages are applied one at a time, in the order heard. */
  let queue: Promise<void> = Promise.resolve();
  /** A `resync` is waiting in the queue: changes heard before it need no work of their own. */
  let resyncs = 0;
  /** Counts connections lost: a resync ends in SERVING only if none was lost since it began. */
  let losses = 0;

  /** Runs `work` in order, again after a failed read until it succeeds or the node stops. */
  const enqueue = (what: string, work: () => Promise<void>) => {
    queue = queue.then(async () => {
      for (let failures = 0; !stopped; failures++) {
        try {
          await work();
          return;
        } catch (error) {
          log(`cannot apply ${what} from another node yet: ${messageOf(error)}`, {
            event: "cluster",
            action: what,
            details: messageOf(error),
          }, "warn");
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(50 * 2 ** failures, MAX_RETRY_MS))
          );
        }
      }
    });
  };

  /** Feeds `group` up to what the store holds now: read after its room is served here. */
  const catchUp = async (name: string) => {
    const group = node.groups.get(name);
    if (group) await fanout.latest([group.feed]);
  };

  /**
   * Reads again all this node keeps of shared state, since what changed while it was not
   * listening was not heard; then reports SERVING, unless the connection was lost again.
   */
  const resync = () => {
    resyncs++;
    const lossesBefore = losses;
    // Changes heard from here on are read by this resync or queued after it.
    let started = false;
    enqueue("a resync", async () => {
      if (!started) resyncs--;
      started = true;
      await rooms.syncAll();
      await fanout.latest([...node.groups.all()].map((g) => g.feed));
      auth.forgetAll();
      await recheck(streams.callers().map((p) => p.client.id));
      // Lost again meanwhile: the resync that follows says when it is back.
      if (losses !== lossesBefore) return;
      health.set("SERVING");
      log("database heard again: serving, with what changed meanwhile read", {
        event: "cluster",
        action: "resync",
      });
    });
  };

  /** Ends the streams of devices whose record changed: revoked, or their account with it. */
  const recheck = async (ids: readonly string[]) => {
    for (const id of ids) {
      auth.forget(id);
      const record = await reader.client(id);
      if (!record) {
        streams.endWhere(
          (p) => p.client.id === id,
          statusError(grpc.status.UNAUTHENTICATED, "this device was revoked by the operator"),
        );
      } else {
        streams.endWhere(
          (p) => p.client.id === id && p.client.account !== record.account,
          statusError(grpc.status.UNAVAILABLE, "this device's account changed; reconnect"),
        );
      }
    }
  };

  const apply = (change: StoreChange) => {
    switch (change.kind) {
      case "messages":
        // Not queued: fan-out keeps each group in order, and a room not served here yet is
        // caught up when it is (see catchUp).
        fanout.heard(change.group, change.through, change.messages);
        return;
      case "room":
        if (resyncs > 0) return;
        enqueue(`the change of room ${change.name}`, async () => {
          await rooms.syncRoom(change.name);
          await catchUp(change.name);
        });
        return;
      case "client":
        if (resyncs > 0) return;
        enqueue(`the change of device ${change.id}`, () => recheck([change.id]));
        return;
      case "account":
        auth.forgetAccount(change.handle);
        streams.endWhere(
          (p) => p.client.account === change.handle,
          statusError(
            grpc.status.UNAVAILABLE,
            `the account ${change.handle} was released; reconnect`,
          ),
        );
        return;
      case "offline":
        losses++;
        health.set("NOT_SERVING");
        log(`database unreachable: not serving until it is back (${change.reason})`, {
          event: "cluster",
          action: "offline",
          details: change.reason,
        }, "warn");
        return;
      case "resync":
        resync();
        return;
    }
  };

  const unsubscribe = changes.subscribe((change) => {
    // A fault here must not end the node (the listener reports what it is thrown as uncaught):
    // it is logged, and what it missed comes back with the next change or resync.
    try {
      apply(change);
    } catch (error) {
      log(`applying a change from another node failed: ${messageOf(error)}`, {
        event: "error",
        action: change.kind,
        details: messageOf(error),
      }, "warn");
    }
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
