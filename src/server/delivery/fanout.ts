/**
 * The one rule of fan-out timing: committed messages enter their group feeds at
 * once, and subscribers are woken after this turn of the event loop. Senders'
 * answers therefore go out first, and commits that end in the same turn reach
 * each subscriber in one frame. Commits come in as batches from wherever they
 * were made (this node's group commit today; another node's, read back from the
 * shared store, next).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Appended, StoredMessage } from "../../store/types.ts";
import type { GroupFeed } from "./feed.ts";

/** Routes committed batches to group feeds and wakes their subscribers; see the module doc. */
export class Fanout {
  #feedOf: (group: string) => GroupFeed | undefined;
  #schedule: (wake: () => void) => void;
  #woken = new Set<GroupFeed>();
  #scheduled = false;

  /**
   * @param feedOf the feed of a group, if this server serves it.
   * @param schedule runs the wake-up after a publish: after this turn by default
   *   (unit tests may run it at once).
   */
  constructor(
    feedOf: (group: string) => GroupFeed | undefined,
    schedule: (wake: () => void) => void = setImmediate,
  ) {
    this.#feedOf = feedOf;
    this.#schedule = schedule;
  }

  /** Takes committed messages (retries left out), in sequence order per group. */
  publish(appended: readonly Appended[]): void {
    let start = 0;
    // A batch is in sequence order per group; each group's run goes to its feed at once.
    for (let i = 1; i <= appended.length; i++) {
      if (i === appended.length || appended[i].group !== appended[start].group) {
        const feed = this.#feedOf(appended[start].group);
        if (feed) {
          const run: StoredMessage[] = new Array(i - start);
          for (let j = start; j < i; j++) run[j - start] = appended[j].message;
          feed.append(run);
          this.#woken.add(feed);
        }
        start = i;
      }
    }
    if (this.#scheduled || this.#woken.size === 0) return;
    this.#scheduled = true;
    this.#schedule(this.#wake);
  }

  #wake = (): void => {
    this.#scheduled = false;
    const feeds = this.#woken;
    this.#woken = new Set();
    for (const feed of feeds) feed.wake();
  };
}
