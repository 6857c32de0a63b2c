/**
 * The groups a server serves: for each, its access rule and its feed, in one
 * record, so a group cannot have one without the other. Groups are given at
 * start today; the directory is where groups made at run time will be added.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../../protocol/status.ts";
import type { StoreReader } from "../../store/types.ts";
import { GroupFeed } from "../delivery/feed.ts";

/**
 * A group's access rule: open to every device (guests too), or closed to a list of accounts.
 * Membership belongs to proven handles, never to display names.
 */
export class GroupPolicy {
  /** Lower-cased member handles, or null for an open group. */
  readonly members: ReadonlySet<string> | null;

  constructor(members: readonly string[] | null) {
    this.members = members && new Set(members.map((m) => m.toLowerCase()));
  }

  /** Whether a device proving `account` (null: a guest) may read and write. */
  admits(account: string | null): boolean {
    return this.members === null || (account !== null && this.members.has(account));
  }
}

/** A group a server has: its name, and the handles it is closed to (null: open to every device). */
export interface GroupSpec {
  name: string;
  members: readonly string[] | null;
}

/** One served group: its rule and its feed. */
export interface Group {
  readonly name: string;
  readonly policy: GroupPolicy;
  readonly feed: GroupFeed;
}

/** The groups of a server, in the order given; see the module doc. */
export class GroupDirectory {
  #groups = new Map<string, Group>();

  /** One group per spec, each fed from `reader`'s committed messages. */
  constructor(specs: readonly GroupSpec[], reader: StoreReader) {
    for (const spec of specs) {
      this.#groups.set(spec.name, {
        name: spec.name,
        policy: new GroupPolicy(spec.members),
        feed: new GroupFeed(spec.name, reader),
      });
    }
  }

  /** The group called `name`, if served. */
  get(name: string): Group | undefined {
    return this.#groups.get(name);
  }

  /**
   * The group called `name`.
   *
   * @throws {grpc.ServiceError} NOT_FOUND naming the group (cut to 80 characters) and the groups there are.
   */
  require(name: string): Group {
    const group = this.#groups.get(name);
    if (group) return group;
    throw statusError(
      grpc.status.NOT_FOUND,
      `there is no group ${JSON.stringify(name.slice(0, 80))}; this server has: ${
        [...this.#groups.keys()].join(", ")
      }`,
    );
  }

  /** Every group, in the order given. */
  all(): IterableIterator<Group> {
    return this.#groups.values();
  }
}
