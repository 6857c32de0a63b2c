/**
 * Accounts as users meet them, with real server, client and admin processes:
 * someone typing a member's name is a guest, before and after a server crash;
 * a second device joins an account with /link; invite mode and the operator's
 * command; identity-provider tokens.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import {
  connectClient,
  receivedMessages,
  runToEnd,
  startClient,
  startServer,
  TLS_FIXTURES,
} from "./harness.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "chat-accounts-" });
}

const NOT_A_MEMBER_GUEST =
  "* not sent: alice is not a member of group general (this device is a guest: its name proves no account)";

Deno.test("accounts: someone typing alice's name is a guest who gets nothing, also after a server crash", async () => {
  const dir = await tempDir();
  const db = `${dir}/chat.db`;
  let server = await startServer({ db, members: ["alice", "bob"] });
  const alice = await connectClient({ name: "alice", port: server.port, stateDir: `${dir}/a` });
  const bob = await connectClient({ name: "bob", port: server.port, stateDir: `${dir}/b` });
  const mallory = await connectClient({
    name: "alice",
    port: server.port,
    stateDir: `${dir}/mallory`, // another machine's state: it cannot be alice's device
    label: "mallory",
  });
  assert.match(alice.id, /^@alice alice#[0-9a-f]{4}$/);
  assert.match(mallory.id, /^~alice#[0-9a-f]{4}$/);
  const connectLine = mallory.proc.stderr.find((l) => l.startsWith("* connected"))!;
  assert.match(connectLine, /not a member of general/);
  assert.match(
    connectLine,
    /a guest, admitted to open groups only: the handle alice belongs to another device/,
  );
  assert.doesNotMatch(connectLine, /bob/, "not told who the members are");
  await bob.proc.type("for members only");
  await alice.proc.waitForLine(/for members only$/);
  await mallory.proc.type("hi, it's alice");
  assert.equal(
    await mallory.proc.waitForLine(/^\* not sent: /, { stream: "stderr" }),
    NOT_A_MEMBER_GUEST,
  );

  // The server dies; everyone comes back: the impostor resumes as the guest it was.
  server.proc.kill("SIGKILL");
  await server.proc.status;
  server = await startServer({
    db,
    members: ["alice", "bob"],
    port: server.port,
    label: "server-2",
  });
  await mallory.proc.waitForLine(/^\* back online/, { stream: "stderr", timeoutMs: 20_000 });
  await bob.proc.waitForLine(/^\* back online/, { stream: "stderr", timeoutMs: 20_000 });
  await bob.proc.type("after the crash");
  await alice.proc.waitForLine(/after the crash$/, { timeoutMs: 20_000 });
  const from = mallory.proc.stderr.length;
  await mallory.proc.type("still alice");
  assert.equal(
    await mallory.proc.waitForLine(/^\* not sent: /, { stream: "stderr", from }),
    NOT_A_MEMBER_GUEST,
  );
  const lateImpostor = await connectClient({
    name: "Alice",
    port: server.port,
    stateDir: `${dir}/late`,
    label: "late",
  });
  assert.match(lateImpostor.id, /^~Alice#/);
  await lateImpostor.proc.stop();
  assert.deepEqual(receivedMessages(mallory.proc), [], "the impostor printed nothing");
  assert.deepEqual(receivedMessages(alice.proc).map((m) => [m.from, m.text]), [
    [bob.id, "for members only"],
    [bob.id, "after the crash"],
  ]);
  assert.ok(!server.proc.stdout.some((l) => l.includes(`send ${mallory.id}`)), "nothing stored");
  for (const c of [alice, bob, mallory]) await c.proc.stop();
  await server.proc.stop();
});

Deno.test("accounts: a second device linked with /link is alice", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db`, members: ["alice", "bob"] });
  const alice = await connectClient({ name: "Alice", port: server.port, stateDir: `${dir}/phone` });
  const bob = await connectClient({ name: "bob", port: server.port, stateDir: `${dir}/b` });
  await alice.proc.type("/link");
  const line = await alice.proc.waitForLine(/^\* link code /, { stream: "stderr" });
  const code = line.match(
    /^\* link code (\S+): on your other device, start the client once with -link \1 \(valid once, until \d\d:\d\d UTC\)$/,
  )?.[1];
  assert.ok(code, line);
  // The laptop was a guest before (its name is no handle): with the code it registers anew.
  const before = await connectClient({
    name: "Alice (laptop)",
    port: server.port,
    stateDir: `${dir}/laptop`,
    label: "laptop-guest",
  });
  assert.match(before.id, /^~Alice \(laptop\)#/);
  await before.proc.stop();
  const laptop = await connectClient({
    name: "Alice (laptop)",
    port: server.port,
    stateDir: `${dir}/laptop`,
    extra: ["-link", code.toUpperCase()], // typed in any case
    label: "laptop",
  });
  assert.match(laptop.id, /^@alice Alice \(laptop\)#[0-9a-f]{4}$/);
  await bob.proc.type("to both of alice's devices");
  await alice.proc.waitForLine(/both of alice's devices$/);
  await laptop.proc.waitForLine(/both of alice's devices$/);
  await laptop.proc.type("from the laptop");
  await bob.proc.waitForLine(/from the laptop$/);
  assert.deepEqual(receivedMessages(bob.proc), [
    { group: "general", from: laptop.id, text: "from the laptop" },
  ]);
  // The code was used: a third device cannot use it again.
  const third = startClient({
    name: "Eve",
    port: server.port,
    stateDir: `${dir}/eve`,
    extra: ["-link", code],
    label: "eve",
  });
  assert.equal((await third.status).code, 1);
  assert.ok(
    third.stderr.includes(
      "* the server refused this client: the link code is not valid (unknown, already used or expired)",
    ),
    third.transcript(),
  );
  for (const c of [alice, bob, laptop]) await c.proc.stop();
  await server.proc.stop();
});

Deno.test("accounts: with -claim invite, a name claims nothing and an operator's invite claims once", async () => {
  const dir = await tempDir();
  const db = `${dir}/chat.db`;
  const server = await startServer({ db, members: ["alice"], extra: ["-claim", "invite"] });
  const guest = await connectClient({ name: "alice", port: server.port, stateDir: `${dir}/g` });
  assert.match(guest.id, /^~alice#/);
  assert.ok(guest.proc.stderr.some((l) => l.includes("accounts on this server are by invite")));
  const admin = (...args: string[]) =>
    runToEnd("admin", [
      ...args,
      "-port",
      String(server.port),
      "-secret_file",
      `${db}.admin-secret`,
    ]);
  const made = await admin("invite", "-handle", "alice");
  assert.equal(made.code, 0, made.stderr);
  const code = made.stdout.trim();
  assert.match(code, /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
  const alice = await connectClient({
    name: "Alice",
    port: server.port,
    stateDir: `${dir}/a`,
    extra: ["-invite", code],
  });
  assert.match(alice.id, /^@alice Alice#/);
  await alice.proc.type("in by invite");
  await server.proc.waitForLine(/ -> general #1$/);
  const wrongSecret = await runToEnd("admin", [
    "invite",
    "-port",
    String(server.port),
    "-secret_file",
    `${dir}/nope`,
  ]);
  assert.equal(wrongSecret.code, 1);
  assert.match(wrongSecret.stderr, /^admin: cannot read the operator secret /);
  await Deno.writeTextFile(`${dir}/forged`, "guessed\n");
  const forged = await runToEnd("admin", [
    "invite",
    "-port",
    String(server.port),
    "-secret_file",
    `${dir}/forged`,
  ]);
  assert.equal(forged.stderr.trim(), "admin: UNAUTHENTICATED: this call needs the operator secret");
  const released = await admin("release", "-handle", "alice");
  assert.equal(released.stdout.trim(), "released alice: its 1 device(s) are guests now");
  await alice.proc.waitForLine(/^\* offline: .*released/, { stream: "stderr" });
  for (const c of [guest, alice]) await c.proc.stop();
  await server.proc.stop();
});

Deno.test("accounts: with -jwt_key, -token proves the account; a token that does not verify stops the client", async () => {
  const dir = await tempDir();
  const secret = new TextEncoder().encode("an HS256 secret for the tests, 32+ bytes");
  await Deno.writeFile(`${dir}/jwt.key`, secret);
  const server = await startServer({
    db: `${dir}/chat.db`,
    members: ["alice"],
    extra: ["-jwt_key", `${dir}/jwt.key`, "-jwt_issuer", "https://idp.example"],
  });
  assert.match(server.proc.stdout[0], /, accounts from tokens verified with an HS256 secret$/);
  assert.ok(
    server.proc.stderr.some((l) => l.startsWith("warning: -jwt_key without -jwt_audience")),
    "an audience-less set-up is flagged",
  );
  const token = (claims: Record<string, unknown>, key = secret) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("https://idp.example")
      .setExpirationTime("10 minutes").sign(key);
  const alice = await connectClient({
    name: "whoever",
    port: server.port,
    stateDir: `${dir}/a`,
    extra: ["-token", await token({ sub: "alice", name: "Alice" })],
  });
  assert.match(alice.id, /^@alice Alice#/, "sub is the handle, name the display name");
  await alice.proc.type("vouched for");
  await server.proc.waitForLine(/ -> general #1$/);
  const forged = startClient({
    name: "alice",
    port: server.port,
    stateDir: `${dir}/m`,
    extra: ["-token", await token({ sub: "alice" }, new TextEncoder().encode("x".repeat(40)))],
    label: "forged",
  });
  assert.equal((await forged.status).code, 1);
  assert.ok(
    forged.stderr.some((l) =>
      /^\* the server refused this client: the token was refused: .*signature/.test(l)
    ),
    forged.transcript(),
  );
  await alice.proc.stop();
  await server.proc.stop();
});

Deno.test("accounts: deno task admin reaches a TLS server, with the CA it trusts", async () => {
  const dir = await tempDir();
  const db = `${dir}/chat.db`;
  const server = await startServer({ db, tls: "tls", extra: ["-claim", "invite"] });
  const args = ["invite", "-port", String(server.port), "-secret_file", `${db}.admin-secret`];
  const plain = await runToEnd("admin", args);
  assert.equal(plain.code, 1, "a plaintext admin gets nowhere");
  const made = await runToEnd("admin", [...args, "-tls_ca", TLS_FIXTURES.ca]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout.trim(), /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
  await server.proc.stop();
});
