/**
 * What the server needs of storage, in two roles: a {@link StoreReader} that
 * answers from committed state on the serving thread, and a {@link StoreWriter}
 * that makes changes durable (and allocates every sequence number). Backends
 * (`sqlite/` today, PostgreSQL next) implement both and pass the contract suite
 * in `contract.ts`.
 *
 * @module
 */

/** What a delivery frame needs of a message: its place, who sent it, and its bytes. */
export interface FrameMessage {
  seq: number;
  senderId: string;
  /** Its protobuf bytes without `seq`, made once on arrival (src/protocol/body.ts). */
  body: Uint8Array;
}

/** A stored message (field names match chat.proto's ChatMessage). */
export interface StoredMessage extends FrameMessage {
  senderName: string;
  text: string;
  sentAtMs: number;
}

/** A message to store; its sequence number is given by the writer. */
export interface NewMessage {
  group: string;
  senderId: string;
  senderName: string;
  /** The sender's retry key: unique per (sender, group). */
  clientMsgId: string;
  text: string;
  sentAtMs: number;
  /** See {@link FrameMessage.body}. */
  body: Uint8Array;
}

/** What storing a message gave: its sequence, and whether it was already stored (a retry). */
export interface Appended {
  group: string;
  message: StoredMessage;
  duplicate: boolean;
}

/** A cursor to write: the highest sequence a client has acknowledged in a group. */
export interface CursorUpdate {
  clientId: string;
  group: string;
  seq: number;
}

/** A registered client (a device) as the server keeps it: the key only as a hash. */
export interface ClientRecord {
  id: string;
  /** Its display name: free text, proves nothing. */
  name: string;
  keyHash: Uint8Array;
  /** The account (handle, lower case) this device proves, or null for a guest. */
  account: string | null;
}

/** How a new device proves an account; checked and applied in the same transaction. */
export type Proof =
  /** No proof: a guest. */
  | { kind: "guest" }
  /** Claim on first use: the device gets `handle` if no device holds it yet, else is a guest. */
  | { kind: "first-use"; handle: string }
  /** The identity provider vouched for `handle` (a verified token): the device is that account. */
  | { kind: "token"; handle: string }
  /** A one-time invite code: claims the code's handle, or `handle` if the code names none. */
  | { kind: "invite"; handle: string; codeHash: Uint8Array }
  /** A one-time link code from a device of an account: the device joins that account. */
  | { kind: "link"; codeHash: Uint8Array };

/** A device to register, with its proof. */
export interface NewClient {
  id: string;
  name: string;
  keyHash: Uint8Array;
  proof: Proof;
}

/**
 * A one-time code: to claim an account (invite), to add a device to one (link), or to join
 * an invite-only room (room).
 */
export interface NewCode {
  /** SHA-256 of the code: only the hash is kept. */
  hash: Uint8Array;
  kind: "invite" | "link" | "room";
  /**
   * The account it is for (null for an invite that claims the name the device gives); for a
   * room code, the room.
   */
  handle: string | null;
  /**
   * For a link code: the device that made it, which must still be the account's when used.
   * For a room code: the account that made it.
   */
  creator?: string;
  expiresAtMs: number;
}

/** A member's role in a room. */
export type RoomRole = "owner" | "admin" | "member";

/**
 * Who a member is: an account's handle, or for a guest device `~` and its client id (a
 * handle has no `~`, so the two cannot meet). See {@link memberKey}.
 */
export type MemberKey = string;

/** The member key of a device: its account, or the device itself for a guest. */
export function memberKey(client: { id: string; account: string | null }): MemberKey {
  return client.account ?? `~${client.id}`;
}

/** The client id of a guest's member key; undefined for an account's. */
export function guestOf(member: MemberKey): string | undefined {
  return member.startsWith("~") ? member.slice(1) : undefined;
}

/** A room's settings, as made. */
export interface RoomSettings {
  /** Lower case; see src/shared/validate.ts checkGroupName. */
  name: string;
  /** `open`: every device may join; `invite`: invited accounts only. */
  visibility: "open" | "invite";
  /** `all`: a new member reads the whole history; `since-join`: from joining on. */
  history: "all" | "since-join";
  /** The account that made it. */
  createdBy: string;
  createdAtMs: number;
}

/** A room member as stored. */
export interface RoomMemberRecord {
  member: MemberKey;
  role: RoomRole;
  /** The room's last sequence when the member joined: the floor of what it reads, in a `since-join` room. */
  joinedSeq: number;
  joinedAtMs: number;
}

/** An account invited to a room, until it joins or the invite expires. */
export interface RoomInvite {
  handle: string;
  expiresAtMs: number;
}

/** A room with its members and its invites outstanding (not used, not expired). */
export interface RoomRecord extends RoomSettings {
  members: RoomMemberRecord[];
  invited: RoomInvite[];
}

/**
 * A change to rooms, committed in one transaction. The server checks who may make it
 * beforehand; the store keeps what the server decided, and applies what only it can check
 * at commit (a one-time code's use).
 */
export type RoomChange =
  | { op: "create"; room: RoomSettings; owner: RoomMemberRecord }
  /** Adds a member (and drops its invite); with `codeHash`, uses that room code first. */
  | { op: "join"; room: string; member: RoomMemberRecord; codeHash?: Uint8Array }
  /** Removes a member; the room is deleted with its history if it was the last. */
  | { op: "leave"; room: string; member: MemberKey }
  /** Invites an account (again, if an earlier invite of it expired). */
  | { op: "invite"; room: string; handle: string; by: string; expiresAtMs: number }
  | { op: "role"; room: string; member: MemberKey; role: RoomRole };

/** What a {@link RoomChange} did beyond what was asked. */
export interface RoomChanged {
  /** A `leave` removed the last member: the room, its messages and cursors are gone. */
  deleted: boolean;
}

/** Raised when a proof does not hold (an unknown, used or expired code, a handle taken); nothing is stored. */
export class ProofRefusedError extends Error {
  override name = "ProofRefusedError";
}

/** Raised when the database cannot be used; the message says what to do. */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

/**
 * Raised when the database cannot be reached now (a database server down, restarting, or
 * cut off): nothing was stored, and the same call may succeed later.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/**
 * Raised by a change that no longer fits what is stored: another node changed the same thing
 * meanwhile (a member already gone, a room's last owner). Nothing is stored; the node should
 * read what changed and may try again.
 */
export class StoreConflictError extends Error {
  override name = "StoreConflictError";
}

/**
 * Raised for every write after the writer stopped for good (its thread died): nothing
 * more can be committed, and the server should stop so that a supervisor restarts it.
 */
export class WriterFailedError extends Error {
  override name = "WriterFailedError";
}

/**
 * Reads of committed state. Asynchronous, so that a backend may answer from a database
 * server (PostgreSQL); SQLite answers at once from its own connection. The hot paths do
 * not come here: live delivery reads each group's recent messages from memory
 * (src/server/delivery/feed.ts), and the server id is read once, when the store opens.
 */
export interface StoreReader {
  /** This database's lasting id, made when it was created (the cluster's, on a shared database). */
  serverId(): string;
  /** The highest sequence committed in `group` (0 for none). */
  lastSeq(group: string): Promise<number>;
  /** The highest sequence committed in each of `groups` (0 for none), in their order. */
  lastSeqs(groups: readonly string[]): Promise<number[]>;
  /** Messages of `group` with `after < seq <= through`, in order. */
  readRange(group: string, after: number, through: number): Promise<StoredMessage[]>;
  /** Like {@link readRange}, with only what a delivery frame needs: the catch-up path. */
  readFrameRange(group: string, after: number, through: number): Promise<FrameMessage[]>;
  /** The highest sequence `clientId` has acknowledged in `group` (0 for none). */
  cursor(clientId: string, group: string): Promise<number>;
  /** How many messages after `after` in `group` were sent by someone other than `clientId`. */
  countUnread(group: string, after: number, clientId: string): Promise<number>;
  /** The client with this id, if registered. */
  client(id: string): Promise<ClientRecord | undefined>;
  /** How many devices prove `handle` (0: no such account). */
  devicesOf(handle: string): Promise<number>;
  /** How many guest devices are registered. */
  guestCount(): Promise<number>;
  /** Every room with its members and outstanding invites, by name. */
  rooms(): Promise<RoomRecord[]>;
  /** The room `name` with its members and outstanding invites, if it exists. */
  room(name: string): Promise<RoomRecord | undefined>;
  /** How many unused, unexpired one-time codes of `room` are outstanding. */
  roomCodes(room: string): Promise<number>;
}

/** The durable writes: messages with cursors (group commit), and clients. */
export interface StoreWriter {
  /**
   * Stores messages and cursors in one transaction, one commit, allocating each message the
   * next sequence of its group. A message whose (sender, group, client message id) is already
   * stored is not stored again: its original is returned, marked duplicate. A cursor only moves
   * forward, and never past its group's last sequence (messages of the same commit counted):
   * one past it is not stored. All or nothing: on error nothing is stored and the promise
   * rejects.
   */
  commit(messages: readonly NewMessage[], cursors: readonly CursorUpdate[]): Promise<Appended[]>;
  /**
   * Stores a new device durably (it must never be handed an id the server forgets), applying
   * its proof in the same transaction: a claim, a code's use, the account it joins. Resolves
   * with the record as stored (its `account` says what the proof gave). Rejects if a client
   * with this id is already stored, leaving it as it was.
   *
   * @throws {ProofRefusedError} if the proof does not hold; nothing is stored.
   */
  addClient(client: NewClient): Promise<ClientRecord>;
  /** Stores a one-time code (its hash); used and expired codes are cleared meanwhile. */
  addCode(code: NewCode): Promise<void>;
  /**
   * Deletes the account `handle` and its link codes: its devices become guests. Its room
   * memberships and invites go too (the handle may be claimed by someone else): a room left
   * without an owner gets its longest-standing admin, else member, that is an account as
   * owner, and a room left with no account (empty, or guests only) is deleted. Resolves with how many devices it had, or -1 if there was no such account.
   */
  releaseHandle(handle: string): Promise<number>;
  /**
   * Forgets the device `clientId` (it must register again) and, for a guest, its room
   * memberships. Resolves with whether it existed.
   */
  revokeDevice(clientId: string): Promise<boolean>;
  /**
   * Makes a change to rooms in one transaction; see {@link RoomChange}.
   *
   * @throws {ProofRefusedError} if a join's room code is unknown, used, expired or of another
   *   room; nothing is stored.
   */
  changeRoom(change: RoomChange): Promise<RoomChanged>;
  /**
   * Resolves with a {@link WriterFailedError} if the writer stops for good; never rejects.
   * Every call after that rejects with the same error.
   */
  readonly failed: Promise<WriterFailedError>;
  /** Lets the calls in flight finish and releases the writer; later calls reject. */
  close(): Promise<void>;
}

/**
 * A change another node committed to a shared database, as this node hears of it. Only
 * names travel: a node reads what changed from the store.
 */
export type StoreChange =
  /**
   * Messages of `group` were committed, the last of them `through`. A small commit's messages
   * come with it (`messages`, the last ones through `through`, in order): no read is needed.
   */
  | { kind: "messages"; group: string; through: number; messages?: FrameMessage[] }
  /** A room was made, changed or deleted: its settings, members or invites. */
  | { kind: "room"; name: string }
  /** A device was registered, revoked, or became a guest (its account released). */
  | { kind: "client"; id: string }
  /** An account was released: its devices are guests now, its memberships are gone. */
  | { kind: "account"; handle: string }
  /** The connection to the database was lost: changes are not heard until `resync`. */
  | { kind: "offline"; reason: string }
  /**
   * Listening (again): changes made while not listening were not heard, so whatever a node
   * keeps of shared state must be read again. Also the first event.
   */
  | { kind: "resync" };

/** Tells a node what other nodes change in a shared database; see {@link StoreChange}. */
export interface StoreChanges {
  /**
   * Calls `listener` with each change another node commits, in commit order, and with
   * `offline` and `resync` as the connection goes and comes. Returns a function that stops
   * the calls.
   */
  subscribe(listener: (change: StoreChange) => void): () => void;
}

/**
 * Who is online on the other nodes sharing a database: each node reports its own devices
 * online, and asks for the others'. A node not heard from for {@link PRESENCE_STALE_MS} is
 * taken for gone (crashed), and what it reported is not counted.
 */
export interface PresenceStore {
  /**
   * Reports this node's devices online: `changes` maps each member whose count changed since
   * the last report to its count now (0: none). Also says that this node is alive: call it at
   * least every {@link PRESENCE_STALE_MS} / 3, with no changes if there are none. Resolves
   * with false when this node had been taken for gone (unheard of too long, its reports
   * dropped): then report every member again.
   */
  report(changes: ReadonlyMap<MemberKey, number>): Promise<boolean>;
  /** How many devices of each of `members` are online on the other nodes (none: left out). */
  elsewhere(members: readonly MemberKey[]): Promise<Map<MemberKey, number>>;
  /** Members with a device online on another node, at most `limit` of them. */
  onlineElsewhere(limit: number): Promise<MemberKey[]>;
}

/** How long a node may go unheard before what it reported of its devices online is dropped. */
export const PRESENCE_STALE_MS = 15_000;

/** An open database: its reader and writer, closed together. */
export interface StoreBackend {
  reader: StoreReader;
  writer: StoreWriter;
  /** Present when other nodes may share the database (PostgreSQL); SQLite has one node. */
  changes?: StoreChanges;
  /** Present with {@link changes}: the other nodes' devices online. */
  presence?: PresenceStore;
  /** Closes the writer, then the reader; a second call does nothing more. */
  close(): Promise<void>;
}

/** `m` as stored under `seq`, with the time the store kept for it. */
export function storedMessage(m: NewMessage, seq: number, sentAtMs: number): StoredMessage {
  const { senderId, senderName, text, body } = m;
  return { seq, senderId, senderName, text, sentAtMs, body };
}
