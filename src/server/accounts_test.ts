/**
 * Accounts over real gRPC connections: claims, guests, membership by handle,
 * link codes, invite mode and the operator's Admin service.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  auth,
  createLinkCode,
  rawAdmin,
  rawClient,
  RawSubscription,
  refusal,
  register,
  send,
} from "../../tests/grpc.ts";
import { SignJWT } from "jose";
import { loadTokenVerifier } from "./auth/jwt.ts";
import { type ChatServerOptions, type RunningChatServer, startChatServer } from "./mod.ts";

interface Started {
  server: RunningChatServer;
  options: ChatServerOptions;
  logs: string[];
  secret: () => Promise<string>;
}

async function start(options: Partial<ChatServerOptions> = {}): Promise<Started> {
  const dir = await Deno.makeTempDir({ prefix: "chat-accounts-" });
  const logs: string[] = [];
  const full: ChatServerOptions = {
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: ["alice", "bob"],
    log: (line) => logs.push(line),
    ...options,
  };
  const server = await startChatServer(full);
  const secret = async () => (await Deno.readTextFile(`${full.dbPath}.admin-secret`)).trim();
  return { server, options: full, logs, secret };
}

Deno.test("accounts: the first device named alice claims alice; another named alice is a guest", async () => {
  const { server, logs } = await start();
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  assert.equal(alice.handle, "alice");
  assert.equal(alice.guestReason, "");
  assert.ok(
    logs.some((l) => l.startsWith(`claim alice by @alice Alice#${alice.clientId.slice(0, 4)}`)),
  );
  // Another device types the same name, in any case: it proves nothing.
  for (const name of ["alice", "ALICE", "Alice"]) {
    const impostor = await register(client, name);
    assert.equal(impostor.handle, "", name);
    assert.match(impostor.guestReason, /^the handle alice belongs to another device/);
    assert.deepEqual(impostor.groups.map((g) => [g.name, g.member]), [["general", false]]);
    const denied = await refusal(send(client, impostor, "it's me, alice"));
    assert.deepEqual(denied, {
      code: "PERMISSION_DENIED",
      details:
        `${name} is not a member of group general (this device is a guest: its name proves no account)`,
    });
  }
  assert.equal(await server.reader.lastSeq("general"), 0, "nothing stored for the impostors");
  // The real one still is alice, and a resumed session stays so.
  assert.equal((await send(client, alice, "hi")).seq, 1);
  assert.equal((await register(client, "Alice", alice.clientId, alice.key)).handle, "alice");
  client.close();
  await server.shutdown();
});

Deno.test("accounts: a guest impostor receives nothing of a closed group, before and after a server SIGKILL-like restart", async () => {
  const { server, options } = await start();
  let client = rawClient(server.port);
  const alice = await register(client, "alice");
  const bob = await register(client, "bob");
  const impostor = await register(client, "Alice");
  await send(client, bob, "secret plan");
  const watch = new RawSubscription(client, auth(impostor.clientId, impostor.key));
  watch.call.write({ open: { seen: [] } });
  const peek = new RawSubscription(client, auth(alice.clientId, alice.key));
  peek.call.write({ open: { seen: [] } });
  await peek.until(() => peek.seqs.includes(1));
  await send(client, bob, "more");
  await peek.until(() => peek.seqs.includes(2));
  assert.deepEqual(watch.deliveries, [], "the guest was sent nothing");
  watch.call.end();
  peek.call.end();
  client.close();
  await server.shutdown();
  const again = await startChatServer({ ...options, port: 0 });
  client = rawClient(again.port);
  const resumed = await register(client, "Alice", impostor.clientId, impostor.key);
  assert.equal(resumed.handle, "", "still a guest after the restart");
  const late = await register(client, "alice");
  assert.equal(late.handle, "", "a new device named alice after the restart is a guest too");
  assert.equal((await refusal(send(client, late, "x"))).code, "PERMISSION_DENIED");
  assert.equal((await register(client, "alice", alice.clientId, alice.key)).handle, "alice");
  client.close();
  await again.shutdown();
});

Deno.test("accounts: a link code makes a second device alice, once; a guest has none to give", async () => {
  const { server, logs } = await start();
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  const guest = await register(client, "Mary Ann");
  assert.equal(guest.handle, "");
  assert.match(guest.guestReason, /the name "Mary Ann" cannot be a handle/);
  assert.deepEqual(await refusal(createLinkCode(client, guest)), {
    code: "PERMISSION_DENIED",
    details: "this device is a guest: it has no account to link another device to",
  });
  const { code, expiresAtMs } = await createLinkCode(client, alice);
  assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}$/);
  assert.ok(expiresAtMs > Date.now());
  // The laptop may show another display name; it is alice all the same.
  const laptop = await register(client, "Alice on laptop", "", "", { linkCode: code });
  assert.equal(laptop.handle, "alice");
  assert.equal((await send(client, laptop, "from the laptop")).seq, 1);
  assert.ok(logs.some((l) => l.startsWith("link alice by @alice Alice on laptop#")));
  const reuse = await refusal(register(client, "Eve", "", "", { linkCode: code }));
  assert.deepEqual(reuse, {
    code: "PERMISSION_DENIED",
    details: "the link code is not valid (unknown, already used or expired)",
  });
  client.close();
  await server.shutdown();
});

Deno.test("accounts: in invite mode a name claims nothing; an operator's invite claims once", async () => {
  const { server, secret } = await start({ accounts: { mode: "invite" } });
  const client = rawClient(server.port);
  const admin = rawAdmin(server.port, await secret());
  const noCode = await register(client, "alice");
  assert.equal(noCode.handle, "");
  assert.equal(
    noCode.guestReason,
    "accounts on this server are by invite (start with -invite CODE)",
  );
  const bad = await refusal(register(client, "alice", "", "", { invite: "made-up" }));
  assert.deepEqual(bad, {
    code: "PERMISSION_DENIED",
    details: "the invite code is not valid (unknown, already used or expired)",
  });
  const { code } = await admin.invite("alice");
  const claimed = await register(client, "Alice", "", "", { invite: code });
  assert.equal(claimed.handle, "alice");
  assert.equal((await send(client, claimed, "in")).seq, 1);
  const again = await refusal(register(client, "alice", "", "", { invite: code }));
  assert.equal(again.code, "PERMISSION_DENIED", "an invite is used once");
  // Tokens are refused outright here: the mode is invite.
  assert.deepEqual(await refusal(register(client, "x", "", "", { token: "a.b.c" })), {
    code: "INVALID_ARGUMENT",
    details: "this server takes no tokens",
  });
  admin.close();
  client.close();
  await server.shutdown();
});

Deno.test("accounts: the Admin service needs the operator secret; release and revoke take effect at once", async () => {
  const { server, secret, options } = await start();
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  const wrong = rawAdmin(server.port, "not the secret");
  assert.deepEqual(await refusal(wrong.invite()), {
    code: "UNAUTHENTICATED",
    details: "this call needs the operator secret",
  });
  wrong.close();
  const info = await Deno.stat(`${options.dbPath}.admin-secret`);
  assert.equal(info.mode! & 0o777, 0o600, "only the server's user can read the secret");
  const admin = rawAdmin(server.port, await secret());
  // Alice's open stream ends when her account is released: she comes back a guest.
  const stream = new RawSubscription(client, auth(alice.clientId, alice.key));
  const live = new Promise<void>((resolve) => stream.call.once("metadata", () => resolve()));
  stream.call.write({ open: { seen: [] } });
  await live;
  assert.deepEqual(await admin.release("alice"), { devices: 1 });
  const ended = await stream.status;
  assert.equal(ended.code, grpc.status.UNAVAILABLE);
  assert.equal(ended.details, "the account alice was released; reconnect");
  assert.equal((await register(client, "Alice", alice.clientId, alice.key)).handle, "");
  assert.deepEqual(await refusal(admin.release("alice")), {
    code: "NOT_FOUND",
    details: "there is no account alice",
  });
  // The handle is free again: the next device named alice claims it.
  const fresh = await register(client, "alice");
  assert.equal(fresh.handle, "alice");
  await admin.revoke(fresh.clientId);
  assert.equal((await refusal(send(client, fresh, "x"))).code, "UNAUTHENTICATED");
  // Its only device revoked, alice has none; releasing it still works, and an operator's invite
  // (in this first-use mode too) gives the handle back to its owner before anyone claims it.
  assert.deepEqual(await admin.release("alice"), { devices: 0 });
  const { code } = await admin.invite("alice");
  const owner = await register(client, "Alice", "", "", { invite: code });
  assert.equal(owner.handle, "alice");
  admin.close();
  client.close();
  await server.shutdown();
});

Deno.test("accounts: a register flood from one address is refused with the wait; nothing piles up", async () => {
  const { server, logs } = await start();
  const client = rawClient(server.port);
  const outcomes = await Promise.all(
    Array.from({ length: 3_000 }, (_, i) =>
      register(client, `flood${i}`).then(
        () => "ok",
        (error: grpc.ServiceError) => {
          if (error.code !== grpc.status.RESOURCE_EXHAUSTED) return `unexpected ${error.code}`;
          const wait = Number(error.metadata.get("retry-after-ms")[0]);
          assert.ok(wait > 0 && wait <= 60_000, `retry-after-ms ${wait}`);
          assert.match(
            error.details,
            /^too many registrations from your address; try again in \d+ s$/,
          );
          return "limited";
        },
      )),
  );
  const accepted = outcomes.filter((o) => o === "ok").length;
  // The burst (30), and what refilled while the flood ran (60 a minute).
  assert.ok(accepted >= 30 && accepted <= 35, `accepted ${accepted}`);
  // The names are handles: each registration is also a claim, within the claim limit's burst.
  assert.equal(outcomes.filter((o) => o === "limited").length, 3_000 - accepted);
  const stored = accepted;
  assert.equal(await server.reader.devicesOf("flood0"), 1);
  assert.ok(logs.filter((l) => l.startsWith("register ")).length === stored);
  const refusedLines = logs.filter((l) => / RESOURCE_EXHAUSTED: /.test(l)).length;
  assert.ok(refusedLines <= 60, `${refusedLines} refusal lines for ${3_000 - accepted} refusals`);
  client.close();
  await server.shutdown();
});

Deno.test("accounts: failed proofs from one address are slowed down; others are not", async () => {
  const { server } = await start({ limits: { failedProofs: { perMinute: 1, burst: 3 } } });
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  for (let i = 0; i < 3; i++) {
    assert.equal(
      (await refusal(register(client, "Alice", alice.clientId, `guess-${i}`))).code,
      "UNAUTHENTICATED",
    );
  }
  const slowed = await refusal(register(client, "Alice", alice.clientId, alice.key));
  assert.equal(slowed.code, "RESOURCE_EXHAUSTED");
  assert.match(slowed.details, /^too many failed proofs from your address; try again in \d+ s$/);
  client.close();
  await server.shutdown();
});

/** A server in token mode trusting an HS256 secret, and a way to sign tokens with it. */
async function tokenServer() {
  const dir = await Deno.makeTempDir({ prefix: "chat-tokens-" });
  const secret = new TextEncoder().encode("a shared secret of at least 32 bytes, for tests");
  await Deno.writeFile(`${dir}/hs256.key`, secret);
  const tokens = await loadTokenVerifier({ keyFile: `${dir}/hs256.key`, clockToleranceS: 0 });
  const started = await start({ accounts: { mode: "token", tokens } });
  const sign = (claims: Record<string, unknown>, expiresInS = 600, key = secret) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
    if (expiresInS !== 0) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS);
    return jwt.sign(key);
  };
  return { ...started, sign };
}

Deno.test("accounts: in token mode a valid token is the account; a bad one is refused and says why", async () => {
  const { server, sign } = await tokenServer();
  const client = rawClient(server.port);
  const alice = await register(client, "whatever", "", "", {
    token: await sign({ sub: "Alice", name: "Alice Liddell" }),
  });
  assert.equal(alice.handle, "alice");
  assert.equal((await send(client, alice, "member")).seq, 1);
  const noToken = await register(client, "alice");
  assert.equal(noToken.handle, "");
  assert.equal(
    noToken.guestReason,
    "accounts on this server come from its identity provider (start with -token TOKEN)",
  );
  const cases: [string, Promise<string>, RegExp][] = [
    [
      "wrong key",
      sign({ sub: "alice" }, 600, new TextEncoder().encode("another secret, also 32 bytes long!!")),
      /signature/,
    ],
    ["expired", sign({ sub: "alice" }, -60), /expired/],
    ["no exp", sign({ sub: "alice" }, 0), /no exp/],
    ["bad sub", sign({ sub: "al ice" }), /is not a valid handle/],
    [
      "alg none",
      Promise.resolve(
        `${btoa(JSON.stringify({ alg: "none" })).replaceAll("=", "")}.${
          btoa(JSON.stringify({ sub: "alice", exp: Math.floor(Date.now() / 1000) + 60 }))
            .replaceAll("=", "")
        }.`,
      ),
      /algorithm none is not accepted/,
    ],
  ];
  for (const [label, token, reason] of cases) {
    const refused = await refusal(register(client, "alice", "", "", { token: await token }));
    assert.equal(refused.code, "UNAUTHENTICATED", `${label}: ${refused.details}`);
    assert.match(refused.details, /^the token was refused: /, label);
    assert.match(refused.details, reason, label);
  }
  // A device of alice resumes only with a token for alice.
  assert.equal(
    (await refusal(register(client, "Alice Liddell", alice.clientId, alice.key))).code,
    "UNAUTHENTICATED",
  );
  const bobs = await refusal(
    register(client, "Alice Liddell", alice.clientId, alice.key, {
      token: await sign({ sub: "bob" }),
    }),
  );
  assert.deepEqual(bobs, { code: "UNAUTHENTICATED", details: "the token is not for alice" });
  const renewed = await register(client, "Alice Liddell", alice.clientId, alice.key, {
    token: await sign({ sub: "alice" }),
  });
  assert.equal(renewed.handle, "alice");
  client.close();
  await server.shutdown();
});

Deno.test("accounts: when a device's token expires its stream ends, and its calls are refused", async () => {
  const { server, sign } = await tokenServer();
  const client = rawClient(server.port);
  const alice = await register(client, "Alice", "", "", { token: await sign({ sub: "alice" }, 2) });
  const stream = new RawSubscription(client, auth(alice.clientId, alice.key));
  stream.call.write({ open: { seen: [] } });
  const started = Date.now();
  const ended = await stream.status;
  assert.equal(ended.code, grpc.status.UNAUTHENTICATED);
  assert.equal(
    ended.details,
    "the token of this device has expired; register again with a valid token",
  );
  assert.ok(Date.now() - started <= 3_500, "within a second of the token's exp");
  const late = await refusal(send(client, alice, "too late"));
  assert.equal(late.code, "UNAUTHENTICATED");
  assert.match(late.details, /token has expired/);
  client.close();
  await server.shutdown();
});
