/**
 * Who is online on each node sharing the database: a node keeps its own devices online per
 * member in `presence` (only what changed is written) and says it is alive in `nodes`; what
 * a node not heard from for {@link PRESENCE_STALE_MS} reported is not counted (it crashed), and
 * is removed a while later by whichever node reports next. A node that stops cleanly removes
 * its own rows.
 *
 * @module
 */
import type pg from "pg";
import { type MemberKey, PRESENCE_STALE_MS, type PresenceStore } from "../types.ts";
import { storeError } from "./connect.ts";

/** A node gone this long has its rows removed. */
const FORGET_AFTER_MS = 4 * PRESENCE_STALE_MS;
const STALE_S = PRESENCE_STALE_MS / 1000;
const FORGET_S = FORGET_AFTER_MS / 1000;

/** The other nodes' rows that count: theirs, and heard from lately. */
const ALIVE = `p.node_id <> $1 AND n.seen_at > now() - make_interval(secs => ${
  PRESENCE_STALE_MS / 1000
})`;

/** {@link PresenceStore} on PostgreSQL; see the module doc. */
export class PostgresPresence implements PresenceStore {
  #pool: pg.Pool;
  #nodeId: string;
  #where: string;

  /**
   * @param pool connections to use, which the caller ends.
   * @param nodeId this node's id, unique per running node.
   * @param where the database, as named in errors (without its password).
   */
  constructor(pool: pg.Pool, nodeId: string, where: string) {
    this.#pool = pool;
    this.#nodeId = nodeId;
    this.#where = where;
  }

  /** See {@link PresenceStore.report}. */
  async report(changes: ReadonlyMap<MemberKey, number>): Promise<boolean> {
    const online = [...changes].filter(([, n]) => n > 0);
    const gone = [...changes].filter(([, n]) => n <= 0).map(([m]) => m);
    // Known: this node's row was there and fresh, so its rows were counted all along. Its own
    // row is never among those forgotten here (one statement must not both upsert and delete
    // a row), and a node's rows go only with its row.
    const [{ known }] = await this.#query<{ known: boolean }>(
      `WITH before AS (
         SELECT seen_at > now() - make_interval(secs => ${STALE_S}) AS fresh
         FROM nodes WHERE node_id = $1
       ), alive AS (
         INSERT INTO nodes (node_id, seen_at) VALUES ($1, now())
         ON CONFLICT (node_id) DO UPDATE SET seen_at = excluded.seen_at
       ), upserted AS (
         INSERT INTO presence (node_id, member, devices)
         SELECT $1, m, d FROM unnest($2::text[], $3::int[]) AS t(m, d)
         ON CONFLICT (node_id, member) DO UPDATE SET devices = excluded.devices
       ), dropped AS (
         DELETE FROM presence WHERE node_id = $1 AND member = ANY($4::text[])
       ), forgotten AS (
         DELETE FROM nodes
         WHERE node_id <> $1 AND seen_at < now() - make_interval(secs => ${FORGET_S})
         RETURNING node_id
       ), cleared AS (
         DELETE FROM presence WHERE node_id IN (SELECT node_id FROM forgotten)
       )
       SELECT coalesce((SELECT fresh FROM before), false) AS known`,
      [this.#nodeId, online.map(([m]) => m), online.map(([, n]) => n), gone],
    );
    return known;
  }

  /** See {@link PresenceStore.elsewhere}. */
  async elsewhere(members: readonly MemberKey[]): Promise<Map<MemberKey, number>> {
    if (members.length === 0) return new Map();
    const rows = await this.#query<{ member: string; devices: number }>(
      `SELECT p.member, sum(p.devices)::int AS devices FROM presence p JOIN nodes n USING (node_id)
       WHERE ${ALIVE} AND p.member = ANY($2::text[]) GROUP BY p.member`,
      [this.#nodeId, members],
    );
    return new Map(rows.map((r) => [r.member, r.devices]));
  }

  /** See {@link PresenceStore.onlineElsewhere}. */
  async onlineElsewhere(limit: number): Promise<MemberKey[]> {
    const rows = await this.#query<{ member: string }>(
      `SELECT DISTINCT p.member FROM presence p JOIN nodes n USING (node_id)
       WHERE ${ALIVE} AND p.devices > 0 ORDER BY p.member LIMIT $2`,
      [this.#nodeId, limit],
    );
    return rows.map((r) => r.member);
  }

  /** Removes this node's rows: it stops, and its devices are no longer online. */
  async forget(): Promise<void> {
    await this.#query(
      `WITH gone AS (DELETE FROM presence WHERE node_id = $1) DELETE FROM nodes WHERE node_id = $1`,
      [this.#nodeId],
    );
  }

  async #query<R extends object>(text: string, values: unknown[]): Promise<R[]> {
    try {
      // deno-lint-ignore no-explicit-any -- pg's QueryResultRow is an index signature.
      return (await this.#pool.query<R & any>(text, values)).rows;
    } catch (error) {
      throw storeError(error, this.#where);
    }
  }
}
