import assert from "node:assert/strict";
import { type ChatServerOptions, type RunningChatServer, startChatServer } from "./chat_server.ts";
import { startTestServer } from "../../tests/local_server.ts";
import {
  MAX_PUBLISH_IN_FLIGHT,
  MAX_RECEIVE_MESSAGE_BYTES,
  MAX_TEXT_BYTES,
} from "../shared/limits.ts";
import {
  ACKS_BATCHED,
  ACKS_HEADER,
  chatProto,
  PUBLISH_ORDER_HEADER,
  PUBLISH_ORDERED,
} from "../protocol/proto.ts";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import {
  auth,
  eventually,
  Publisher,
  rawCall,
  rawClient,
  RawSubscription,
  refusal,
  register,
  send,
} from "../../tests/grpc.ts";

/** A server on a free port of 127.0.0.1 with a fresh database. */
function testServer(options: Partial<ChatServerOptions> = {}): Promise<RunningChatServer> {
  return startTestServer("chat-service-", options);
}

async function withServer(
  members: string[] | null,
  fn: (ctx: { port: number; logs: string[]; lastSeq: () => Promise<number> }) => Promise<void>,
) {
  const logs: string[] = [];
  const server = await testServer({ members, log: (l) => logs.push(l) });
  try {
    await fn({ port: server.port, logs, lastSeq: () => server.reader.lastSeq("general") });
  } finally {
    await server.shutdown();
  }
}

Deno.test("service: register gives a new id and key; resuming with them keeps the id", async () => {
  await withServer(null, async ({ port }) => {
    const client = rawClient(port);
    const first = await register(client, "Luis");
    assert.match(first.clientId, /^[0-9a-f]{32}$/);
    assert.ok(first.key.length >= 40);
    assert.equal(first.resumed, false);
    assert.deepEqual(first.groups, [{
      name: "general",
      member: true,
      lastSeq: 0,
      cursor: 0,
      unread: 0,
      role: 0,
    }]);
    const again = await register(client, "Luis", first.clientId, first.key);
    assert.equal(again.resumed, true);
    assert.equal(again.clientId, first.clientId);
    const twin = await register(client, "Luis");
    assert.notEqual(twin.clientId, first.clientId, "names are not unique: same name, new client");
    client.close();
  });
});

Deno.test("service: refusals carry the precise status and a message, and store nothing", async () => {
  await withServer(["alice", "bob"], async ({ port, lastSeq, logs }) => {
    const client = rawClient(port);
    const alice = await register(client, "Alice");
    const doug = await register(client, "Doug");
    const cases: [string, Promise<unknown>, string, RegExp][] = [
      ["empty name", register(client, ""), "INVALID_ARGUMENT", /the name is empty/],
      ["long name", register(client, "x".repeat(65)), "INVALID_ARGUMENT", /65 characters long/],
      ["control name", register(client, "a\u0007b"), "INVALID_ARGUMENT", /control character/],
      ["id without key", register(client, "Alice", alice.clientId), "INVALID_ARGUMENT", /both/],
      ["unknown id", register(client, "Alice", "f".repeat(32), "k"), "NOT_FOUND", /not registered/],
      [
        "wrong key",
        register(client, "Alice", alice.clientId, "nope"),
        "UNAUTHENTICATED",
        /wrong key/,
      ],
      [
        "other name",
        register(client, "Bob", alice.clientId, alice.key),
        "INVALID_ARGUMENT",
        /registered as "Alice"/,
      ],
      [
        "send, no identity",
        send(client, { clientId: "", key: "" }, "hi"),
        "UNAUTHENTICATED",
        /x-client-id/,
      ],
      [
        "send, wrong key",
        send(client, { ...alice, key: "bad" }, "hi"),
        "UNAUTHENTICATED",
        /wrong key/,
      ],
      [
        "send, unknown client",
        send(client, { clientId: "e".repeat(32), key: "k" }, "hi"),
        "UNAUTHENTICATED",
        /not registered/,
      ],
      [
        "unknown group",
        send(client, alice, "hi", "m1", "random"),
        "NOT_FOUND",
        /no group "random"; this server has: general/,
      ],
      [
        "non-member",
        send(client, doug, "hi"),
        "PERMISSION_DENIED",
        // Nothing about who is: the members' handles are not the caller's business.
        /^Doug is not a member of group general$/,
      ],
      ["empty text", send(client, alice, ""), "INVALID_ARGUMENT", /the message is empty/],
      [
        "long text",
        send(client, alice, "x".repeat(MAX_TEXT_BYTES + 1)),
        "INVALID_ARGUMENT",
        /4097 bytes long; the limit is 4096/,
      ],
      ["newline", send(client, alice, "a\nb"), "INVALID_ARGUMENT", /control character/],
      [
        "no message id",
        send(client, alice, "hi", ""),
        "INVALID_ARGUMENT",
        /client_msg_id is empty/,
      ],
      [
        "oversized on the wire",
        send(client, alice, "x".repeat(MAX_RECEIVE_MESSAGE_BYTES)),
        "RESOURCE_EXHAUSTED",
        /larger than max/,
      ],
    ];
    for (const [label, call, code, details] of cases) {
      const got = await refusal(call);
      assert.equal(got.code, code, `${label}: ${got.details}`);
      assert.match(got.details, details, label);
    }
    assert.equal(await lastSeq(), 0, "no refused send was stored");
    assert.ok(
      logs.some((l) => /^refused send from @doug Doug#\w+: PERMISSION_DENIED/.test(l)),
      logs.join("\n"),
    );
    // ...and the server still serves.
    assert.equal((await send(client, alice, "still here")).seq, 1);
    client.close();
  });
});

Deno.test("service: a retried send returns the original sequence and stores nothing new", async () => {
  await withServer(null, async ({ port, lastSeq }) => {
    const client = rawClient(port);
    const luis = await register(client, "Luis");
    const first = await send(client, luis, "hello", "msg-1");
    const retry = await send(client, luis, "hello", "msg-1");
    assert.deepEqual(retry, { ...first, duplicate: true });
    assert.equal(await lastSeq(), 1);
    client.close();
  });
});

Deno.test("service: Publish answers every message in order, refusing bad ones without ending the stream", async () => {
  await withServer(["alice", "bob"], async ({ port, lastSeq, logs }) => {
    const client = rawClient(port);
    const [alice, bob, doug] = [
      await register(client, "Alice"),
      await register(client, "Bob"),
      await register(client, "Doug"),
    ];
    const sub = new RawSubscription(client, auth(bob.clientId, bob.key));
    sub.call.write({ open: { seen: [] } });
    const publisher = new Publisher(client, alice);
    // All written before any reply comes back: the replies must still come in this order.
    const replies = await Promise.all([
      publisher.send("one", "m1"),
      publisher.send("", "m2"),
      publisher.send("two", "m3", "random"),
      publisher.send("three", "m4"),
      publisher.send("one", "m1"),
      publisher.send("x".repeat(MAX_TEXT_BYTES + 1), "m5"),
    ]);
    const brief = replies.map((r) => [r.clientMsgId, grpc.status[r.code], r.seq, r.duplicate]);
    assert.deepEqual(brief, [
      ["m1", "OK", 1, false],
      ["m2", "INVALID_ARGUMENT", 0, false],
      ["m3", "NOT_FOUND", 0, false],
      ["m4", "OK", 2, false],
      ["m1", "OK", 1, true],
      ["m5", "INVALID_ARGUMENT", 0, false],
    ]);
    assert.match(replies[1].details, /the message is empty/);
    assert.match(replies[2].details, /no group "random"; this server has: general/);
    assert.match(replies[5].details, /4097 bytes long; the limit is 4096/);
    assert.equal(replies[0].details, "");
    assert.ok(replies[0].sentAtMs > 0 && replies[4].sentAtMs === replies[0].sentAtMs);
    await sub.until(() => sub.seqs.includes(2));
    assert.deepEqual(sub.deliveries.flatMap((d) => d.messages.map((m) => m.text)), [
      "one",
      "three",
    ]);
    // A non-member is refused per message too; a stream without a valid key ends at once.
    const denied = await new Publisher(client, doug).send("let me in", "d1");
    assert.equal(grpc.status[denied.code], "PERMISSION_DENIED");
    assert.match(denied.details, /Doug is not a member of group general/);
    const impostor = await refusal(new Publisher(client, { ...alice, key: "bad" }).send("hi"));
    assert.equal(impostor.code, "UNAUTHENTICATED", impostor.details);
    assert.match(impostor.details, /wrong key/);
    assert.equal(await lastSeq(), 2, "nothing refused was stored");
    assert.ok(logs.some((l) => /^refused publish from @doug Doug#\w+: PERMISSION_DENIED/.test(l)));
    // Bytes that are not a SendRequest are refused like any bad message, and the stream goes on.
    const raw = client.makeBidiStreamRequest(
      "/chat.Chat/Publish",
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      auth(alice.clientId, alice.key),
    );
    const answers: Buffer[] = [];
    raw.on("data", (b: Buffer) => answers.push(b));
    raw.write(new Uint8Array([0xff, 0xff, 0xff]));
    const ended = new Promise((resolve) => raw.on("status", resolve));
    raw.end();
    const status = await ended as grpc.StatusObject;
    assert.equal(status.code, grpc.status.OK, status.details);
    assert.equal(answers.length, 1);
    const decoded = chatProto.chat.Chat.service.Publish.responseDeserialize(answers[0]);
    assert.equal(grpc.status[decoded.code], "INVALID_ARGUMENT");
    assert.match(decoded.details, /not a valid chat\.SendRequest/);
    publisher.close();
    sub.call.end();
    client.close();
  });
});

Deno.test("service: a Publish stream that reads PublishReply.more gets replies ready at once in one message, each request answered once, in order", async () => {
  await withServer(null, async ({ port, lastSeq }) => {
    const client = rawClient(port);
    const alice = await register(client, "Alice");
    const publisher = new Publisher(client, alice, { acceptMore: true });
    const ids = Array.from({ length: 200 }, (_, i) => `m${i}`);
    // A refusal and a retry among them: answered in their places like any other.
    const replies = await Promise.all(
      ids.map((id, i) =>
        i === 50
          ? publisher.send("", id)
          : i === 120
          ? publisher.send("again", "m7")
          : publisher.send(`text ${i}`, id)
      ),
    );
    assert.deepEqual(
      replies.map((r) => r.clientMsgId),
      ids.map((id, i) => i === 120 ? "m7" : id),
    );
    const seqs = replies.map((r) => r.seq);
    assert.deepEqual(seqs.slice(0, 50), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.deepEqual([grpc.status[replies[50].code], seqs[50]], ["INVALID_ARGUMENT", 0]);
    assert.deepEqual([seqs[51], seqs[119], seqs[120], replies[120].duplicate], [51, 119, 8, true]);
    assert.equal(seqs[199], 198);
    assert.equal(await lastSeq(), 198);
    assert.ok(
      publisher.messages < replies.length,
      `${publisher.messages} reply messages for ${replies.length} replies`,
    );
    // Half-closed at once after writing: every reply still comes before the end.
    const quick = new Publisher(client, alice, { acceptMore: true });
    const headers = new Promise<grpc.Metadata>((resolve) => quick.call.once("metadata", resolve));
    const last = ids.map((id) => quick.send(`again ${id}`, `q-${id}`));
    quick.close();
    const ended = quick.status.then((status) => `the stream ended (${status.code}) first`);
    assert.equal(
      await Promise.race([Promise.all(last).then(() => "all answered"), ended]),
      "all answered",
    );
    assert.equal((await quick.status).code, grpc.status.OK);
    // And the stream said at once that it keeps a sender's order (see the test below).
    assert.deepEqual((await headers).get(PUBLISH_ORDER_HEADER), [PUBLISH_ORDERED]);
    // Without the header each reply is its own message.
    const plain = new Publisher(client, alice);
    await Promise.all(["p1", "p2", "p3"].map((id) => plain.send(id, id)));
    assert.equal(plain.messages, 3);
    publisher.close();
    plain.close();
    client.close();
  });
});

Deno.test("service: once a Publish message is not stored for the server's failure, none after it on the stream is; sent again, they are stored in order", async () => {
  const server = await testServer();
  // A commit that fails as a full disk would: the message "boom" cannot be written. The
  // messages after it reach the committer once its commit has started (its flush was queued
  // first), so they wait for the next commit: the case where order is at stake.
  const append = server.committer.append.bind(server.committer);
  server.committer.append = async (message, check, failed) => {
    if (message.text === "boom") {
      return await append({ ...message, text: null as unknown as string }, check, failed);
    }
    if (message.text.startsWith("after")) await new Promise((resolve) => setImmediate(resolve));
    return await append(message, check, failed);
  };
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  const publisher = new Publisher(client, alice, { acceptMore: true });
  assert.equal((await publisher.send("first", "m1")).seq, 1);
  const ids = ["m2", "m3", "m4", "m5"];
  const replies = await Promise.all(
    ids.map((id, i) => publisher.send(i === 0 ? "boom" : `after ${i}`, id)),
  );
  assert.deepEqual(replies.map((r) => [grpc.status[r.code], r.seq]), [
    ["INTERNAL", 0],
    ["ABORTED", 0],
    ["ABORTED", 0],
    ["ABORTED", 0],
  ]);
  assert.match(replies[1].details, /message "m2" before it on this stream was not stored/);
  assert.equal(
    await server.reader.lastSeq("general"),
    1,
    "nothing after the failed message was stored",
  );
  // The sender sends them again (the first now storable), in order, on a new stream.
  const again = new Publisher(client, alice);
  const retried = await Promise.all(
    ids.map((id, i) => again.send(i === 0 ? "boom, written again" : `after ${i}`, id)),
  );
  assert.deepEqual(retried.map((r) => [grpc.status[r.code], r.seq]), [
    ["OK", 2],
    ["OK", 3],
    ["OK", 4],
    ["OK", 5],
  ]);
  publisher.close();
  again.close();
  client.close();
  await server.shutdown();
});

Deno.test("service: a Publish stream holds at most MAX_PUBLISH_IN_FLIGHT unanswered messages", async () => {
  const server = await testServer();
  // Commits wait until released, as if the disk had stalled.
  const append = server.committer.append.bind(server.committer);
  const held: (() => void)[] = [];
  let mostHeld = 0;
  let stalled = true;
  const progress = new EventTarget();
  server.committer.append = (message) => {
    if (!stalled) return append(message);
    return new Promise((resolve) => {
      held.push(() => append(message).then(resolve));
      mostHeld = Math.max(mostHeld, held.length);
      progress.dispatchEvent(new Event("change"));
    });
  };
  const client = rawClient(server.port);
  const a = await register(client, "A");
  const call = client.Publish(auth(a.clientId, a.key));
  const total = MAX_PUBLISH_IN_FLIGHT + 100;
  const replies: number[] = [];
  call.on("data", (r) => {
    replies.push(r.seq);
    progress.dispatchEvent(new Event("change"));
  });
  const until = (what: string, predicate: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not within 5 s`)), 5_000);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        progress.removeEventListener("change", check);
        resolve();
      };
      progress.addEventListener("change", check);
      check();
    });
  for (let i = 0; i < total; i++) {
    call.write({ group: "general", text: `m${i}`, clientMsgId: `m${i}` });
  }
  await until("the limit is reached", () => held.length >= MAX_PUBLISH_IN_FLIGHT);
  // One answer lets exactly one more message in, and by the time it is answered the rest were
  // long since written.
  held.shift()!();
  await until("the first reply", () => replies.length === 1);
  await until("one more message", () => held.length >= MAX_PUBLISH_IN_FLIGHT);
  assert.equal(mostHeld, MAX_PUBLISH_IN_FLIGHT, "the stream was not read past the limit");
  stalled = false;
  for (const release of held.splice(0)) release();
  await until("every reply", () => replies.length === total);
  assert.deepEqual(replies, Array.from({ length: total }, (_, i) => i + 1), "all, in order");
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
  call.end();
  assert.equal((await ended).code, grpc.status.OK);
  client.close();
  await server.shutdown();
});

Deno.test("service: groups keep their own sequences and reach only their members", async () => {
  const server = await testServer({
    groups: [{ name: "ops", members: ["alice", "bob"] }, { name: "dev", members: null }],
  });
  const client = rawClient(server.port);
  const [alice, bob, carol] = [
    await register(client, "Alice"),
    await register(client, "Bob"),
    await register(client, "Carol"),
  ];
  assert.deepEqual(carol.groups.map((g) => [g.name, g.member]), [
    ["general", true],
    ["ops", false],
    ["dev", true],
  ]);
  const subscribe = (who: typeof bob) => {
    const sub = new RawSubscription(client, auth(who.clientId, who.key));
    sub.call.write({ open: { seen: [] } });
    return sub;
  };
  const [subBob, subCarol] = [subscribe(bob), subscribe(carol)];
  await send(client, alice, "ops 1", "a1", "ops");
  await send(client, alice, "dev 1", "a2", "dev");
  await send(client, alice, "ops 2", "a3", "ops");
  await send(client, alice, "general 1", "a4", "general");
  const denied = await refusal(send(client, carol, "let me in", "c1", "ops"));
  assert.equal(denied.code, "PERMISSION_DENIED");
  const unknown = await refusal(send(client, alice, "hi", "a5", "random"));
  assert.match(unknown.details, /no group "random"; this server has: general, ops, dev/);
  const got = (sub: RawSubscription) =>
    sub.deliveries.flatMap((d) => d.messages.map((m) => `${d.group}#${m.seq} ${m.text}`));
  await subBob.until(() => got(subBob).length === 4);
  await subCarol.until(() => got(subCarol).length === 2);
  assert.deepEqual(got(subBob).sort(), [
    "dev#1 dev 1",
    "general#1 general 1",
    "ops#1 ops 1",
    "ops#2 ops 2",
  ]);
  assert.deepEqual(got(subCarol).sort(), ["dev#1 dev 1", "general#1 general 1"]);
  assert.deepEqual(
    await server.reader.lastSeqs(["general", "ops", "dev"]),
    [1, 2, 1],
  );
  // An ack for a group the stream does not deliver is refused (Carol is not in ops).
  subCarol.call.write({ ack: { group: "ops", seq: 1 } });
  const status = await subCarol.status;
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, /ack for group "ops", which this stream does not deliver/);
  subBob.call.end();
  await subBob.status;
  client.close();
  await server.shutdown();
});

Deno.test("service: subscribers get others' messages in order; the sender's own are left out", async () => {
  await withServer(null, async ({ port }) => {
    const client = rawClient(port);
    const [a, b] = [await register(client, "A"), await register(client, "B")];
    await send(client, a, "before-1");
    await send(client, b, "before-2");
    const subA = new RawSubscription(client, auth(a.clientId, a.key));
    const subB = new RawSubscription(client, auth(b.clientId, b.key));
    subA.call.write({ open: { seen: [] } });
    subB.call.write({ open: { seen: [] } });
    await send(client, a, "live-3");
    await subB.until(() => subB.seqs.includes(3));
    await subA.until(() => subA.deliveries.some((d) => d.throughSeq >= 2));
    assert.deepEqual(subB.seqs, [1, 3]);
    assert.deepEqual(subB.deliveries.flatMap((d) => d.messages.map((m) => m.text)), [
      "before-1",
      "live-3",
    ]);
    assert.deepEqual(subA.seqs, [2]);
    assert.equal(subB.deliveries[0].messages[0].senderName, "A");
    assert.equal(subB.deliveries[0].messages[0].senderId, a.clientId);
    subA.call.end();
    subB.call.end();
    assert.equal((await subA.status).code, 0);
    client.close();
  });
});

Deno.test("service: acks move the cursor; a resumed stream starts after it", async () => {
  await withServer(null, async ({ port }) => {
    const client = rawClient(port);
    const [a, b] = [await register(client, "A"), await register(client, "B")];
    for (let i = 0; i < 5; i++) await send(client, a, `m${i}`);
    const first = new RawSubscription(client, auth(b.clientId, b.key));
    first.call.write({ open: { seen: [] } });
    await first.until(() => first.seqs.length === 5);
    first.call.write({ ack: { group: "general", seq: 3 } });
    first.call.end();
    await first.status;
    const info = await register(client, "B", b.clientId, b.key);
    assert.deepEqual(info.groups[0], {
      name: "general",
      member: true,
      lastSeq: 5,
      cursor: 3,
      unread: 2,
      role: 0,
    });
    const second = new RawSubscription(client, auth(b.clientId, b.key));
    second.call.write({ open: { seen: [] } });
    await second.until(() => second.seqs.length === 2);
    assert.deepEqual(second.seqs, [4, 5]);
    second.call.end();
    await second.status;
    client.close();
  });
});

Deno.test("service: one acks frame moves several groups' cursors, as the response headers offer; a bad ack in it ends the stream as a lone one would", async () => {
  const server = await testServer({ groups: [{ name: "dev", members: null }] });
  const client = rawClient(server.port);
  const [a, b] = [await register(client, "A"), await register(client, "B")];
  for (const group of ["general", "dev"]) {
    for (let i = 1; i <= 3; i++) await send(client, a, `${group} ${i}`, `${group}-${i}`, group);
  }
  const sub = new RawSubscription(client, auth(b.clientId, b.key));
  const headers = new Promise<grpc.Metadata>((resolve) => sub.call.once("metadata", resolve));
  sub.call.write({ open: { seen: [] } });
  assert.deepEqual((await headers).get(ACKS_HEADER), [ACKS_BATCHED]);
  await sub.until(() => sub.seqs.length === 6);
  sub.call.write({ acks: { acks: [{ group: "general", seq: 2 }, { group: "dev", seq: 3 }] } });
  /** Waits until Register says B's cursors are `want`. */
  const cursorsAre = async (want: string) => {
    const deadline = Date.now() + 5_000;
    let got = "";
    while (Date.now() < deadline) {
      const reply = await register(client, "B", b.clientId, b.key);
      got = reply.groups.map((g) => `${g.name}:${g.cursor}`).join();
      if (got === want) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail(`cursors ${got}, not ${want}, after 5 s`);
  };
  await cursorsAre("general:2,dev:3");
  // Past what was sent, in the middle of a frame: the stream ends, the acks before it count.
  sub.call.write({ acks: { acks: [{ group: "general", seq: 3 }, { group: "dev", seq: 4 }] } });
  const status = await sub.status;
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, /ack 4 for group dev is past the last delivered sequence 3/);
  await cursorsAre("general:3,dev:3");
  client.close();
  await server.shutdown();
});

Deno.test("service: bad Subscribe frames end that stream with INVALID_ARGUMENT", async () => {
  await withServer(null, async ({ port, lastSeq }) => {
    const client = rawClient(port);
    const [a, b] = [await register(client, "A"), await register(client, "B")];
    await send(client, a, "one");
    const cases: [string, (s: RawSubscription) => void, RegExp][] = [
      [
        "ack first",
        (s) => s.call.write({ ack: { group: "general", seq: 1 } }),
        /first Subscribe frame must be open/,
      ],
      [
        "seen past end",
        (s) => s.call.write({ open: { seen: [{ group: "general", seq: 9 }] } }),
        /ends at 1/,
      ],
      ["ack past sent", (s) => {
        s.call.write({ open: { seen: [] } });
        s.call.write({ ack: { group: "general", seq: 7 } });
      }, /past the last delivered sequence/],
      ["ack unknown group", (s) => {
        s.call.write({ open: { seen: [] } });
        s.call.write({ ack: { group: "nope", seq: 1 } });
      }, /does not deliver/],
    ];
    for (const [label, act, details] of cases) {
      const sub = new RawSubscription(client, auth(b.clientId, b.key));
      act(sub);
      const status = await sub.status;
      assert.equal(status.code, 3, `${label}: ${status.details}`);
      assert.match(status.details, details, label);
    }
    const noAuth = new RawSubscription(client, auth("", ""));
    assert.equal((await noAuth.status).code, 16);
    assert.equal(await lastSeq(), 1);
    assert.equal((await send(client, a, "two")).seq, 2, "the server still serves");
    client.close();
  });
});

Deno.test("service: shutdown commits and answers pending sends, then ends streams with UNAVAILABLE", async () => {
  for (const via of ["Send", "Publish"] as const) {
    const dir = await Deno.makeTempDir({ prefix: "chat-service-" });
    const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
    const server = await startChatServer(options);
    const client = rawClient(server.port);
    const a = await register(client, "A");
    const sub = new RawSubscription(client, auth(a.clientId, a.key));
    sub.call.write({ open: { seen: [] } });
    await new Promise((r) => sub.call.once("metadata", r));
    const publisher = new Publisher(client, a);
    assert.equal((await publisher.send("published")).seq, 1);
    // Shut down at the moment a message is waiting in the committer for its commit.
    const append = server.committer.append.bind(server.committer);
    let stopping: Promise<void> | undefined;
    server.committer.append = (message) => {
      const appended = append(message);
      stopping ??= server.shutdown();
      return appended;
    };
    const reply = via === "Send"
      ? await send(client, a, "last words")
      : await publisher.send("last words");
    assert.ok(stopping, `${via}: shutdown began while the message was pending`);
    assert.equal(reply.seq, 2, `${via}: the pending message was committed and answered`);
    const status = await sub.status;
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.match(status.details, /shutting down/);
    const published = await publisher.status;
    assert.equal(grpc.status[published.code], "UNAVAILABLE", published.details);
    await stopping;
    const late = await refusal(send(client, a, "too late"));
    assert.equal(late.code, "UNAVAILABLE", late.details);
    client.close();
    const reopened = await startChatServer(options);
    assert.equal(await reopened.reader.lastSeq("general"), 2, `${via}: it is stored`);
    await reopened.shutdown();
  }
});

Deno.test("service: bytes that are not a valid request are INVALID_ARGUMENT, not INTERNAL", async () => {
  await withServer(null, async ({ port, lastSeq, logs }) => {
    const client = rawClient(port);
    const a = await register(client, "A");
    // A tag whose varint runs past the end, and a tag with no value after it.
    for (const bytes of [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([0x08])]) {
      const reg = await refusal(rawCall(client, "Register", bytes));
      assert.equal(reg.code, "INVALID_ARGUMENT", reg.details);
      assert.match(reg.details, /not a valid chat\.RegisterRequest/);
      const snd = await refusal(rawCall(client, "Send", bytes, auth(a.clientId, a.key)));
      assert.equal(snd.code, "INVALID_ARGUMENT", snd.details);
      assert.match(snd.details, /not a valid chat\.SendRequest/);
    }
    assert.ok(
      logs.some((l) => l.startsWith("refused register (malformed request): INVALID_ARGUMENT")),
    );
    assert.equal(await lastSeq(), 0);
    assert.equal((await send(client, a, "fine")).seq, 1, "the server still serves");
    client.close();
  });
});

Deno.test("service: a bad name cannot forge a line in the server log", async () => {
  await withServer(null, async ({ port, logs }) => {
    const client = rawClient(port);
    await refusal(register(client, "x\n2026-01-01T00:00:00.000Z register Admin#0000"));
    // A client id is the caller's text too, and the NOT_FOUND refusal quotes it.
    const forged = "f\n2026-01-01T00:00:00.000Z register Admin#0000 (new)";
    assert.equal((await refusal(register(client, "Eve", forged, "key"))).code, "NOT_FOUND");
    assert.ok(logs.some((l) => l.includes('"f\\n2026-01-01')), logs.join("\n"));
    assert.ok(logs.every((l) => !l.includes("\n")), logs.join("\n"));
    client.close();
  });
});

Deno.test("service: a refused open moves no cursor, not even of the groups checked before the bad one", async () => {
  const server = await testServer({ groups: [{ name: "ops", members: null }] });
  const client = rawClient(server.port);
  const [a, b] = [await register(client, "A"), await register(client, "B")];
  for (const text of ["one", "two", "three"]) await send(client, a, text);
  // general is checked first and its claim is fine; the claim on ops is past its end.
  const sub = new RawSubscription(client, auth(b.clientId, b.key));
  sub.call.write({ open: { seen: [{ group: "general", seq: 2 }, { group: "ops", seq: 5 }] } });
  const status = await sub.status;
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT, status.details);
  assert.match(status.details, /sequence 5 of ops was seen, but the group ends at 0/);
  assert.equal(
    await server.committer.cursorOf(b.clientId, "general"),
    0,
    "general's cursor stayed",
  );
  const info = await register(client, "B", b.clientId, b.key);
  assert.equal(info.groups.find((g) => g.name === "general")!.unread, 3);
  client.close();
  await server.shutdown();
});

Deno.test("service: a Subscribe the client cancels is logged as cancelled; one it ends, as ended", async () => {
  const logs: string[] = [];
  const server = await testServer({ log: (line) => logs.push(line) });
  const client = rawClient(server.port, { ownConnection: true });
  const b = await register(client, "B");
  const disconnects = () => logs.filter((l) => l.startsWith("disconnect "));
  for (const [how, expected] of [["cancel", "(cancelled)"], ["end", "(stream ended)"]]) {
    const before = disconnects().length;
    const sub = new RawSubscription(client, auth(b.clientId, b.key));
    sub.call.write({ open: { seen: [] } });
    await eventually(() => logs.some((l) => l.startsWith("subscribe @b B#")), "subscribed");
    if (how === "cancel") sub.call.cancel();
    else sub.call.end();
    await sub.status;
    await eventually(() => disconnects().length > before, `${how}: a disconnect line`);
    assert.deepEqual(disconnects().slice(before), [
      `disconnect @b B#${b.clientId.slice(0, 4)} ${expected}`,
    ]);
  }
  client.close();
  await server.shutdown();
});

Deno.test("service: a client_msg_id used again in another group stores a new message there", async () => {
  const server = await testServer({ groups: [{ name: "ops", members: null }] });
  const client = rawClient(server.port);
  const a = await register(client, "A");
  const first = await send(client, a, "to general", "id-1", "general");
  const other = await send(client, a, "to ops", "id-1", "ops");
  assert.deepEqual([first.seq, first.duplicate], [1, false]);
  assert.deepEqual([other.seq, other.duplicate], [1, false], "stored in ops, not a retry");
  const retry = await send(client, a, "to ops", "id-1", "ops");
  assert.deepEqual([retry.seq, retry.duplicate], [1, true], "a retry in ops is still one");
  assert.deepEqual((await server.reader.readRange("ops", 0, 10)).map((m) => m.text), ["to ops"]);
  assert.deepEqual((await server.reader.readRange("general", 0, 10)).map((m) => m.text), [
    "to general",
  ]);
  client.close();
  await server.shutdown();
});

Deno.test("service: Register answers the server's lasting id, the same after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-service-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
  const server = await startChatServer(options);
  let client = rawClient(server.port);
  const first = await register(client, "A");
  assert.match(first.serverId, /^[0-9a-f]{32}$/);
  client.close();
  await server.shutdown();
  const again = await startChatServer(options);
  client = rawClient(again.port);
  assert.equal((await register(client, "A", first.clientId, first.key)).serverId, first.serverId);
  client.close();
  await again.shutdown();
});

Deno.test("service: a writer thread that dies ends the streams, refuses sends UNAVAILABLE, and says so", async () => {
  const server = await testServer({
    sqlite: { workerUrl: new URL("../store/sqlite/testdata/dying_worker.ts", import.meta.url) },
  });
  const client = rawClient(server.port);
  const [a, b] = [await register(client, "A"), await register(client, "B")];
  const sub = new RawSubscription(client, auth(b.clientId, b.key));
  sub.call.write({ open: { seen: [] } });
  // The fixture's writer dies at its first commit: this send's.
  const first = await refusal(send(client, a, "one"));
  assert.equal(first.code, "UNAVAILABLE", first.details);
  const failed = await server.failed;
  assert.match(failed.message, /the database writer stopped/);
  const status = await sub.status;
  assert.equal(status.code, grpc.status.UNAVAILABLE, status.details);
  const later = await refusal(send(client, a, "two"));
  assert.deepEqual(later, {
    code: "UNAVAILABLE",
    details: "the server cannot store messages now; retry shortly",
  });
  assert.equal(await server.reader.lastSeq("general"), 0, "nothing was stored");
  client.close();
  await server.shutdown();
});
