/**
 * Reads of committed state from PostgreSQL, over a pool of its own. Each read is one statement
 * (one round trip, its own snapshot); the frequent ones are named, so that each connection
 * parses and plans them once.
 *
 * @module
 */
import type pg from "pg";
import { storeError } from "./connect.ts";
import type {
  ClientRecord,
  FrameMessage,
  RoomInvite,
  RoomMemberRecord,
  RoomRecord,
  StoredMessage,
  StoreReader,
} from "../types.ts";

const LAST_SEQ = "SELECT last_seq FROM groups WHERE name = $1";
const LAST_SEQS = "SELECT name, last_seq FROM groups WHERE name = ANY($1::text[])";
const READ_RANGE = `SELECT seq, sender_id AS "senderId", sender_name AS "senderName", text,
  sent_at AS "sentAtMs", body
  FROM messages WHERE grp = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`;
const READ_FRAME_RANGE =
  "SELECT seq, sender_id, body FROM messages WHERE grp = $1 AND seq > $2 AND seq <= $3 ORDER BY seq";
const CURSOR = "SELECT seq FROM cursors WHERE client_id = $1 AND grp = $2";
const COUNT_UNREAD =
  "SELECT count(*) AS n FROM messages WHERE grp = $1 AND seq > $2 AND sender_id <> $3";
const CLIENT = `SELECT id, name, key_hash AS "keyHash", account FROM clients WHERE id = $1`;
const DEVICES_OF = "SELECT count(*) AS n FROM clients WHERE account = $1";
const GUEST_COUNT = "SELECT count(*) AS n FROM clients WHERE account IS NULL";
const ROOM_CODES = `SELECT count(*) AS n FROM codes
  WHERE kind = 'room' AND handle = $1 AND used_at IS NULL AND expires_at > $2`;
/**
 * Rooms with their members (longest-standing first) and outstanding invites, in one statement
 * and so one snapshot; `$1` is now. {@link ROOMS} and {@link ROOM} end it.
 */
const ROOMS_SELECT = `SELECT r.name, r.visibility, r.history, r.created_by AS "createdBy",
  r.created_at AS "createdAtMs",
  coalesce((SELECT json_agg(json_build_object('member', m.member, 'role', m.role,
      'joinedSeq', m.joined_seq, 'joinedAtMs', m.joined_at) ORDER BY m.joined_at, m.member)
    FROM room_members m WHERE m.room = r.name), '[]') AS members,
  coalesce((SELECT json_agg(json_build_object('handle', i.handle, 'expiresAtMs', i.expires_at)
      ORDER BY i.created_at, i.handle)
    FROM room_invites i WHERE i.room = r.name AND i.expires_at > $1), '[]') AS invited
  FROM rooms r`;
const ROOMS = `${ROOMS_SELECT} ORDER BY r.name`;
const ROOM = `${ROOMS_SELECT} WHERE r.name = $2`;

/**
 * The {@link StoreReader} of a PostgreSQL database: every read asks the database (the server
 * keeps what is hot in memory). The server id is read once, when the store opens. While the
 * database cannot be reached each read rejects with the driver's error; once it can, reads
 * work again on new connections.
 */
export class PostgresReader implements StoreReader {
  #pool: pg.Pool;
  #serverId: string;
  #where: string;

  /**
   * Reads through `pool`, which it owns: {@link close} ends it.
   *
   * @param where the database, as named in errors (without its password).
   */
  constructor(pool: pg.Pool, serverId: string, where = "the database") {
    this.#pool = pool;
    this.#serverId = serverId;
    this.#where = where;
  }

  /** The database's lasting id (32 hex digits), shared by every node on it. */
  serverId(): string {
    return this.#serverId;
  }

  /** The highest sequence committed in `group` (0 for none). */
  async lastSeq(group: string): Promise<number> {
    const rows = await this.#rows<{ last_seq: number }>("chat_last_seq", LAST_SEQ, [group]);
    return rows[0]?.last_seq ?? 0;
  }

  /** The highest sequence committed in each of `groups` (0 for none), in their order. */
  async lastSeqs(groups: readonly string[]): Promise<number[]> {
    if (groups.length === 0) return [];
    const rows = await this.#rows<{ name: string; last_seq: number }>(
      "chat_last_seqs",
      LAST_SEQS,
      [groups],
    );
    const last = new Map(rows.map((r) => [r.name, r.last_seq]));
    return groups.map((g) => last.get(g) ?? 0);
  }

  /** Messages of `group` with `after < seq <= through`, in order. */
  readRange(group: string, after: number, through: number): Promise<StoredMessage[]> {
    if (through <= after) return Promise.resolve([]);
    return this.#rows<StoredMessage>("chat_read_range", READ_RANGE, [group, after, through]);
  }

  /** Like {@link readRange}, with only what a delivery frame needs: the catch-up path. */
  async readFrameRange(group: string, after: number, through: number): Promise<FrameMessage[]> {
    if (through <= after) return [];
    // Rows as arrays: no object per row made and then copied.
    const { rows } = await this.#pool.query<[number, string, Uint8Array]>({
      name: "chat_read_frame_range",
      text: READ_FRAME_RANGE,
      values: [group, after, through],
      rowMode: "array",
    }).catch((error) => {
      throw storeError(error, this.#where);
    });
    return rows.map(([seq, senderId, body]) => ({ seq, senderId, body }));
  }

  /** The highest sequence `clientId` has acknowledged in `group` (0 for none). */
  async cursor(clientId: string, group: string): Promise<number> {
    const rows = await this.#rows<{ seq: number }>("chat_cursor", CURSOR, [clientId, group]);
    return rows[0]?.seq ?? 0;
  }

  /** How many messages after `after` in `group` were sent by someone other than `clientId`. */
  async countUnread(group: string, after: number, clientId: string): Promise<number> {
    return await this.#count("chat_count_unread", COUNT_UNREAD, [group, after, clientId]);
  }

  /** The client with this id, if registered. */
  async client(id: string): Promise<ClientRecord | undefined> {
    const [row] = await this.#rows<ClientRecord>("chat_client", CLIENT, [id]);
    return row && { id: row.id, name: row.name, keyHash: row.keyHash, account: row.account };
  }

  /** How many devices prove `handle` (0: no such account). */
  devicesOf(handle: string): Promise<number> {
    return this.#count("chat_devices_of", DEVICES_OF, [handle]);
  }

  /** How many guest devices are registered. */
  guestCount(): Promise<number> {
    return this.#count("chat_guest_count", GUEST_COUNT, []);
  }

  /** Every room with its members (longest-standing first) and outstanding invites, by name. */
  rooms(): Promise<RoomRecord[]> {
    return this.#rooms("chat_rooms", ROOMS, [Date.now()]);
  }

  /** The room `name` with its members and outstanding invites, if it exists. */
  async room(name: string): Promise<RoomRecord | undefined> {
    return (await this.#rooms("chat_room", ROOM, [Date.now(), name]))[0];
  }

  /** How many unused, unexpired one-time codes of `room` are outstanding. */
  roomCodes(room: string): Promise<number> {
    return this.#count("chat_room_codes", ROOM_CODES, [room, Date.now()]);
  }

  /** Ends the pool once its queries in flight are answered; later reads reject. */
  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }

  /** Rows of {@link ROOMS_SELECT}: members and invites come as JSON, parsed by pg. */
  #rooms(name: string, text: string, values: unknown[]): Promise<RoomRecord[]> {
    return this.#rows<
      Omit<RoomRecord, "members" | "invited"> & {
        members: RoomMemberRecord[];
        invited: RoomInvite[];
      }
    >(name, text, values);
  }

  async #count(name: string, text: string, values: unknown[]): Promise<number> {
    return (await this.#rows<{ n: number }>(name, text, values))[0].n;
  }

  async #rows<R extends object>(name: string, text: string, values: unknown[]): Promise<R[]> {
    // deno-lint-ignore no-explicit-any -- pg's QueryResultRow is an index signature.
    return (await this.#pool.query<R & any>({ name, text, values }).catch((error: unknown) => {
      throw storeError(error, this.#where);
    })).rows;
  }
}
