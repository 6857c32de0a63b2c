/**
 * Bounds per peer address on what an unauthenticated caller can make the
 * server do: register, claim a handle, fail a proof. A token bucket per key
 * ({@link peerKey} of the caller's address), kept as one number (the GCRA
 * form: the time at which the bucket will be full again), so a key costs its
 * string and a float.
 *
 * **Memory is bounded.** At most `maxKeys` keys are tracked. The map is kept
 * in least-recently-used order (a refused attempt counts as use), and:
 *
 * - a bucket that has refilled is forgotten as soon as it reaches the old end
 *   of the map: forgetting a full bucket loses nothing, since a new one starts
 *   full;
 * - when a new key would exceed the cap, the least recently used key is
 *   forgotten even if its bucket is not yet full.
 *
 * Why least recently used and not, say, refusing new keys when the table is
 * full: refusing would let whoever fills the table (10,000 addresses) lock
 * every newcomer out; evicting keeps the server open and costs only this. An
 * abuser who keeps trying stays the most recently used key and is never
 * evicted. To have its own bucket forgotten it must stop, and then get
 * `maxKeys` other keys used before it comes back, which takes `maxKeys` other
 * addresses (IPv6 is keyed by /64, see {@link peerKey}); with that many, each
 * has its own full bucket anyway, so the eviction gains it at most one burst
 * it could have had already. The bound on the whole server, whatever the
 * number of addresses, is another limiter's job (a global key, say).
 *
 * @example
 * ```ts
 * const registrations = new RateLimiter({ ...REGISTRATION_LIMIT, maxKeys: MAX_TRACKED_PEERS });
 * const decision = registrations.take(peerKey(call.getPeer()));
 * if (!decision.ok) throw rateLimitedError("registrations", decision.retryAfterMs);
 * ```
 *
 * @module
 */
import { RETRY_AFTER_MS_HEADER } from "../../protocol/proto.ts";
import * as grpc from "@grpc/grpc-js";
import { statusError } from "../../protocol/status.ts";

/**
 * Registrations per minute from one address, and the burst: a classroom behind one NAT address
 * (30 students starting their clients at once) gets through at once, then one a second.
 */
export const REGISTRATION_LIMIT = { perMinute: 60, burst: 30 } as const;

/**
 * Failed proofs (a wrong key, a refused token, a bad invite or link code) per minute from one
 * address: plenty for typos, too few to guess a code.
 */
export const FAILED_PROOF_LIMIT = { perMinute: 20, burst: 10 } as const;

/** Link codes one account may make a minute: a person adding a device needs one or two. */
export const LINK_CODE_LIMIT = { perMinute: 6, burst: 3 } as const;

/**
 * Handles claimed per minute from one address. Under claim on first use every new member's
 * first registration is a claim, so a classroom of 30 behind one address must get through at
 * once; the bound is on a loop squatting handles.
 */
export const CLAIM_LIMIT = { perMinute: 30, burst: 30 } as const;

/**
 * Room changes (create, join, leave, invite, remove, roles) per member: each is a commit
 * and may tell every member of a room; a person never makes this many.
 */
export const ROOM_CHANGE_LIMIT = { perMinute: 120, burst: 60 } as const;

/** Most peer keys each limiter tracks: at about 100 bytes a key, about 1 MB. */
export const MAX_TRACKED_PEERS = 10_000;

/** What {@link RateLimiter.take} decided. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Sustained rate per key: one attempt every `60000 / perMinute` ms. */
  perMinute: number;
  /** Attempts a key may make at once, after being idle (the bucket's size). */
  burst: number;
  /** Most keys tracked at once; see the module doc for who is forgotten. */
  maxKeys: number;
  /** Milliseconds from any fixed point, for tests; `performance.now` (monotonic) by default. */
  now?: () => number;
}

/** What handlers ask of a limit; {@link NO_LIMIT} says yes to everything. */
export interface Limit {
  take(key: string): RateDecision;
  check(key: string): RateDecision;
}

/** A limit that admits everything: for load tests and benchmarks on one machine only. */
export const NO_LIMIT: Limit = { take: () => ({ ok: true }), check: () => ({ ok: true }) };

/** A token bucket per key, with at most `maxKeys` keys; see the module doc. */
export class RateLimiter implements Limit {
  /** Milliseconds between attempts at the sustained rate. */
  readonly #intervalMs: number;
  /** How far ahead of now a key's full time may be: `burst` intervals. */
  readonly #capacityMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  /**
   * Per key, when its bucket will be full again (the GCRA "theoretical arrival time"). At or
   * before now, the bucket is full. Map order is least recently used first.
   */
  #fullAt = new Map<string, number>();

  /**
   * @throws {RangeError} `perMinute` is not a positive number, or `burst` or `maxKeys` is not a
   *   positive integer.
   */
  constructor(options: RateLimiterOptions) {
    const { perMinute, burst, maxKeys } = options;
    if (!(Number.isFinite(perMinute) && perMinute > 0)) {
      throw new RangeError(`perMinute must be a positive number, not ${perMinute}`);
    }
    if (!(Number.isSafeInteger(burst) && burst > 0)) {
      throw new RangeError(`burst must be a positive integer, not ${burst}`);
    }
    if (!(Number.isSafeInteger(maxKeys) && maxKeys > 0)) {
      throw new RangeError(`maxKeys must be a positive integer, not ${maxKeys}`);
    }
    this.#intervalMs = 60_000 / perMinute;
    this.#capacityMs = burst * this.#intervalMs;
    this.#maxKeys = maxKeys;
    this.#now = options.now ?? (() => performance.now());
  }

  /** How many keys are tracked now; never more than `maxKeys`. */
  get size(): number {
    return this.#fullAt.size;
  }

  /**
   * Spends one attempt of `key`'s bucket if it has one.
   *
   * @returns `{ ok: true }`, or `{ ok: false, retryAfterMs }`: the wait, in whole ms, after
   *   which the next attempt will be allowed. A refused attempt spends nothing.
   */
  take(key: string): RateDecision {
    const now = this.#now();
    const decision = this.#decide(key, now);
    if (decision.ok) {
      const from = Math.max(this.#fullAt.get(key) ?? now, now);
      this.#touch(key, from + this.#intervalMs, now);
    } else {
      this.#touch(key, this.#fullAt.get(key)!, now);
    }
    return decision;
  }

  /**
   * What {@link take} would decide, spending nothing: to refuse before doing work whose failure
   * is what is limited (check, try the proof, `take` only when it fails). A key being refused is
   * counted as used, so that a key refused here is not forgotten sooner than one refused by
   * `take`.
   */
  check(key: string): RateDecision {
    const now = this.#now();
    const decision = this.#decide(key, now);
    if (!decision.ok) this.#touch(key, this.#fullAt.get(key)!, now);
    return decision;
  }

  #decide(key: string, now: number): RateDecision {
    const fullAt = this.#fullAt.get(key);
    if (fullAt === undefined) return { ok: true };
    // Allowed while, after this attempt, the bucket would still be within `burst` of full.
    const wait = Math.max(fullAt, now) + this.#intervalMs - this.#capacityMs - now;
    return wait <= 0 ? { ok: true } : { ok: false, retryAfterMs: Math.ceil(wait) };
  }

  /** Records `key` as most recently used, then forgets what the module doc says to forget. */
  #touch(key: string, fullAt: number, now: number): void {
    this.#fullAt.delete(key);
    this.#fullAt.set(key, fullAt);
    // Full buckets at the old end go for free; each key leaves once, so this is O(1) amortized.
    for (const [oldest, oldestFullAt] of this.#fullAt) {
      if (oldestFullAt > now || oldest === key) break;
      this.#fullAt.delete(oldest);
    }
    if (this.#fullAt.size > this.#maxKeys) {
      this.#fullAt.delete(this.#fullAt.keys().next().value!);
    }
  }
}

/**
 * The rate-limiting key of a peer as grpc-js gives it (`call.getPeer()`): its address without
 * the port, and for IPv6 its /64 prefix, since one host (one subscriber, often) is handed a
 * whole /64 and could otherwise take a fresh bucket per address. IPv4 mapped into IPv6
 * (`::ffff:1.2.3.4`, what a dual-stack listener reports for IPv4 callers) is keyed as the IPv4
 * address: grouping it by /64 would put every IPv4 caller in one bucket. Anything else (a Unix
 * socket, `unknown`) is its own key, whole.
 *
 * @example
 * ```ts
 * peerKey("ipv4:127.0.0.1:53412"); // "127.0.0.1"
 * peerKey("[2001:db8:1:2:3:4:5:6]:5000"); // "2001:db8:1:2::/64"
 * peerKey("::ffff:10.0.0.7:5000"); // "10.0.0.7"
 * peerKey("unix:/run/chat.sock"); // "unix:/run/chat.sock"
 * ```
 */
export function peerKey(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, "");
  // `[v6]:port` (grpc-js's client side) or `[v6]`.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return keyOfIpv6(bracketed[1]) ?? peer;
  // `v4:port` or `v4`.
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(address);
  if (v4) return isIpv4(v4[1]) ? v4[1] : peer;
  // grpc-js's server side writes `${remoteAddress}:${remotePort}` unbracketed (`::1:5000`), or
  // the address alone when there is no port: a port is assumed when what precedes the last
  // colon is an address on its own.
  const lastColon = address.lastIndexOf(":");
  if (lastColon > 0 && /^\d{1,5}$/.test(address.slice(lastColon + 1))) {
    const key = keyOfIpv6(address.slice(0, lastColon));
    if (key !== undefined) return key;
  }
  return keyOfIpv6(address) ?? peer;
}

function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) < 256);
}

/** The key of an IPv6 address (its /64, or the IPv4 address it maps), or undefined if it is not one. */
function keyOfIpv6(text: string): string | undefined {
  const groups = parseIpv6(text.replace(/%.*$/, "")); // a zone (`%eth0`) is not part of the address
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  }
  return `${formatIpv6([...groups.slice(0, 4), 0, 0, 0, 0])}/64`;
}

/** The eight 16-bit groups of an IPv6 address in text form, or undefined if it is not one. */
function parseIpv6(text: string): number[] | undefined {
  let head = text;
  const tail: number[] = [];
  // A dotted IPv4 address may end it (`::ffff:1.2.3.4`).
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    if (!isIpv4(dotted[2])) return undefined;
    const [a, b, c, d] = dotted[2].split(".").map(Number);
    head = dotted[1].endsWith("::") ? dotted[1] : dotted[1].slice(0, -1);
    tail.push((a << 8) | b, (c << 8) | d);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => part === "" ? [] : part.split(":");
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  if (![...left, ...right].every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const hex = (groups: string[]) => groups.map((group) => parseInt(group, 16));
  const missing = 8 - left.length - right.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [
    ...hex(left),
    ...new Array<number>(halves.length === 2 ? missing : 0).fill(0),
    ...hex(right),
    ...tail,
  ];
}

/** RFC 5952 text of eight groups: lower case, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > best.length) best = { start, length: end - start };
    start = end === start ? start + 1 : end;
  }
  const text = groups.map((group) => group.toString(16));
  if (best.start < 0) return text.join(":");
  const left = text.slice(0, best.start).join(":");
  const right = text.slice(best.start + best.length).join(":");
  return `${left}::${right}`;
}

/**
 * RESOURCE_EXHAUSTED for an attempt a {@link RateLimiter} refused: a sentence saying what was
 * limited and how long to wait in whole seconds (rounded up, at least 1), and the exact wait in
 * ms as trailing metadata {@link RETRY_AFTER_MS_HEADER}, so a client can wait exactly.
 *
 * @param what what was limited, in the plural: `registrations`, `failed proofs`.
 * @param whose what the limit is kept by, as said after `what`: the caller's address by default.
 * @example
 * ```ts
 * rateLimitedError("registrations", 11_200).details;
 * // "too many registrations from your address; try again in 12 s"
 * ```
 */
export function rateLimitedError(
  what: string,
  retryAfterMs: number,
  whose = "from your address",
): grpc.ServiceError {
  const waitMs = Math.max(0, Math.ceil(retryAfterMs));
  const waitS = Math.max(1, Math.ceil(waitMs / 1000));
  const error = statusError(
    grpc.status.RESOURCE_EXHAUSTED,
    `too many ${what} ${whose}; try again in ${waitS} s`,
  );
  error.metadata.set(RETRY_AFTER_MS_HEADER, String(waitMs));
  return error;
}
