/**
 * Who is calling. Every call after Register carries a client id and key as
 * metadata; the authenticator turns them into a {@link Principal} or refuses
 * with UNAUTHENTICATED. In token mode a device acts as its account only while
 * the token it last registered with is valid.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { createHash, timingSafeEqual } from "node:crypto";
import { CLIENT_ID_HEADER, CLIENT_KEY_HEADER } from "../../protocol/proto.ts";
import { statusError } from "../../protocol/status.ts";
import { displayName } from "../../shared/format.ts";
import { MAX_CACHED_CLIENTS } from "../../shared/limits.ts";
import type { ClientRecord, StoreReader } from "../../store/types.ts";

/** A caller whose key was verified. */
export interface Principal {
  client: ClientRecord;
  /** `@alice Alice#1a2b` (an account's device) or `~Alice#1a2b` (a guest), for log lines. */
  label: string;
}

/**
 * SHA-256 of a secret: a client key, a one-time code, the operator secret. Only this is kept;
 * they are random and long, so one unsalted SHA-256 suffices.
 */
export function hashKey(key: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(key).digest());
}

/** Verifies callers against the registered clients; see the module doc. */
export class Authenticator {
  #reader: StoreReader;
  /**
   * Clients verified or registered lately: a call costs no database read or allocation. At
   * most {@link MAX_CACHED_CLIENTS}, the longest cached going first: a flood of devices costs
   * the server a bounded amount of memory, and a forgotten one only a database read.
   */
  #clients = new Map<string, Principal>();
  /** In token mode: until when each device's token grants its account, from its last Register. */
  #grants = new Map<string, number>();
  #tokenMode: boolean;
  /**
   * Counts what was forgotten: a device read from the store while a revoke or release was
   * heard may be what it was before, and is then read again rather than cached.
   */
  #forgotten = 0;

  /** @param tokenMode whether accounts come from tokens, whose grants expire. */
  constructor(reader: StoreReader, tokenMode = false) {
    this.#reader = reader;
    this.#tokenMode = tokenMode;
  }

  /** Notes that `clientId`'s token grants its account until `expiresAtMs`. */
  grant(clientId: string, expiresAtMs: number): void {
    setNewest(this.#grants, clientId, expiresAtMs);
  }

  /**
   * Until when `principal` may act as its account: its token's expiry in token mode, else
   * undefined (no end).
   */
  expiryOf(principal: Principal): number | undefined {
    if (!this.#tokenMode || principal.client.account === null) return undefined;
    return this.#grants.get(principal.client.id) ?? 0;
  }

  /** Forgets what is cached of `clientId` (revoked, or its account released). */
  forget(clientId: string): void {
    this.#forgotten++;
    this.#clients.delete(clientId);
    this.#grants.delete(clientId);
  }

  /** Forgets every device cached (changes may have gone unheard). */
  forgetAll(): void {
    this.#forgotten++;
    this.#clients.clear();
  }

  /** Forgets every cached device of the account `handle`. */
  forgetAccount(handle: string): void {
    this.#forgotten++;
    for (const [id, principal] of this.#clients) {
      if (principal.client.account === handle) this.#clients.delete(id);
    }
  }

  /** Notes a client just registered (and already durable). */
  remember(client: ClientRecord): Principal {
    const principal = principalOf(client);
    setNewest(this.#clients, client.id, principal);
    return principal;
  }

  /**
   * The client with this id and key.
   *
   * @param unknown the status for an id that is not registered: NOT_FOUND for
   *   Register (the client then registers anew), UNAUTHENTICATED for other calls.
   * @throws {grpc.ServiceError} `unknown()`, or UNAUTHENTICATED for a wrong key.
   */
  async verify(
    clientId: string,
    key: string,
    unknown: () => grpc.ServiceError,
  ): Promise<Principal> {
    let principal = this.#clients.get(clientId);
    for (let reads = 0; !principal; reads++) {
      const before = this.#forgotten;
      const client = await this.#reader.client(clientId);
      if (!client) throw unknown();
      // Something was forgotten during the read (maybe this device): read again, once.
      if (this.#forgotten !== before && reads === 0) continue;
      principal = this.remember(client);
    }
    if (!timingSafeEqual(hashKey(key), principal.client.keyHash)) {
      throw statusError(
        grpc.status.UNAUTHENTICATED,
        `wrong key for client id ${JSON.stringify(clientId.slice(0, 64))}`,
      );
    }
    return principal;
  }

  /**
   * The caller of a call after Register, from its metadata.
   *
   * @throws {grpc.ServiceError} UNAUTHENTICATED for missing metadata, an unknown id or a wrong key.
   */
  async authenticate(metadata: grpc.Metadata): Promise<Principal> {
    const id = metadata.get(CLIENT_ID_HEADER)[0];
    const key = metadata.get(CLIENT_KEY_HEADER)[0];
    if (typeof id !== "string" || typeof key !== "string" || id === "" || key === "") {
      throw statusError(
        grpc.status.UNAUTHENTICATED,
        `this call needs ${CLIENT_ID_HEADER} and ${CLIENT_KEY_HEADER} metadata from Register`,
      );
    }
    const principal = await this.verify(
      id,
      key,
      () =>
        statusError(
          grpc.status.UNAUTHENTICATED,
          `client id ${
            JSON.stringify(id.slice(0, 64))
          } is not registered on this server; register again`,
        ),
    );
    const until = this.expiryOf(principal);
    if (until !== undefined && Date.now() >= until) {
      throw statusError(
        grpc.status.UNAUTHENTICATED,
        "this device's token has expired (or was not given since the server started); register again with a valid token",
      );
    }
    return principal;
  }

  /** Who a refused call claimed to be, for the log line: a known client's name, else its id. */
  claimed(metadata: grpc.Metadata): string {
    const id = metadata.get(CLIENT_ID_HEADER)[0];
    const known = typeof id === "string" ? this.#clients.get(id) : undefined;
    // Claimed, not proven: the call was refused.
    if (known) return `someone claiming to be ${known.label}`;
    // The id is the caller's text: quoted, so it cannot forge a log line.
    return typeof id === "string" && id
      ? `client ${JSON.stringify(id.slice(0, 64))}`
      : "unknown client";
  }
}

/** Sets `key` as the newest entry of `map`, dropping the oldest past {@link MAX_CACHED_CLIENTS}. */
function setNewest<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_CACHED_CLIENTS) map.delete(map.keys().next().value!);
}

function principalOf(client: ClientRecord): Principal {
  return { client, label: displayName({ ...client, handle: client.account }) };
}
