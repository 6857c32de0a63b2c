/**
 * Reports this node's devices online to the nodes sharing its database
 * ({@link PresenceStore}): every {@link REPORT_MS}, what changed since the last report (a
 * member's count of devices online here), and at least every few seconds a report with no
 * change, which says this node is alive. `/who` on any node so counts devices on every node,
 * at most {@link REPORT_MS} behind for those of other nodes.
 *
 * @module
 */
import { messageOf } from "../../shared/errors.ts";
import { type MemberKey, PRESENCE_STALE_MS, type PresenceStore } from "../../store/types.ts";
import type { Sessions } from "../delivery/sessions.ts";
import type { Log } from "../log.ts";

/** How often what changed is reported. */
export const REPORT_MS = 1_000;

/** Reports `sessions` to `presence` until the returned function is called (see the module doc). */
export function reportPresence(
  presence: PresenceStore,
  sessions: Sessions,
  log: Log,
): () => void {
  /** What the other nodes were told, by member. */
  let reported = new Map<MemberKey, number>();
  let lastReportAt = 0;
  let busy = false;
  let failing = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = new Map<MemberKey, number>();
      for (const member of sessions.online()) now.set(member, sessions.devicesOnline(member));
      const changes = new Map<MemberKey, number>();
      for (const [member, devices] of now) {
        if (reported.get(member) !== devices) changes.set(member, devices);
      }
      for (const member of reported.keys()) if (!now.has(member)) changes.set(member, 0);
      // Alive: said often enough that no other node takes this one for gone.
      if (changes.size === 0 && Date.now() - lastReportAt < PRESENCE_STALE_MS / 3) return;
      if (!await presence.report(changes) && reported.size > 0) {
        // Taken for gone meanwhile: the others stopped counting what was told. All again.
        reported = new Map();
        lastReportAt = 0;
        return;
      }
      reported = now;
      lastReportAt = Date.now();
      if (failing) log("presence reported again", { event: "cluster", action: "presence" });
      failing = false;
    } catch (error) {
      // The database is away: everything is told again once it is back, since the others may
      // have taken this node for gone meanwhile.
      reported = new Map();
      if (!failing) {
        log(`cannot report who is online here: ${messageOf(error)}`, {
          event: "cluster",
          action: "presence",
          details: messageOf(error),
        }, "warn");
      }
      failing = true;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, REPORT_MS);
  tick();
  return () => clearInterval(timer);
}
