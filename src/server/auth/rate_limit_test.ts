import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  CLAIM_LIMIT,
  FAILED_PROOF_LIMIT,
  MAX_TRACKED_PEERS,
  peerKey,
  rateLimitedError,
  RateLimiter,
  REGISTRATION_LIMIT,
} from "./rate_limit.ts";
import { RETRY_AFTER_MS_HEADER } from "../../protocol/proto.ts";

/** A limiter on a clock the test moves. */
function limiter(options: { perMinute: number; burst: number; maxKeys?: number }) {
  const clock = { ms: 1_000_000 };
  const limiter = new RateLimiter({ maxKeys: 100, ...options, now: () => clock.ms });
  return { limiter, clock };
}

Deno.test("rate limit: a burst goes through, the next is refused with the exact wait", () => {
  const { limiter: registrations } = limiter({ perMinute: 60, burst: 30 });
  for (let i = 0; i < 30; i++) assert.deepEqual(registrations.take("10.0.0.1"), { ok: true });
  assert.deepEqual(registrations.take("10.0.0.1"), { ok: false, retryAfterMs: 1000 });
  // A refused attempt spends nothing: the wait does not grow by trying.
  assert.deepEqual(registrations.take("10.0.0.1"), { ok: false, retryAfterMs: 1000 });
});

Deno.test("rate limit: the bucket refills at the sustained rate, up to the burst", () => {
  const { limiter: claims, clock } = limiter({ perMinute: 10, burst: 5 });
  for (let i = 0; i < 5; i++) assert.equal(claims.take("a").ok, true);
  assert.deepEqual(claims.take("a"), { ok: false, retryAfterMs: 6000 });
  clock.ms += 2500;
  assert.deepEqual(claims.take("a"), { ok: false, retryAfterMs: 3500 });
  clock.ms += 3500;
  assert.deepEqual(claims.take("a"), { ok: true });
  assert.deepEqual(claims.take("a"), { ok: false, retryAfterMs: 6000 });
  // Idle for an hour: a full burst again, not more.
  clock.ms += 3_600_000;
  for (let i = 0; i < 5; i++) assert.equal(claims.take("a").ok, true);
  assert.deepEqual(claims.take("a"), { ok: false, retryAfterMs: 6000 });
});

Deno.test("rate limit: a fractional interval rounds the wait up to a whole ms", () => {
  const { limiter: odd, clock } = limiter({ perMinute: 7, burst: 1 });
  assert.deepEqual(odd.take("a"), { ok: true });
  assert.deepEqual(odd.take("a"), { ok: false, retryAfterMs: 8572 }); // 60000 / 7 = 8571.43
  clock.ms += 8571;
  assert.deepEqual(odd.take("a"), { ok: false, retryAfterMs: 1 });
  clock.ms += 1;
  assert.deepEqual(odd.take("a"), { ok: true });
});

Deno.test("rate limit: keys are independent", () => {
  const { limiter: proofs } = limiter({ perMinute: 20, burst: 2 });
  assert.equal(proofs.take("10.0.0.1").ok, true);
  assert.equal(proofs.take("10.0.0.1").ok, true);
  assert.deepEqual(proofs.take("10.0.0.1"), { ok: false, retryAfterMs: 3000 });
  assert.deepEqual(proofs.take("10.0.0.2"), { ok: true });
  assert.deepEqual(proofs.take("2001:db8::/64"), { ok: true });
  assert.deepEqual(proofs.take("10.0.0.1"), { ok: false, retryAfterMs: 3000 });
});

Deno.test("rate limit: check decides like take but spends nothing", () => {
  const { limiter: proofs, clock } = limiter({ perMinute: 60, burst: 2 });
  assert.deepEqual(proofs.check("a"), { ok: true });
  assert.equal(proofs.size, 0, "checking an unknown key tracks nothing");
  assert.equal(proofs.take("a").ok, true);
  assert.deepEqual(proofs.check("a"), { ok: true });
  assert.deepEqual(proofs.check("a"), { ok: true });
  assert.equal(proofs.take("a").ok, true);
  assert.deepEqual(proofs.check("a"), { ok: false, retryAfterMs: 1000 });
  clock.ms += 400;
  assert.deepEqual(proofs.check("a"), { ok: false, retryAfterMs: 600 });
});

Deno.test("rate limit: 100,000 distinct keys never track more than maxKeys, and a persistent abuser stays limited", () => {
  const { limiter: registrations, clock } = limiter({ perMinute: 60, burst: 3, maxKeys: 1000 });
  for (let i = 0; i < 3; i++) assert.equal(registrations.take("abuser").ok, true);
  let largest = 0;
  for (let i = 0; i < 100_000; i++) {
    assert.deepEqual(registrations.take(`flood-${i}`), { ok: true });
    largest = Math.max(largest, registrations.size);
    // The abuser keeps trying while the flood goes on; each try keeps it tracked.
    if (i % 500 === 0) assert.equal(registrations.take("abuser").ok, false);
    clock.ms += 0.001;
  }
  assert.equal(largest, 1000);
  assert.equal(registrations.size, 1000);
  assert.deepEqual(registrations.take("abuser"), { ok: false, retryAfterMs: 900 });
});

Deno.test("rate limit: a key left idle while maxKeys others arrive is forgotten (the documented cost)", () => {
  const { limiter: registrations } = limiter({ perMinute: 60, burst: 1, maxKeys: 3 });
  assert.equal(registrations.take("quiet").ok, true);
  assert.equal(registrations.take("quiet").ok, false);
  for (const key of ["b", "c"]) registrations.take(key);
  assert.equal(registrations.take("quiet").ok, false, "still tracked: 3 keys");
  for (const key of ["d", "e", "f"]) registrations.take(key);
  assert.equal(registrations.size, 3);
  assert.equal(registrations.take("quiet").ok, true, "forgotten after 3 other keys");
});

Deno.test("rate limit: refilled buckets are forgotten, so idle keys cost nothing", () => {
  const { limiter: registrations, clock } = limiter({ perMinute: 60, burst: 30, maxKeys: 100 });
  for (let i = 0; i < 50; i++) registrations.take(`idle-${i}`);
  assert.equal(registrations.size, 50);
  clock.ms += 1000; // each spent one of 30: full again after one interval
  registrations.take("new");
  assert.equal(registrations.size, 1);
});

Deno.test("rate limit: bad options are refused, naming the value", () => {
  assert.throws(
    () => new RateLimiter({ perMinute: 0, burst: 1, maxKeys: 1 }),
    new RangeError("perMinute must be a positive number, not 0"),
  );
  assert.throws(
    () => new RateLimiter({ perMinute: 1, burst: 1.5, maxKeys: 1 }),
    new RangeError("burst must be a positive integer, not 1.5"),
  );
  assert.throws(
    () => new RateLimiter({ perMinute: 1, burst: 1, maxKeys: 0 }),
    new RangeError("maxKeys must be a positive integer, not 0"),
  );
});

Deno.test("rate limit: the defaults let a classroom behind one address register", () => {
  assert.deepEqual(REGISTRATION_LIMIT, { perMinute: 60, burst: 30 });
  assert.deepEqual(FAILED_PROOF_LIMIT, { perMinute: 20, burst: 10 });
  assert.deepEqual(CLAIM_LIMIT, { perMinute: 30, burst: 30 });
  assert.equal(MAX_TRACKED_PEERS, 10_000);
  const { limiter: registrations, clock } = limiter({ ...REGISTRATION_LIMIT });
  let admitted = 0;
  for (let second = 0; second < 60; second++) {
    while (registrations.take("classroom").ok) admitted++;
    clock.ms += 1000;
  }
  assert.equal(admitted, 89); // 30 at once, then one a second for 59 s
});

Deno.test("rate limit: peerKey drops the port and keys IPv4 by address", () => {
  assert.equal(peerKey("ipv4:127.0.0.1:53412"), "127.0.0.1");
  assert.equal(peerKey("127.0.0.1:53412"), "127.0.0.1");
  assert.equal(peerKey("203.0.113.9"), "203.0.113.9");
  assert.equal(peerKey("ipv4:203.0.113.9:1"), "203.0.113.9");
});

Deno.test("rate limit: peerKey keys IPv6 by its /64, in either form grpc-js writes", () => {
  assert.equal(peerKey("ipv6:[::1]:5000"), "::/64");
  assert.equal(peerKey("::1:5000"), "::/64");
  assert.equal(peerKey("ipv6:[2001:db8:1:2:3:4:5:6]:5000"), "2001:db8:1:2::/64");
  assert.equal(peerKey("2001:db8:1:2:3:4:5:6:5000"), "2001:db8:1:2::/64");
  assert.equal(peerKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(peerKey("[2001:DB8:0:0:ffff::1]"), "2001:db8::/64");
  assert.equal(peerKey("fe80::1%eth0:443"), "fe80::/64");
  assert.equal(peerKey("[1:0:2:3::]:80"), "1:0:2:3::/64");
});

Deno.test("rate limit: peerKey groups every address of one /64, and not of two", () => {
  const host = [
    "[2001:db8:aa:bb::1]:1000",
    "[2001:db8:aa:bb:dead:beef:0:1]:1001",
    "2001:db8:aa:bb:ffff:ffff:ffff:ffff:1002",
    "ipv6:[2001:0db8:00aa:00bb::42]:1003",
  ].map(peerKey);
  assert.deepEqual(new Set(host), new Set(["2001:db8:aa:bb::/64"]));
  assert.equal(peerKey("[2001:db8:aa:bc::1]:1000"), "2001:db8:aa:bc::/64");
});

Deno.test("rate limit: peerKey keys IPv4 mapped into IPv6 as the IPv4 address", () => {
  assert.equal(peerKey("::ffff:127.0.0.1:5000"), "127.0.0.1");
  assert.equal(peerKey("ipv6:[::ffff:10.1.2.3]:5000"), "10.1.2.3");
  assert.equal(peerKey("[::ffff:a01:203]:5000"), "10.1.2.3");
  assert.notEqual(peerKey("::ffff:10.1.2.3:1"), peerKey("::ffff:10.1.2.4:1"));
});

Deno.test("rate limit: peerKey falls back to the whole string for what is not an IP address", () => {
  for (
    const peer of [
      "unix:/run/chat.sock",
      "unknown",
      "",
      "ipv4:300.1.2.3:5",
      "[::1::2]:5",
      "[not-an-address]:5",
      "1:2:3:4:5:6:7:8:9:10",
      "example.com:443",
    ]
  ) {
    assert.equal(peerKey(peer), peer);
  }
});

Deno.test("rate limit: rateLimitedError is RESOURCE_EXHAUSTED with the wait in words and in ms", () => {
  const error = rateLimitedError("registrations", 11_200);
  assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(error.details, "too many registrations from your address; try again in 12 s");
  assert.equal(error.message, error.details);
  assert.deepEqual(error.metadata.get(RETRY_AFTER_MS_HEADER), ["11200"]);
  const soon = rateLimitedError("failed proofs", 1);
  assert.equal(soon.details, "too many failed proofs from your address; try again in 1 s");
  assert.deepEqual(soon.metadata.get(RETRY_AFTER_MS_HEADER), ["1"]);
  assert.deepEqual(rateLimitedError("claims", 999.2).metadata.get(RETRY_AFTER_MS_HEADER), ["1000"]);
});

Deno.test("rate limit: a real grpc-js client gets the refusal, its retry-after-ms trailer, and the server's peer keys as 127.0.0.1", async () => {
  const raw = {
    path: "/ratelimit.Test/Ping",
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (value: Buffer) => value,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (value: Buffer) => value,
  };
  const service = { ping: raw } as grpc.ServiceDefinition;
  const peers: string[] = [];
  const server = new grpc.Server();
  server.addService(service, {
    ping: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      peers.push(call.getPeer());
      callback(rateLimitedError("registrations", 4_321));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => error ? reject(error) : resolve(bound),
    )
  );
  const Client = grpc.makeGenericClientConstructor(service, "Test");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as
    & grpc.Client
    & { ping(request: Buffer, callback: (error: grpc.ServiceError | null) => void): void };
  try {
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.ping(Buffer.alloc(0), resolve)
    );
    assert.ok(error);
    assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(error.details, "too many registrations from your address; try again in 5 s");
    assert.deepEqual(error.metadata.get(RETRY_AFTER_MS_HEADER), ["4321"]);
    assert.equal(peers.length, 1);
    assert.match(peers[0], /^127\.0\.0\.1:\d+$/);
    assert.equal(peerKey(peers[0]), "127.0.0.1");
  } finally {
    client.close();
    server.forceShutdown();
  }
});
