/**
 * The SQLite backend's {@link StoreReader}: the serving thread's
 * {@link SqliteStore}, whose answers are ready at once, given as promises.
 *
 * @module
 */
import type {
  ClientRecord,
  FrameMessage,
  RoomRecord,
  StoredMessage,
  StoreReader,
} from "../types.ts";
import type { SqliteStore } from "./store.ts";

/**
 * Serves a {@link SqliteStore}'s reads as the asynchronous {@link StoreReader}. The
 * interface is asynchronous for backends that ask a database server (PostgreSQL); the store
 * stays synchronous, because the writer thread and `InlineWriter` use it so. It borrows the
 * store: whoever made the store closes it. What the store throws, a closed connection's
 * error among it, comes as a rejection.
 */
export class SqliteReader implements StoreReader {
  #store: SqliteStore;

  /** Reads through `store`, which stays the caller's to close. */
  constructor(store: SqliteStore) {
    this.#store = store;
  }

  /** See {@link StoreReader.serverId}: read once, when the store opened. */
  serverId(): string {
    return this.#store.serverId();
  }

  /** See {@link StoreReader.lastSeq}. */
  lastSeq(group: string): Promise<number> {
    return Promise.try(() => this.#store.lastSeq(group));
  }

  /** See {@link StoreReader.lastSeqs}. */
  lastSeqs(groups: readonly string[]): Promise<number[]> {
    return Promise.try(() => this.#store.lastSeqs(groups));
  }

  /** See {@link StoreReader.readRange}. */
  readRange(group: string, after: number, through: number): Promise<StoredMessage[]> {
    return Promise.try(() => this.#store.readRange(group, after, through));
  }

  /** See {@link StoreReader.readFrameRange}. */
  readFrameRange(group: string, after: number, through: number): Promise<FrameMessage[]> {
    return Promise.try(() => this.#store.readFrameRange(group, after, through));
  }

  /** See {@link StoreReader.cursor}. */
  cursor(clientId: string, group: string): Promise<number> {
    return Promise.try(() => this.#store.cursor(clientId, group));
  }

  /** See {@link StoreReader.countUnread}. */
  countUnread(group: string, after: number, clientId: string): Promise<number> {
    return Promise.try(() => this.#store.countUnread(group, after, clientId));
  }

  /** See {@link StoreReader.client}. */
  client(id: string): Promise<ClientRecord | undefined> {
    return Promise.try(() => this.#store.client(id));
  }

  /** See {@link StoreReader.devicesOf}. */
  devicesOf(handle: string): Promise<number> {
    return Promise.try(() => this.#store.devicesOf(handle));
  }

  /** See {@link StoreReader.guestCount}. */
  guestCount(): Promise<number> {
    return Promise.try(() => this.#store.guestCount());
  }

  /** See {@link StoreReader.rooms}. */
  rooms(): Promise<RoomRecord[]> {
    return Promise.try(() => this.#store.rooms());
  }

  /** See {@link StoreReader.room}. */
  room(name: string): Promise<RoomRecord | undefined> {
    return Promise.try(() => this.#store.room(name));
  }

  /** See {@link StoreReader.roomCodes}. */
  roomCodes(room: string): Promise<number> {
    return Promise.try(() => this.#store.roomCodes(room));
  }
}
