/**
 * Property-based tests of the wire handlers (fast-check, fixed seeds so a
 * failure can be replayed): random field values and random bytes never crash
 * the server, never get INTERNAL or UNKNOWN, and never store anything a valid
 * request could not have stored. The room calls too: whatever they are sent,
 * every stored room keeps a valid name, members and at least one owner.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { type ChatServerOptions, startChatServer } from "../src/server/mod.ts";
import { MAX_TEXT_BYTES } from "../src/shared/limits.ts";
import { checkGroupName, checkHandle, checkName, checkText } from "../src/shared/validate.ts";
import type { StoreReader } from "../src/store/types.ts";
import {
  auth,
  rawCall,
  rawClient,
  RawSubscription,
  register,
  roomCall,
  type RoomMethod,
  send,
} from "./grpc.ts";

const REFUSALS = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.RESOURCE_EXHAUSTED,
  // Room calls: a name taken, already a member or invited; no owner left, an operator's group.
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
]);

const ROOM_METHODS: RoomMethod[] = [
  "CreateRoom",
  "JoinRoom",
  "LeaveRoom",
  "InviteToRoom",
  "RemoveMember",
  "SetRole",
  "History",
  "ListRooms",
  "ListMembers",
];

/** Strings a fuzzer should try: any Unicode, control characters, sizes around the limits. */
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom("", " ", "\n", "\u0000", "\u202e", "\t", "x".repeat(65)),
  fc.string({ minLength: MAX_TEXT_BYTES - 2, maxLength: MAX_TEXT_BYTES + 2 }),
);

/** How many calls ended in each status, for the summary line. */
const seen = new Map<string, number>();

/** Every refusal is a known status with a sentence; nothing else may come back. */
async function outcome<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    const value = await call;
    seen.set("OK", (seen.get("OK") ?? 0) + 1);
    return value;
  } catch (error) {
    const e = error as grpc.ServiceError;
    assert.ok(REFUSALS.has(e.code), `unexpected status ${grpc.status[e.code]}: ${e.details}`);
    assert.ok(e.details.length > 0, "a refusal says why");
    seen.set(grpc.status[e.code], (seen.get(grpc.status[e.code]) ?? 0) + 1);
    return undefined;
  }
}

async function fuzzServer(options: Partial<ChatServerOptions> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "chat-fuzz-" });
  return await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: ["alice", "bob"],
    ...options,
  });
}

/**
 * Every stored room is one a valid request could have made: a valid lower-case name, members
 * that are accounts or registered guests, at least one owner, invites of valid handles.
 */
async function assertRoomsValid(reader: StoreReader): Promise<void> {
  for (const room of await reader.rooms()) {
    const where = JSON.stringify(room);
    assert.equal(checkGroupName(room.name), undefined, where);
    assert.equal(room.name, room.name.toLowerCase(), where);
    assert.ok(room.members.some((m) => m.role === "owner"), `an owner: ${where}`);
    for (const { member } of room.members) {
      if (member.startsWith("~")) assert.ok(await reader.client(member.slice(1)), where);
      else assert.equal(checkHandle(member), undefined, where);
    }
    for (const { handle } of room.invited) assert.equal(checkHandle(handle), undefined, where);
  }
}

Deno.test("fuzz: random Register and Send fields get OK or a precise refusal; only valid data is stored", async () => {
  const server = await fuzzServer();
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  const registered: string[] = [alice.clientId];
  let stored = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        name: text,
        text,
        group: fc.oneof(fc.constant("general"), text),
        clientMsgId: fc.oneof(fc.uuid(), text),
        identity: fc.constantFrom("alice", "wrong-key", "unknown", "none"),
        // Identities travel as HTTP/2 header values: printable ASCII is all a client can send.
        headerValue: fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode),
          maxLength: 70,
        }),
        resume: fc.boolean(),
      }),
      async (r) => {
        const reg = await outcome(
          r.resume ? register(client, r.name, alice.clientId, alice.key) : register(client, r.name),
        );
        if (reg && !reg.resumed) registered.push(reg.clientId);
        const who = {
          alice,
          "wrong-key": { ...alice, key: r.headerValue },
          unknown: { clientId: r.headerValue, key: r.headerValue },
          none: { clientId: "", key: "" },
        }[r.identity];
        const reply = await outcome(send(client, who, r.text, r.clientMsgId, r.group));
        if (reply && !reply.duplicate) stored++;
      },
    ),
    { seed: 20261121, numRuns: 300 },
  );
  console.log(
    `fuzz: 300 random cases, ${stored} sends stored; outcomes ${
      JSON.stringify(Object.fromEntries(seen))
    }`,
  );
  assert.ok(stored > 0 && seen.size > 3, "the cases reached both storage and several refusals");
  // Nothing stored that a valid request could not have stored.
  const messages = await server.reader.readRange("general", 0, Number.MAX_SAFE_INTEGER);
  assert.equal(messages.length, stored);
  assert.equal(await server.reader.lastSeq("general"), stored, "no gaps, no extra rows");
  for (const m of messages) assert.equal(checkText(m.text), undefined, JSON.stringify(m.text));
  for (const id of registered) {
    assert.equal(checkName((await server.reader.client(id))!.name), undefined);
  }
  assert.equal((await send(client, alice, "still serving")).seq, stored + 1);
  client.close();
  await server.shutdown();
});

Deno.test("fuzz: random bytes as requests and stream frames never crash the server or get INTERNAL", async () => {
  const server = await fuzzServer();
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  seen.clear();
  const bytes = fc.uint8Array({ maxLength: 300 });
  await fc.assert(
    fc.asyncProperty(bytes, fc.constantFrom("Register", "Send"), async (body, method) => {
      await outcome(rawCall(client, method, body, auth(alice.clientId, alice.key)));
    }),
    { seed: 7, numRuns: 300 },
  );
  console.log(
    `fuzz: 300 random byte strings as requests; outcomes ${
      JSON.stringify(Object.fromEntries(seen))
    }`,
  );
  // Random frames on a Subscribe stream: the stream may be refused, the server must not fail.
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ ack: fc.record({ group: text, seq: fc.integer({ min: -5, max: 1e6 }) }) }),
          fc.record({
            open: fc.record({
              seen: fc.array(fc.record({ group: text, seq: fc.nat({ max: 1e6 }) }), {
                maxLength: 3,
              }),
            }),
          }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      async (frames) => {
        const sub = new RawSubscription(client, auth(alice.clientId, alice.key));
        for (const frame of frames) sub.call.write(frame);
        sub.call.end();
        const status = await sub.status;
        assert.ok(
          status.code === grpc.status.OK || status.code === grpc.status.INVALID_ARGUMENT,
          `${grpc.status[status.code]}: ${status.details}`,
        );
      },
    ),
    { seed: 11, numRuns: 150 },
  );
  // Whatever decoded into a valid Send was stored as valid data; nothing else was.
  for (const m of await server.reader.readRange("general", 0, Number.MAX_SAFE_INTEGER)) {
    assert.equal(checkText(m.text), undefined, JSON.stringify(m.text));
  }
  const last = await server.reader.lastSeq("general");
  assert.equal((await send(client, alice, "still serving")).seq, last + 1);
  client.close();
  await server.shutdown();
});

Deno.test("fuzz: random fields to every room call get OK or a precise refusal; rooms stay valid", async () => {
  const server = await fuzzServer({ limits: "off", synchronous: "OFF" });
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  const bob = await register(client, "Bob");
  const guest = await register(client, "Gus Guest");
  // Rooms to act on from the start: an open one with both accounts, an invite-only one.
  await roomCall(client, alice, "CreateRoom", { name: "lobby" });
  await roomCall(client, alice, "CreateRoom", { name: "secret", visibility: 1 });
  await roomCall(client, bob, "JoinRoom", { room: "lobby" });
  seen.clear();
  const codes: string[] = [];
  const name = fc.oneof(
    { arbitrary: fc.constantFrom("lobby", "Lobby", "secret", "general", "x", ""), weight: 3 },
    { arbitrary: fc.stringMatching(/^[a-zA-Z0-9._-]{1,3}$/), weight: 2 },
    { arbitrary: text, weight: 1 },
  );
  /** Mostly the values chat.proto defines, sometimes others. */
  const enumeration = (valid: number[]) =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...valid), weight: 4 },
      { arbitrary: fc.integer({ min: -1, max: 9 }), weight: 1 },
    );
  const handle = fc.oneof(
    fc.constantFrom("alice", "@Bob", "bob", "nobody", "", "~x"),
    text,
  );
  const seq = fc.oneof(
    fc.nat({ max: 50 }),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, "18446744073709551615"),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        method: fc.constantFrom(...ROOM_METHODS),
        caller: fc.constantFrom("alice", "bob", "guest", "wrong-key"),
        room: name,
        handle,
        // A code made earlier (used or not), or anything.
        code: fc.oneof(fc.nat({ max: 20 }), text),
        visibility: enumeration([0, 1]),
        history: enumeration([0, 1]),
        role: enumeration([1, 2, 3]),
        beforeSeq: seq,
        limit: fc.oneof(fc.nat({ max: 120 }), fc.constant(0xffff_ffff)),
      }),
      async (r) => {
        const who = {
          alice,
          bob,
          guest,
          "wrong-key": { ...alice, key: "not the key" },
        }[r.caller];
        const code = typeof r.code === "number" ? codes[r.code] ?? "" : r.code;
        const request = {
          CreateRoom: { name: r.room, visibility: r.visibility, history: r.history },
          JoinRoom: { room: r.room, code },
          LeaveRoom: { room: r.room },
          InviteToRoom: { room: r.room, handle: r.handle },
          RemoveMember: { room: r.room, handle: r.handle },
          SetRole: { room: r.room, handle: r.handle, role: r.role },
          History: { room: r.room, beforeSeq: r.beforeSeq, limit: r.limit },
          ListRooms: {},
          ListMembers: { room: r.room },
        }[r.method];
        const reply = await outcome(roomCall(client, who, r.method, request));
        const made = (reply as { code?: string } | undefined)?.code;
        if (r.method === "InviteToRoom" && made) codes.push(made);
      },
    ),
    { seed: 20261130, numRuns: 400 },
  );
  console.log(
    `fuzz: 400 random room calls, ${(await server.reader.rooms()).length} rooms made; outcomes ${
      JSON.stringify(Object.fromEntries(seen))
    }`,
  );
  assert.ok(
    (await server.reader.rooms()).length > 3 && seen.size > 5,
    "the cases made rooms and reached most refusals",
  );
  await assertRoomsValid(server.reader);
  // What memory holds is what was stored: ListRooms and the store agree on every room.
  const { rooms } = await roomCall<{ rooms: { name: string; members: number }[] }>(
    client,
    alice,
    "ListRooms",
  );
  for (const stored of await server.reader.rooms()) {
    const listed = rooms.find((x) => x.name === stored.name);
    if (listed) assert.equal(listed.members, stored.members.length, stored.name);
  }
  // Still serving: a room made, sent to, read.
  await roomCall(client, bob, "CreateRoom", { name: "after-fuzz" });
  assert.equal((await send(client, bob, "still serving", "s1", "after-fuzz")).seq, 1);
  client.close();
  await server.shutdown();
});

Deno.test("fuzz: random bytes as room call requests never crash the server or get INTERNAL", async () => {
  const server = await fuzzServer({ limits: "off", synchronous: "OFF" });
  const client = rawClient(server.port);
  const alice = await register(client, "Alice");
  seen.clear();
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 120 }),
      fc.constantFrom(...ROOM_METHODS),
      async (body, method) => {
        await outcome(rawCall(client, method, body, auth(alice.clientId, alice.key)));
      },
    ),
    { seed: 13, numRuns: 400 },
  );
  console.log(
    `fuzz: 400 random byte strings as room requests; outcomes ${
      JSON.stringify(Object.fromEntries(seen))
    }`,
  );
  await assertRoomsValid(server.reader);
  await roomCall(client, alice, "CreateRoom", { name: "after-bytes" });
  assert.equal((await send(client, alice, "still serving", "s1", "after-bytes")).seq, 1);
  client.close();
  await server.shutdown();
});
