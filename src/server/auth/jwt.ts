/**
 * Tokens from an identity provider: a JWT whose `sub` is an account's handle,
 * verified against a key file the operator gives with `-jwt_key`.
 *
 * The key file is one of three things, told apart by its content:
 *
 * - a PEM public key (`-----BEGIN PUBLIC KEY-----`): Ed25519 (`EdDSA`, also
 *   spelled `Ed25519`), P-256 (`ES256`) or RSA of 2048 bits or more (`RS256`);
 * - a JWKS, `{"keys": [...]}`: its public Ed25519, P-256 and RSA signing keys,
 *   each for the algorithms above (only its own `alg` when it names one);
 * - anything else is an HS256 secret: the file's bytes with one trailing
 *   newline trimmed, at least 32 bytes (RFC 7518 §3.2: as long as the hash).
 *
 * A token is accepted only with an algorithm the key fits, so `alg: none` and
 * the classic confusion (an HS256 token "signed" with an RSA public key's
 * bytes) are refused before any signature is computed.
 *
 * **Every token must have an `exp`.** A token without one would grant access
 * for ever, with no way to take it back short of changing the key; refusing
 * it means every grant ends. `exp` and `nbf` are checked with
 * {@link DEFAULT_CLOCK_TOLERANCE_S} seconds of tolerance for clock skew
 * between the provider and this server, unless the caller gives another.
 *
 * Every refusal is a {@link TokenRefusedError} whose message is a sentence for
 * the client that never holds key material; the library's own error, if any,
 * is its `cause`, for the server's log.
 *
 * @module
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import * as jose from "jose";
import { checkHandle, checkName } from "../../shared/validate.ts";

/** Seconds of clock skew allowed on `exp` and `nbf` when the caller sets none. */
export const DEFAULT_CLOCK_TOLERANCE_S = 30;

/** Fewest bytes of an HS256 secret: 256 bits, the size of the hash (RFC 7518 §3.2). */
export const MIN_HS256_SECRET_BYTES = 32;

/** What a verified token says about its holder. */
export interface VerifiedToken {
  /** The account's handle: the token's `sub`, lower-cased (handles are case-insensitive). */
  handle: string;
  /** The display name: the token's `name`, else its `sub` as written. */
  name: string;
  /**
   * When the token stops granting access: its `exp` plus the clock tolerance, in ms since the
   * epoch, the moment from which it no longer verifies. Always set: tokens without `exp` are
   * refused (see the module doc).
   */
  expiresAtMs: number;
}

/** Verifies tokens against one key file; made by {@link loadTokenVerifier}. */
export interface TokenVerifier {
  /** The algorithms a token may be signed with: exactly those the key fits. */
  readonly algorithms: readonly string[];
  /** What the key file held, for the start-up log, e.g. `an RSA public key (RS256)`. */
  readonly description: string;
  /**
   * Who `token` says its holder is.
   *
   * @throws {TokenRefusedError} a sentence for the client on any defect: malformed, an algorithm
   *   the key does not fit, a bad signature, expired or not yet valid, no `exp`, the wrong
   *   issuer or audience, a missing or invalid `sub`, an invalid `name`.
   */
  verify(token: string): Promise<VerifiedToken>;
}

/** Options of {@link loadTokenVerifier}. */
export interface TokenVerifierOptions {
  /** The key file: a PEM public key, a JWKS, or an HS256 secret (see the module doc). */
  keyFile: string;
  /** When given, a token's `iss` must be exactly this. */
  issuer?: string;
  /** When given, a token's `aud` must be or contain this. */
  audience?: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`; {@link DEFAULT_CLOCK_TOLERANCE_S} if unset. */
  clockToleranceS?: number;
}

/** The key file cannot be used: it names the file and what is wrong with it. */
export class TokenKeyError extends Error {
  /** The key file, as given. */
  readonly path: string;

  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`the token key file ${path} ${problem}`, options);
    this.name = "TokenKeyError";
    this.path = path;
  }
}

/** A token was refused; the message says why, in words fit for the client. */
export class TokenRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TokenRefusedError";
  }
}

/**
 * Reads a key file and returns a verifier for tokens signed with that key.
 *
 * @example
 * ```ts
 * const verifier = await loadTokenVerifier({ keyFile: "idp.pem", issuer: "https://idp.example" });
 * const { handle, name, expiresAtMs } = await verifier.verify(token);
 * ```
 *
 * @throws {TokenKeyError} the file cannot be read, is not a key, holds a private key, a key of a
 *   type or size this server does not accept, or an HS256 secret shorter than
 *   {@link MIN_HS256_SECRET_BYTES} bytes.
 * @throws {RangeError} `clockToleranceS` is negative or not a number, or `issuer` or `audience`
 *   is empty.
 */
export async function loadTokenVerifier(options: TokenVerifierOptions): Promise<TokenVerifier> {
  const tolerance = options.clockToleranceS ?? DEFAULT_CLOCK_TOLERANCE_S;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new RangeError(
      `clockToleranceS must be a number of seconds, 0 or more, not ${options.clockToleranceS}`,
    );
  }
  for (const claim of ["issuer", "audience"] as const) {
    // An empty flag would demand an empty claim, which no provider sends: a mistake, not a policy.
    if (options[claim] === "") {
      throw new RangeError(`${claim} is empty; leave it out to accept any`);
    }
  }
  const key = await loadKey(options.keyFile);
  const verifyOptions: jose.JWTVerifyOptions = {
    algorithms: [...key.algorithms],
    clockTolerance: tolerance,
    issuer: options.issuer,
    audience: options.audience,
    // Every grant must end (see the module doc); the handle is the whole point of the token.
    requiredClaims: ["exp", "sub"],
  };
  return {
    algorithms: key.algorithms,
    description: key.description,
    async verify(token: string): Promise<VerifiedToken> {
      const alg = algorithmOf(token);
      if (!key.algorithms.includes(alg)) {
        throw new TokenRefusedError(
          `the token's algorithm ${quoteIfOdd(alg)} is not accepted` +
            ` (this server accepts ${key.algorithms.join(", ")})`,
        );
      }
      let payload: jose.JWTPayload;
      try {
        payload = await verifyWith(token, key.key, verifyOptions);
      } catch (error) {
        throw refusalFor(error);
      }
      const claims = claimsOf(payload);
      // The grant lasts as long as the token verifies, so the same skew is allowed on both.
      return { ...claims, expiresAtMs: claims.expiresAtMs + tolerance * 1000 };
    },
  };
}

/** A key file, read and imported once. */
interface LoadedKey {
  key: jose.CryptoKey | jose.JWTVerifyGetKey;
  algorithms: readonly string[];
  description: string;
}

const EDDSA_ALGORITHMS = ["EdDSA", "Ed25519"] as const;

async function loadKey(path: string): Promise<LoadedKey> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new TokenKeyError(path, "does not exist");
    if (error instanceof Deno.errors.IsADirectory) throw new TokenKeyError(path, "is a directory");
    throw new TokenKeyError(path, `cannot be read (${(error as Error).message})`, {
      cause: error,
    });
  }
  // Decoded leniently only to tell the three forms apart: a secret may be any bytes.
  const text = new TextDecoder().decode(bytes).trim();
  if (text.startsWith("-----BEGIN ")) return await loadPem(path, text);
  if (text.startsWith("{")) return await loadJwks(path, text);
  return await loadSecret(path, bytes);
}

async function loadSecret(path: string, bytes: Uint8Array): Promise<LoadedKey> {
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end -= bytes[end - 2] === 0x0d ? 2 : 1;
  const secret = bytes.slice(0, end);
  if (secret.length === 0) throw new TokenKeyError(path, "is empty");
  if (secret.length < MIN_HS256_SECRET_BYTES) {
    throw new TokenKeyError(
      path,
      `holds an HS256 secret of ${secret.length} bytes; ` +
        `a secret must be at least ${MIN_HS256_SECRET_BYTES} bytes (256 bits)`,
    );
  }
  // Imported once, not per token; not extractable, so the bytes cannot leave it.
  const key = await crypto.subtle.importKey(
    "raw",
    secret,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // Web Crypto's CryptoKey, which jose takes; its type is declared twice (Deno's lib and the
  // Node types jose's declarations load), and the checker sees two types for one object.
  return {
    key: key as unknown as jose.CryptoKey,
    algorithms: ["HS256"],
    description: "an HS256 secret",
  };
}

async function loadPem(path: string, text: string): Promise<LoadedKey> {
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1] ?? "(unreadable label)";
  if (label !== "PUBLIC KEY") {
    const what = label.includes("PRIVATE KEY")
      ? "a private key; give this server only the provider's public key"
      : `a PEM ${label}, not a public key`;
    throw new TokenKeyError(path, `holds ${what} (-----BEGIN PUBLIC KEY-----)`);
  }
  let parsed: KeyObject;
  try {
    parsed = createPublicKey(text);
  } catch (error) {
    throw new TokenKeyError(path, "holds a PEM public key that does not parse", { cause: error });
  }
  const { algorithms, description } = fitPublicKey(path, parsed);
  try {
    const key = await jose.importSPKI(text, algorithms[0]);
    return { key, algorithms, description };
  } catch (error) {
    throw new TokenKeyError(path, `holds ${description} that cannot be imported`, {
      cause: error,
    });
  }
}

/** The algorithms a parsed public key fits, or why it fits none we accept. */
function fitPublicKey(path: string, key: KeyObject): Omit<LoadedKey, "key"> {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "ed25519") {
    return { algorithms: EDDSA_ALGORITHMS, description: "an Ed25519 public key (EdDSA)" };
  }
  if (type === "ec" && details.namedCurve === "prime256v1") {
    return { algorithms: ["ES256"], description: "a P-256 public key (ES256)" };
  }
  if (type === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) {
      throw new TokenKeyError(
        path,
        `holds a ${bits}-bit RSA public key; RS256 needs at least 2048 bits`,
      );
    }
    return { algorithms: ["RS256"], description: `a ${bits}-bit RSA public key (RS256)` };
  }
  const what = type === "ec" ? `an EC public key on curve ${details.namedCurve}` : `a ${type} key`;
  throw new TokenKeyError(
    path,
    `holds ${what}, which this server does not accept ` +
      "(it accepts Ed25519, P-256 and RSA public keys, or a JWKS, or an HS256 secret)",
  );
}

async function loadJwks(path: string, text: string): Promise<LoadedKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TokenKeyError(path, "starts like JSON but does not parse as JSON", { cause: error });
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) {
    throw new TokenKeyError(path, 'holds JSON but not a JWKS ({"keys": [...]})');
  }
  const usable: jose.JWK[] = [];
  const algorithms = new Set<string>();
  for (const [index, member] of keys.entries()) {
    if (!member || typeof member !== "object" || Array.isArray(member)) {
      throw new TokenKeyError(path, `holds a JWKS whose key ${index} is not a JSON object`);
    }
    const jwk = member as jose.JWK;
    const which = typeof jwk.kid === "string" ? `key ${index} (kid ${jwk.kid})` : `key ${index}`;
    if ("d" in jwk || "k" in jwk) {
      // A private or symmetric key here would be a secret kept in a public file: refuse loudly.
      throw new TokenKeyError(
        path,
        `holds a JWKS whose ${which} is private or secret; give this server only public keys`,
      );
    }
    const fits = jwkAlgorithms(jwk);
    if (fits.length === 0) continue; // encryption keys and other algorithms: not ours to use
    try {
      await jose.importJWK(jwk, fits[0]);
    } catch (error) {
      throw new TokenKeyError(path, `holds a JWKS whose ${which} cannot be imported`, {
        cause: error,
      });
    }
    if (jwk.kty === "RSA" && base64urlBits(jwk.n) < 2048) {
      throw new TokenKeyError(path, `holds a JWKS whose ${which} is an RSA key under 2048 bits`);
    }
    usable.push(jwk);
    for (const alg of fits) algorithms.add(alg);
  }
  if (usable.length === 0) {
    throw new TokenKeyError(
      path,
      "holds a JWKS with no key this server can use (Ed25519, P-256 or RSA signing keys)",
    );
  }
  const accepted = [...algorithms];
  return {
    key: jose.createLocalJWKSet({ keys: usable }),
    algorithms: accepted,
    description: `a JWKS of ${usable.length} usable key${usable.length === 1 ? "" : "s"} ` +
      `(${accepted.join(", ")})`,
  };
}

/** The algorithms we accept that a public JWK fits; none for keys not meant for signing. */
function jwkAlgorithms(jwk: jose.JWK): readonly string[] {
  if (jwk.use !== undefined && jwk.use !== "sig") return [];
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes("verify")) return [];
  let fits: readonly string[] = [];
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") fits = EDDSA_ALGORITHMS;
  else if (jwk.kty === "EC" && jwk.crv === "P-256") fits = ["ES256"];
  else if (jwk.kty === "RSA") fits = ["RS256"];
  if (jwk.alg === undefined) return fits;
  return fits.includes(jwk.alg) ? [jwk.alg] : [];
}

/** Bits of a base64url big-endian integer such as an RSA modulus. */
function base64urlBits(value: string | undefined): number {
  if (!value) return 0;
  const bytes = jose.base64url.decode(value);
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  if (first === bytes.length) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first]));
}

/** The `alg` of a compact JWS, checked for shape before any cryptography. */
function algorithmOf(token: string): string {
  if (typeof token !== "string" || token === "") {
    throw new TokenRefusedError("the token is empty");
  }
  const parts = token.split(".").length;
  if (parts !== 3) {
    throw new TokenRefusedError(
      `the token is not a JWT (it has ${parts} part${parts === 1 ? "" : "s"} ` +
        `separated by "."; a signed JWT has 3)`,
    );
  }
  let header: jose.ProtectedHeaderParameters;
  try {
    header = jose.decodeProtectedHeader(token);
  } catch (error) {
    throw new TokenRefusedError(
      "the token is not a JWT (its header is not a base64url-encoded JSON object)",
      { cause: error },
    );
  }
  if (typeof header.alg !== "string" || header.alg === "") {
    throw new TokenRefusedError("the token is not a JWT (its header has no alg)");
  }
  return header.alg;
}

/**
 * Runs jose's verification. With a JWKS that has several keys fitting the token (no `kid`),
 * jose hands back the candidates and leaves trying them to us.
 */
async function verifyWith(
  token: string,
  key: jose.CryptoKey | jose.JWTVerifyGetKey,
  options: jose.JWTVerifyOptions,
): Promise<jose.JWTPayload> {
  try {
    // Two calls, not one with a union: jose types the key and function overloads apart.
    if (typeof key === "function") return (await jose.jwtVerify(token, key, options)).payload;
    return (await jose.jwtVerify(token, key, options)).payload;
  } catch (error) {
    if (!(error instanceof jose.errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const candidate of error as AsyncIterable<jose.CryptoKey>) {
      try {
        return (await jose.jwtVerify(token, candidate, options)).payload;
      } catch (inner) {
        if (inner instanceof jose.errors.JWSSignatureVerificationFailed) continue;
        throw inner;
      }
    }
    throw new jose.errors.JWSSignatureVerificationFailed();
  }
}

/** What jose threw, as a refusal for the client; jose's error is kept as the cause. */
function refusalFor(error: unknown): TokenRefusedError {
  const cause = { cause: error };
  const { errors } = jose;
  if (error instanceof errors.JWTExpired) {
    return new TokenRefusedError("the token has expired", cause);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenRefusedError(claimRefusal(error.claim, error.reason), cause);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRefusedError("the token's signature does not verify", cause);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenRefusedError(
      "the token's signature does not verify (no key this server trusts matches its kid)",
      cause,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenRefusedError("the token's algorithm is not accepted", cause);
  }
  if (error instanceof errors.JOSENotSupported) {
    return new TokenRefusedError(
      `the token uses what this server does not support (${josesWords(error)})`,
      cause,
    );
  }
  if (error instanceof errors.JOSEError) {
    return new TokenRefusedError(`the token is not a JWT (${josesWords(error)})`, cause);
  }
  // Not jose's refusal but a fault (a TypeError, say): no details for the client, all for the log.
  return new TokenRefusedError("the token could not be verified", cause);
}

/** jose's message, to go in parentheses after ours: it may quote the token, so it is escaped. */
function josesWords(error: Error): string {
  const text = clientSafe(error.message);
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function claimRefusal(claim: string, reason: string): string {
  if (reason === "missing") {
    switch (claim) {
      case "exp":
        return "the token has no exp (expiry time); this server accepts only tokens that expire";
      case "sub":
        return "the token has no sub (the account's handle)";
      case "iss":
        return "the token has no iss (issuer); this server accepts only tokens from its issuer";
      case "aud":
        return "the token has no aud (audience); this server accepts only tokens meant for it";
    }
    return `the token has no ${clientSafe(claim)}`;
  }
  if (reason === "invalid") return `the token's ${clientSafe(claim)} is not a number`;
  switch (claim) {
    case "iss":
      return "the token's issuer is not the one this server accepts";
    case "aud":
      return "the token's audience is not the one this server accepts";
    case "nbf":
      return "the token is not valid yet (its nbf is in the future)";
  }
  return `the token's ${clientSafe(claim)} is not accepted`;
}

function claimsOf(payload: jose.JWTPayload): VerifiedToken {
  const { sub, name, exp } = payload;
  if (typeof sub !== "string") throw new TokenRefusedError("the token's sub is not a string");
  const invalid = checkHandle(sub);
  if (invalid) {
    throw new TokenRefusedError(`the token's sub ${quote(sub)} is not a valid handle (${invalid})`);
  }
  let displayName = sub;
  if (name !== undefined) {
    if (typeof name !== "string") throw new TokenRefusedError("the token's name is not a string");
    const problem = checkName(name);
    if (problem) {
      throw new TokenRefusedError(
        `the token's name ${quote(name)} is not a valid display name (${problem})`,
      );
    }
    displayName = name;
  }
  // jose has checked that exp is present, a number, and not past.
  return { handle: sub.toLowerCase(), name: displayName, expiresAtMs: (exp as number) * 1000 };
}

/** A value from the token, quoted, with `"` and anything odd escaped, and cut short. */
function quote(value: string): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}...` : value;
  return `"${clientSafe(cut).replaceAll('"', '\\"')}"`;
}

/** `alg` bare when it is a plain name (`none`, `HS256`), else quoted. */
function quoteIfOdd(alg: string): string {
  return /^[A-Za-z0-9+_-]{1,32}$/.test(alg) ? alg : quote(alg);
}

/** `text` with `\` and all but printable ASCII escaped, so that no token can forge a line. */
function clientSafe(text: string): string {
  return text.replace(
    /[^\x20-\x7e]|\\/g,
    (c) => c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
