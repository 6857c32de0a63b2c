/**
 * How a new device proves an account, by the server's mode (one per server):
 *
 * - `first-use` (the default): the handle is the display name lower-cased; the first device
 *   that registers with it holds it, later ones of that name are guests.
 * - `invite`: a handle is claimed only with a one-time code the operator made.
 * - `token`: a JWT from the identity provider names the handle (`sub`).
 *
 * In every mode a device of an account can link another device with a one-time link code,
 * and a device without a proof is a guest: admitted to open groups only, its name proving
 * nothing. What this module decides is applied atomically by the store's writer.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { statusError } from "../../protocol/status.ts";
import { messageOf } from "../../shared/errors.ts";
import { hashKey } from "./authenticator.ts";
import { INVITE_CODE_TTL_MS, LINK_CODE_TTL_MS, ROOM_CODE_TTL_MS } from "../../shared/limits.ts";
import { handleOf } from "../../shared/validate.ts";
import type { NewCode, Proof } from "../../store/types.ts";

/** How this server gives accounts. */
export type AccountMode = "first-use" | "invite" | "token";

/** What a verified identity-provider token says (see auth/jwt.ts). */
export interface VerifiedToken {
  handle: string;
  name: string;
  expiresAtMs: number | undefined;
}

/** Checks tokens from the identity provider; throws what was wrong, for the client. */
export interface TokenCheck {
  verify(token: string): Promise<VerifiedToken>;
}

/** The proofs a Register request may carry. */
export interface ProofRequest {
  name: string;
  invite: string;
  token: string;
  linkCode: string;
}

/** What a new device asks to be, as the mode reads it. */
export interface ProofPlan {
  proof: Proof;
  /** The display name to register: the token's name in token mode, else the request's. */
  name: string;
  /** When the proof stops granting (a token's `exp`); undefined for proofs that last. */
  expiresAtMs?: number;
  /** Why this device is a guest, for the person; set when `proof` is a guest's. */
  guestReason?: string;
}

/** SHA-256 of a one-time code: only the hash is stored, so a copy of the database grants nothing. */
export function hashCode(code: string): Uint8Array {
  // Codes are made lower case; a person may type them in any case.
  return hashKey(code.trim().toLowerCase());
}

/** A fresh one-time code: 20 random characters from an alphabet easy to read aloud. */
function newCode(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(20);
  let code = "";
  for (const b of bytes) code += alphabet[b % alphabet.length];
  return `${code.slice(0, 5)}-${code.slice(5, 10)}-${code.slice(10, 15)}-${code.slice(15)}`;
}

/**
 * A new one-time code, and what to store of it (its hash only): a link code for a device of
 * `handle` made by device `creator`, an operator's invite (for `handle`, or null: any name),
 * or a room's invite (`handle` is the room, `creator` the account that made it).
 */
export function oneTimeCode(
  kind: "link" | "room",
  handle: string,
  creator: string,
): { code: string; stored: NewCode };
export function oneTimeCode(
  kind: "invite",
  handle: string | null,
): { code: string; stored: NewCode };
export function oneTimeCode(
  kind: NewCode["kind"],
  handle: string | null,
  creator?: string,
): { code: string; stored: NewCode } {
  const code = newCode();
  const ttl = kind === "link"
    ? LINK_CODE_TTL_MS
    : kind === "room"
    ? ROOM_CODE_TTL_MS
    : INVITE_CODE_TTL_MS;
  const stored: NewCode = {
    hash: hashCode(code),
    kind,
    handle,
    creator,
    expiresAtMs: Date.now() + ttl,
  };
  return { code, stored };
}

/**
 * What a new device registering with `request` is to be, under `mode`.
 *
 * @throws {grpc.ServiceError} INVALID_ARGUMENT for a proof this mode does not take or a name
 *   that cannot be a handle where one is needed; UNAUTHENTICATED for a token that does not
 *   verify (its reason, never the token).
 */
export async function planProof(
  mode: AccountMode,
  request: ProofRequest,
  tokens: TokenCheck | undefined,
): Promise<ProofPlan> {
  const { name } = request;
  // An operator's invite is a proof in every mode but token mode (where the identity provider
  // alone says who is who): it is how a released handle is given back to its owner.
  if (request.invite && mode === "token") {
    throw statusError(grpc.status.INVALID_ARGUMENT, "this server takes no invite codes");
  }
  if (request.token && mode !== "token") {
    throw statusError(grpc.status.INVALID_ARGUMENT, "this server takes no tokens");
  }
  if (request.linkCode) {
    return { proof: { kind: "link", codeHash: hashCode(request.linkCode) }, name };
  }
  if (request.invite) {
    return {
      proof: { kind: "invite", handle: handleOf(name) ?? "", codeHash: hashCode(request.invite) },
      name,
    };
  }
  const handle = handleOf(name);
  switch (mode) {
    case "first-use":
      return handle ? { proof: { kind: "first-use", handle }, name } : guest(
        name,
        `the name "${name}" cannot be a handle (ASCII letters, digits, '.', '_', '-')`,
      );
    case "invite":
      return guest(name, "accounts on this server are by invite (start with -invite CODE)");
    case "token": {
      if (!request.token || !tokens) {
        return guest(
          name,
          "accounts on this server come from its identity provider (start with -token TOKEN)",
        );
      }
      const verified = await verifyToken(tokens, request.token);
      return {
        proof: { kind: "token", handle: verified.handle },
        name: verified.name,
        expiresAtMs: verified.expiresAtMs,
      };
    }
  }
}

/**
 * What `token` says, verified.
 *
 * @throws {grpc.ServiceError} UNAUTHENTICATED with the reason it was refused (never the token).
 */
export async function verifyToken(tokens: TokenCheck, token: string): Promise<VerifiedToken> {
  try {
    return await tokens.verify(token);
  } catch (error) {
    throw statusError(grpc.status.UNAUTHENTICATED, `the token was refused: ${messageOf(error)}`);
  }
}

function guest(name: string, why: string): ProofPlan {
  return { proof: { kind: "guest" }, name, guestReason: why };
}

/** Why a device that asked to claim `handle` on first use became a guest. */
export function takenReason(handle: string): string {
  return `the handle ${handle} belongs to another device (to be ${handle} here, type /link on ` +
    `one of ${handle}'s devices and start this one with -link CODE)`;
}
