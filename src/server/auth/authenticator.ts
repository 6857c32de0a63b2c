/**
 * Who is calling. Every call after Register carries a client id and key as
 * metadata; the authenticator turns them into a {@link Principal} or refuses
 * with UNAUTHENTICATED. Accounts (handles proven by devices) plug in here.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { createHash, timingSafeEqual } from "node:crypto";
import { CLIENT_ID_HEADER, CLIENT_KEY_HEADER } from "../../protocol/proto.ts";
import { statusError } from "../../protocol/status.ts";
import { displayName } from "../../shared/format.ts";
import type { ClientRecord, StoreReader } from "../../store/types.ts";

/** A caller whose key was verified. */
export interface Principal {
  client: ClientRecord;
  /** `Alice#1a2b`, for log lines. */
  label: string;
}

/** Hash of a client key; only this is stored. Keys are 256 random bits, so one SHA-256 suffices. */
export function hashKey(key: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(key).digest());
}

/** Verifies callers against the registered clients; see the module doc. */
export class Authenticator {
  #reader: StoreReader;
  /** Clients verified or registered since start: a call costs no database read or allocation. */
  #clients = new Map<string, Principal>();

  constructor(reader: StoreReader) {
    this.#reader = reader;
  }

  /** Notes a client just registered (and already durable). */
  remember(client: ClientRecord): Principal {
    const principal = principalOf(client);
    this.#clients.set(client.id, principal);
    return principal;
  }

  /**
   * The client with this id and key.
   *
   * @param unknown the status for an id that is not registered: NOT_FOUND for
   *   Register (the client then registers anew), UNAUTHENTICATED for other calls.
   * @throws {grpc.ServiceError} `unknown()`, or UNAUTHENTICATED for a wrong key.
   */
  verify(clientId: string, key: string, unknown: () => grpc.ServiceError): Principal {
    let principal = this.#clients.get(clientId);
    if (!principal) {
      const client = this.#reader.client(clientId);
      if (!client) throw unknown();
      principal = this.remember(client);
    }
    if (!timingSafeEqual(hashKey(key), principal.client.keyHash)) {
      throw statusError(grpc.status.UNAUTHENTICATED, `wrong key for client id ${clientId}`);
    }
    return principal;
  }

  /**
   * The caller of a call after Register, from its metadata.
   *
   * @throws {grpc.ServiceError} UNAUTHENTICATED for missing metadata, an unknown id or a wrong key.
   */
  authenticate(metadata: grpc.Metadata): Principal {
    const id = metadata.get(CLIENT_ID_HEADER)[0];
    const key = metadata.get(CLIENT_KEY_HEADER)[0];
    if (typeof id !== "string" || typeof key !== "string" || id === "" || key === "") {
      throw statusError(
        grpc.status.UNAUTHENTICATED,
        `this call needs ${CLIENT_ID_HEADER} and ${CLIENT_KEY_HEADER} metadata from Register`,
      );
    }
    return this.verify(
      id,
      key,
      () =>
        statusError(
          grpc.status.UNAUTHENTICATED,
          `client id ${id} is not registered on this server; register again`,
        ),
    );
  }

  /** Who a refused call claimed to be, for the log line: a known client's name, else its id. */
  claimed(metadata: grpc.Metadata): string {
    const id = metadata.get(CLIENT_ID_HEADER)[0];
    const known = typeof id === "string" ? this.#clients.get(id) : undefined;
    if (known) return known.label;
    // The id is the caller's text: quoted, so it cannot forge a log line.
    return typeof id === "string" && id
      ? `client ${JSON.stringify(id.slice(0, 64))}`
      : "unknown client";
  }
}

function principalOf(client: ClientRecord): Principal {
  return { client, label: displayName(client) };
}
