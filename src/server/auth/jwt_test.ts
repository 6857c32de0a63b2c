import assert from "node:assert/strict";
import * as jose from "jose";
import { join } from "node:path";
import {
  DEFAULT_CLOCK_TOLERANCE_S,
  loadTokenVerifier,
  MIN_HS256_SECRET_BYTES,
  TokenKeyError,
  TokenRefusedError,
  type TokenVerifier,
} from "./jwt.ts";

const HOUR_S = 3600;
const nowS = () => Math.floor(Date.now() / 1000);

/** A temporary directory for key files, removed after `fn`. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jwt_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeKey(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  return path;
}

/** A signed token for alice that expires in an hour, with `claims` over that. */
async function sign(
  key: jose.CryptoKey | Uint8Array,
  alg: string,
  claims: jose.JWTPayload = {},
  header: Partial<jose.JWTHeaderParameters> = {},
): Promise<string> {
  return await new jose.SignJWT({ sub: "alice", exp: nowS() + HOUR_S, ...claims })
    .setProtectedHeader({ ...header, alg })
    .sign(key);
}

/** An unsigned token, built by hand as an attacker would. */
function unsigned(header: object, claims: object): string {
  const part = (value: object) => jose.base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(claims)}.`;
}

async function assertRefused(
  verifier: TokenVerifier,
  token: string,
  message: string,
): Promise<void> {
  await assert.rejects(verifier.verify(token), (error: unknown) => {
    assert.ok(error instanceof TokenRefusedError, `not a TokenRefusedError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

async function assertKeyError(keyFile: string, message: string): Promise<void> {
  await assert.rejects(loadTokenVerifier({ keyFile }), (error: unknown) => {
    assert.ok(error instanceof TokenKeyError, `not a TokenKeyError: ${error}`);
    assert.equal(error.message, message);
    assert.equal(error.path, keyFile);
    return true;
  });
}

/**
 * Random secret bytes that do not end in a newline or carriage return, nor start with what
 * the key file's loader reads as another kind of key: it trims one trailing line ending, so
 * such a secret would verify nothing (1 run in ~10 failed so), and it takes a file that starts,
 * after white space, with `{` for a JWKS and with `-----BEGIN ` for PEM (a run in a few
 * hundred failed so). A secret starting with a letter is neither.
 */
function randomSecret(bytes = 48): Uint8Array {
  const secret = crypto.getRandomValues(new Uint8Array(bytes));
  if (secret[bytes - 1] === 0x0a || secret[bytes - 1] === 0x0d) secret[bytes - 1] = 0x41;
  secret[0] = 0x41;
  return secret;
}

function withNewline(bytes: Uint8Array): Uint8Array {
  return new Uint8Array([...bytes, 0x0a]);
}

async function pemKeyFile(
  dir: string,
  alg: string,
): Promise<{ path: string; pair: jose.GenerateKeyPairResult; pem: string }> {
  const pair = await jose.generateKeyPair(alg, { extractable: true });
  const pem = await jose.exportSPKI(pair.publicKey);
  return { path: await writeKey(dir, `${alg}.pem`, pem), pair, pem };
}

Deno.test("jwt: an HS256 token verifies against the file's secret, one trailing newline trimmed", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret();
    const keyFile = await writeKey(dir, "secret", withNewline(secret));
    const verifier = await loadTokenVerifier({ keyFile });
    assert.deepEqual(verifier.algorithms, ["HS256"]);
    assert.equal(verifier.description, "an HS256 secret");
    const exp = nowS() + HOUR_S;
    assert.deepEqual(
      await verifier.verify(await sign(secret, "HS256", { exp, name: "Alice A." })),
      {
        handle: "alice",
        name: "Alice A.",
        expiresAtMs: (exp + DEFAULT_CLOCK_TOLERANCE_S) * 1000,
      },
    );
    // The newline is not part of the secret: a token signed with it does not verify.
    await assertRefused(
      verifier,
      await sign(withNewline(secret), "HS256"),
      "the token's signature does not verify",
    );
  });
});

Deno.test("jwt: a CRLF ending is trimmed too, and a secret of exactly 32 bytes is enough", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret(MIN_HS256_SECRET_BYTES);
    const keyFile = await writeKey(dir, "secret", new Uint8Array([...secret, 0x0d, 0x0a]));
    const verifier = await loadTokenVerifier({ keyFile });
    assert.equal((await verifier.verify(await sign(secret, "HS256"))).handle, "alice");
  });
});

Deno.test("jwt: EdDSA tokens verify against an Ed25519 PEM key, under either name", async () => {
  await withDir(async (dir) => {
    const { path, pair } = await pemKeyFile(dir, "EdDSA");
    const verifier = await loadTokenVerifier({ keyFile: path });
    assert.deepEqual(verifier.algorithms, ["EdDSA", "Ed25519"]);
    assert.equal(verifier.description, "an Ed25519 public key (EdDSA)");
    for (const alg of ["EdDSA", "Ed25519"]) {
      const exp = nowS() + HOUR_S;
      assert.deepEqual(await verifier.verify(await sign(pair.privateKey, alg, { exp })), {
        handle: "alice",
        name: "alice",
        expiresAtMs: (exp + DEFAULT_CLOCK_TOLERANCE_S) * 1000,
      });
    }
  });
});

Deno.test("jwt: ES256 and RS256 tokens verify against their PEM keys, and only those algorithms", async () => {
  await withDir(async (dir) => {
    const es = await pemKeyFile(dir, "ES256");
    const esVerifier = await loadTokenVerifier({ keyFile: es.path });
    assert.deepEqual(esVerifier.algorithms, ["ES256"]);
    assert.equal(esVerifier.description, "a P-256 public key (ES256)");
    assert.equal(
      (await esVerifier.verify(await sign(es.pair.privateKey, "ES256"))).handle,
      "alice",
    );

    const rs = await pemKeyFile(dir, "RS256");
    const rsVerifier = await loadTokenVerifier({ keyFile: rs.path });
    assert.deepEqual(rsVerifier.algorithms, ["RS256"]);
    assert.equal(rsVerifier.description, "a 2048-bit RSA public key (RS256)");
    assert.equal(
      (await rsVerifier.verify(await sign(rs.pair.privateKey, "RS256"))).handle,
      "alice",
    );
    // A valid RS256 token relabelled RS512: refused before any signature is checked.
    const [, payload, signature] = (await sign(rs.pair.privateKey, "RS256")).split(".");
    const relabelled = `${jose.base64url.encode('{"alg":"RS512"}')}.${payload}.${signature}`;
    await assertRefused(
      rsVerifier,
      relabelled,
      "the token's algorithm RS512 is not accepted (this server accepts RS256)",
    );
  });
});

Deno.test("jwt: a JWKS verifies tokens by kid, tries every fitting key without one, and skips keys not for signing", async () => {
  await withDir(async (dir) => {
    const ed = await jose.generateKeyPair("EdDSA");
    const rsA = await jose.generateKeyPair("RS256");
    const rsB = await jose.generateKeyPair("RS256");
    const enc = await jose.generateKeyPair("RSA-OAEP", { extractable: true });
    const keys = [
      { ...(await jose.exportJWK(ed.publicKey)), kid: "ed" },
      { ...(await jose.exportJWK(rsA.publicKey)), kid: "rs-a" },
      { ...(await jose.exportJWK(rsB.publicKey)), kid: "rs-b", alg: "RS256", use: "sig" },
      { ...(await jose.exportJWK(enc.publicKey)), kid: "enc", use: "enc" },
    ];
    const keyFile = await writeKey(dir, "jwks.json", JSON.stringify({ keys }));
    const verifier = await loadTokenVerifier({ keyFile });
    assert.deepEqual(verifier.algorithms, ["EdDSA", "Ed25519", "RS256"]);
    assert.equal(verifier.description, "a JWKS of 3 usable keys (EdDSA, Ed25519, RS256)");

    const byKid = await sign(ed.privateKey, "EdDSA", { sub: "Bob" }, { kid: "ed" });
    assert.equal((await verifier.verify(byKid)).handle, "bob");
    assert.equal(
      (await verifier.verify(await sign(rsB.privateKey, "RS256", {}, { kid: "rs-b" }))).handle,
      "alice",
    );
    // No kid: both RSA keys fit RS256, so each is tried.
    assert.equal((await verifier.verify(await sign(rsB.privateKey, "RS256"))).handle, "alice");
    assert.equal((await verifier.verify(await sign(rsA.privateKey, "RS256"))).handle, "alice");

    // Signed by rs-a but claiming rs-b's kid.
    await assertRefused(
      verifier,
      await sign(rsA.privateKey, "RS256", {}, { kid: "rs-b" }),
      "the token's signature does not verify",
    );
    await assertRefused(
      verifier,
      await sign(ed.privateKey, "EdDSA", {}, { kid: "gone" }),
      "the token's signature does not verify (no key this server trusts matches its kid)",
    );
    const stranger = await jose.generateKeyPair("RS256");
    await assertRefused(
      verifier,
      await sign(stranger.privateKey, "RS256"),
      "the token's signature does not verify",
    );
    await assertRefused(
      verifier,
      await sign(randomSecret(), "HS256", {}, { kid: "rs-a" }),
      "the token's algorithm HS256 is not accepted (this server accepts EdDSA, Ed25519, RS256)",
    );
  });
});

Deno.test("jwt: a token signed with another key is refused", async () => {
  await withDir(async (dir) => {
    const hsVerifier = await loadTokenVerifier({
      keyFile: await writeKey(dir, "secret", randomSecret()),
    });
    await assertRefused(
      hsVerifier,
      await sign(randomSecret(), "HS256"),
      "the token's signature does not verify",
    );
    const { path } = await pemKeyFile(dir, "EdDSA");
    const other = await jose.generateKeyPair("EdDSA");
    await assertRefused(
      await loadTokenVerifier({ keyFile: path }),
      await sign(other.privateKey, "EdDSA"),
      "the token's signature does not verify",
    );
  });
});

Deno.test("jwt: an expired token is refused; clock skew within the tolerance is not", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret();
    const keyFile = await writeKey(dir, "secret", secret);
    const verifier = await loadTokenVerifier({ keyFile });
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { exp: nowS() - HOUR_S }),
      "the token has expired",
    );
    const justExpired = await sign(secret, "HS256", { exp: nowS() - 10 });
    assert.equal((await verifier.verify(justExpired)).handle, "alice");
    const strict = await loadTokenVerifier({ keyFile, clockToleranceS: 0 });
    await assertRefused(strict, justExpired, "the token has expired");
    await assertRefused(
      strict,
      await sign(secret, "HS256", { nbf: nowS() + 600 }),
      "the token is not valid yet (its nbf is in the future)",
    );
    await assert.rejects(
      loadTokenVerifier({ keyFile, clockToleranceS: -1 }),
      new RangeError("clockToleranceS must be a number of seconds, 0 or more, not -1"),
    );
  });
});

Deno.test("jwt: a token without exp is refused, so that every grant ends", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret();
    const verifier = await loadTokenVerifier({ keyFile: await writeKey(dir, "secret", secret) });
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { exp: undefined }),
      "the token has no exp (expiry time); this server accepts only tokens that expire",
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { exp: "tomorrow" as unknown as number }),
      "the token's exp is not a number",
    );
  });
});

Deno.test("jwt: alg none is refused whatever the key", async () => {
  await withDir(async (dir) => {
    const token = unsigned({ alg: "none" }, { sub: "alice", exp: nowS() + HOUR_S });
    const hs = await loadTokenVerifier({ keyFile: await writeKey(dir, "secret", randomSecret()) });
    await assertRefused(
      hs,
      token,
      "the token's algorithm none is not accepted (this server accepts HS256)",
    );
    const rs = await loadTokenVerifier({ keyFile: (await pemKeyFile(dir, "RS256")).path });
    await assertRefused(
      rs,
      token,
      "the token's algorithm none is not accepted (this server accepts RS256)",
    );
    // Spelled otherwise, or with a forged signature part, it is still none.
    await assertRefused(
      rs,
      unsigned({ alg: "None" }, { sub: "alice", exp: nowS() + HOUR_S }) + "AAAA",
      "the token's algorithm None is not accepted (this server accepts RS256)",
    );
  });
});

Deno.test("jwt: an HS256 token keyed with the RS256 public key's bytes is refused (algorithm confusion)", async () => {
  await withDir(async (dir) => {
    const { path, pem } = await pemKeyFile(dir, "RS256");
    const verifier = await loadTokenVerifier({ keyFile: path });
    for (const secret of [pem, pem.trim()]) {
      await assertRefused(
        verifier,
        await sign(new TextEncoder().encode(secret), "HS256"),
        "the token's algorithm HS256 is not accepted (this server accepts RS256)",
      );
    }
  });
});

Deno.test("jwt: iss and aud are checked when configured, and ignored when not", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret();
    const keyFile = await writeKey(dir, "secret", secret);
    const verifier = await loadTokenVerifier({
      keyFile,
      issuer: "https://idp.example",
      audience: "grpc-chat",
    });
    const good = { iss: "https://idp.example", aud: "grpc-chat" };
    assert.equal((await verifier.verify(await sign(secret, "HS256", good))).handle, "alice");
    const inList = { ...good, aud: ["other", "grpc-chat"] };
    assert.equal((await verifier.verify(await sign(secret, "HS256", inList))).handle, "alice");
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { ...good, iss: "https://evil.example" }),
      "the token's issuer is not the one this server accepts",
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { ...good, aud: "another-app" }),
      "the token's audience is not the one this server accepts",
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { aud: "grpc-chat" }),
      "the token has no iss (issuer); this server accepts only tokens from its issuer",
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { iss: "https://idp.example" }),
      "the token has no aud (audience); this server accepts only tokens meant for it",
    );
    await assert.rejects(
      loadTokenVerifier({ keyFile, issuer: "" }),
      new RangeError("issuer is empty; leave it out to accept any"),
    );
    await assert.rejects(
      loadTokenVerifier({ keyFile, audience: "" }),
      new RangeError("audience is empty; leave it out to accept any"),
    );
    const open = await loadTokenVerifier({ keyFile });
    const anyIssuer = { iss: "https://evil.example", aud: "x" };
    assert.equal((await open.verify(await sign(secret, "HS256", anyIssuer))).handle, "alice");
  });
});

Deno.test("jwt: sub is required and must be a handle; it comes back lower-cased", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret();
    const verifier = await loadTokenVerifier({ keyFile: await writeKey(dir, "secret", secret) });
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { sub: undefined }),
      "the token has no sub (the account's handle)",
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { sub: "x y" }),
      `the token's sub "x y" is not a valid handle ` +
        `(a handle may have only ASCII letters, digits, '.', '_' and '-')`,
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { sub: "" }),
      `the token's sub "" is not a valid handle (the handle is empty)`,
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { sub: "a".repeat(65) }),
      `the token's sub "${"a".repeat(65)}" is not a valid handle ` +
        "(the handle is 65 characters long; the limit is 64)",
    );
    // A lookalike (Cyrillic a) and a forged line are escaped, not echoed.
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { sub: '\u0430lice\n"x' }),
      `the token's sub "\\u0430lice\\u000a\\"x" is not a valid handle ` +
        `(a handle may have only ASCII letters, digits, '.', '_' and '-')`,
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { sub: 42 as unknown as string }),
      "the token's sub is not a string",
    );
    const exp = nowS() + HOUR_S;
    const mixed = await sign(secret, "HS256", { sub: "Alice.Smith_2-b", exp });
    assert.deepEqual(await verifier.verify(mixed), {
      handle: "alice.smith_2-b",
      name: "Alice.Smith_2-b",
      expiresAtMs: (exp + DEFAULT_CLOCK_TOLERANCE_S) * 1000,
    });
    assert.equal(
      (await verifier.verify(await sign(secret, "HS256", { sub: "a".repeat(64) }))).handle,
      "a".repeat(64),
    );
  });
});

Deno.test("jwt: name is the display name, defaults to sub as written, and must be a valid name", async () => {
  await withDir(async (dir) => {
    const secret = randomSecret();
    const verifier = await loadTokenVerifier({ keyFile: await writeKey(dir, "secret", secret) });
    assert.equal(
      (await verifier.verify(await sign(secret, "HS256", { sub: "Luis" }))).name,
      "Luis",
    );
    const named = await sign(secret, "HS256", { sub: "luis", name: "Luis García" });
    assert.equal((await verifier.verify(named)).name, "Luis García");
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { name: "Mallory\u202e" }),
      `the token's name "Mallory\\u202e" is not a valid display name (the name contains a control character)`,
    );
    await assertRefused(
      verifier,
      await sign(secret, "HS256", { name: ["x"] }),
      "the token's name is not a string",
    );
  });
});

Deno.test("jwt: malformed tokens are refused as not a JWT", async () => {
  await withDir(async (dir) => {
    const verifier = await loadTokenVerifier({
      keyFile: await writeKey(dir, "secret", randomSecret()),
    });
    await assertRefused(verifier, "", "the token is empty");
    await assertRefused(
      verifier,
      "not-a-token",
      `the token is not a JWT (it has 1 part separated by "."; a signed JWT has 3)`,
    );
    await assertRefused(
      verifier,
      "a.b.c.d.e",
      `the token is not a JWT (it has 5 parts separated by "."; a signed JWT has 3)`,
    );
    await assertRefused(
      verifier,
      "%%%.e30.sig",
      "the token is not a JWT (its header is not a base64url-encoded JSON object)",
    );
    await assertRefused(
      verifier,
      `${jose.base64url.encode("[1]")}.e30.sig`,
      "the token is not a JWT (its header is not a base64url-encoded JSON object)",
    );
    await assertRefused(
      verifier,
      unsigned({ typ: "JWT" }, {}),
      "the token is not a JWT (its header has no alg)",
    );
    await assertRefused(
      verifier,
      unsigned({ alg: "HS256", crit: ["x"], x: 1 }, {}) + "c2ln",
      `the token uses what this server does not support (extension Header Parameter "x" is not recognized)`,
    );
    await assertRefused(
      verifier,
      unsigned({ alg: "HS256" }, {}) + "!!!",
      "the token is not a JWT (failed to base64url decode the signature)",
    );
  });
});

Deno.test("jwt: an HS256 secret shorter than 32 bytes is refused at load", async () => {
  await withDir(async (dir) => {
    const short = await writeKey(dir, "short", "hunter2hunter2hunter2hunter2abc\n");
    await assertKeyError(
      short,
      `the token key file ${short} holds an HS256 secret of 31 bytes; ` +
        "a secret must be at least 32 bytes (256 bits)",
    );
    const empty = await writeKey(dir, "empty", "\n");
    await assertKeyError(empty, `the token key file ${empty} is empty`);
  });
});

Deno.test("jwt: files that are not a usable key are refused at load, naming the file and why", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "missing.pem");
    await assertKeyError(missing, `the token key file ${missing} does not exist`);

    const json = await writeKey(dir, "config.json", '{"hello": "world"}');
    await assertKeyError(
      json,
      `the token key file ${json} holds JSON but not a JWKS ({"keys": [...]})`,
    );

    const broken = await writeKey(dir, "broken.json", '{"keys": [');
    await assertKeyError(
      broken,
      `the token key file ${broken} starts like JSON but does not parse as JSON`,
    );

    const cert = await writeKey(
      dir,
      "cert.pem",
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    await assertKeyError(
      cert,
      `the token key file ${cert} holds a PEM CERTIFICATE, not a public key (-----BEGIN PUBLIC KEY-----)`,
    );

    const garbage = await writeKey(
      dir,
      "garbage.pem",
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    );
    await assertKeyError(
      garbage,
      `the token key file ${garbage} holds a PEM public key that does not parse`,
    );

    const pair = await jose.generateKeyPair("ES256", { extractable: true });
    const privatePem = await writeKey(dir, "private.pem", await jose.exportPKCS8(pair.privateKey));
    await assertKeyError(
      privatePem,
      `the token key file ${privatePem} holds a private key; ` +
        "give this server only the provider's public key (-----BEGIN PUBLIC KEY-----)",
    );

    const privateJwks = await writeKey(
      dir,
      "private.json",
      JSON.stringify({ keys: [{ ...(await jose.exportJWK(pair.privateKey)), kid: "k1" }] }),
    );
    await assertKeyError(
      privateJwks,
      `the token key file ${privateJwks} holds a JWKS whose key 0 (kid k1) is private or secret; ` +
        "give this server only public keys",
    );

    const encOnly = await jose.generateKeyPair("RSA-OAEP", { extractable: true });
    const noSigning = await writeKey(
      dir,
      "enc.json",
      JSON.stringify({ keys: [{ ...(await jose.exportJWK(encOnly.publicKey)), use: "enc" }] }),
    );
    await assertKeyError(
      noSigning,
      `the token key file ${noSigning} holds a JWKS with no key this server can use ` +
        "(Ed25519, P-256 or RSA signing keys)",
    );
  });
});

Deno.test("jwt: public keys of types this server does not accept are refused at load", async () => {
  await withDir(async (dir) => {
    const p384 = (await pemKeyFile(dir, "ES384")).path;
    await assertKeyError(
      p384,
      `the token key file ${p384} holds an EC public key on curve secp384r1, ` +
        "which this server does not accept " +
        "(it accepts Ed25519, P-256 and RSA public keys, or a JWKS, or an HS256 secret)",
    );
    const { generateKeyPairSync } = await import("node:crypto");
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    const weakFile = await writeKey(
      dir,
      "weak.pem",
      weak.export({ type: "spki", format: "pem" }) as string,
    );
    await assertKeyError(
      weakFile,
      `the token key file ${weakFile} holds a 1024-bit RSA public key; RS256 needs at least 2048 bits`,
    );
  });
});
