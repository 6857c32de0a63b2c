/**
 * Rooms made at run time (chat.proto's room calls, issue 10), over real gRPC on
 * 127.0.0.1 against an in-process server: every call and every refusal with its
 * status, what members' open streams receive (history, events, nothing after a
 * removal), History's pages, presence, old clients that know no events, and the
 * bounds that are cheap to reach. Restarts and SIGKILLs are in
 * `rooms_restart_test.ts`.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import {
  type ChatClient,
  type ChatMessage,
  type Delivery,
  HistoryVisibility,
  type Member,
  type RegisterReply,
  Role,
  RoomEventKind,
  type RoomInfo,
  Visibility,
} from "../src/protocol/proto.ts";
import {
  type ChatServerOptions,
  type RunningChatServer,
  startChatServer,
} from "../src/server/mod.ts";
import { MAX_INVITES_PER_ROOM, MAX_ROOMS_PER_MEMBER } from "../src/shared/limits.ts";
import { checkGroupName } from "../src/shared/validate.ts";
import { isPending } from "../src/store/testing.ts";
import {
  auth,
  createLinkCode,
  eventually,
  rawAdmin,
  rawClient,
  RawSubscription,
  refusal,
  register,
  roomCall,
  type RoomMethod,
  send,
} from "./grpc.ts";
import { connectClient, receivedMessages, startScript } from "./harness.ts";

/** A registered device: its identity, and the account it proves ("" for a guest). */
interface Device {
  clientId: string;
  key: string;
  handle: string;
  name: string;
}

/** One test's server, a client stub, and helpers that clean up after themselves. */
interface Rig {
  port: number;
  /** The server's database file. */
  dbPath: string;
  server: RunningChatServer;
  client: ChatClient;
  logs: string[];
  /** Registers a new device called `name` (under claim on first use, the handle `name` lower-cased). */
  device(name: string, proof?: { linkCode?: string }): Promise<Device>;
  /** A room call as `who`. */
  call<T = Record<string, unknown>>(
    who: Device,
    method: RoomMethod,
    request?: Record<string, unknown>,
  ): Promise<T>;
  /** The status name and details a room call as `who` is refused with. */
  refused(
    who: Device,
    method: RoomMethod,
    request?: Record<string, unknown>,
  ): Promise<{ code: string; details: string }>;
  /**
   * A Subscribe stream of `who`, open (the server has answered with headers); `acceptMore`:
   * it reads `Delivery.more`, as the client does.
   */
  subscribe(who: Device, options?: { acceptMore?: boolean }): Promise<RawSubscription>;
}

async function withRig(
  fn: (rig: Rig) => Promise<void>,
  options: Partial<ChatServerOptions> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-rooms-" });
  const logs: string[] = [];
  const dbPath = options.dbPath ?? `${dir}/chat.db`;
  const server = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    members: null,
    log: (line) => logs.push(line),
    ...options,
    dbPath,
  });
  const client = rawClient(server.port);
  const subscriptions: RawSubscription[] = [];
  const rig: Rig = {
    port: server.port,
    dbPath,
    server,
    client,
    logs,
    device: async (name, proof = {}) => {
      const reply: RegisterReply = await register(client, name, "", "", proof);
      return { clientId: reply.clientId, key: reply.key, handle: reply.handle, name: reply.name };
    },
    call: (who, method, request = {}) => roomCall(client, who, method, request),
    refused: (who, method, request = {}) => refusal(roomCall(client, who, method, request)),
    subscribe: async (who, { acceptMore = false } = {}) => {
      const sub = await openStream(client, who, acceptMore);
      subscriptions.push(sub);
      return sub;
    },
  };
  try {
    await fn(rig);
  } finally {
    for (const sub of subscriptions) sub.call.cancel();
    client.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a Subscribe stream of `who` on `client`; resolves once the server has answered. */
async function openStream(
  client: ChatClient,
  who: Device,
  acceptMore = false,
): Promise<RawSubscription> {
  const sub = new RawSubscription(client, auth(who.clientId, who.key));
  await new Promise((resolve, reject) => {
    sub.call.once("metadata", resolve);
    sub.status.then((s) => reject(new Error(`the stream ended: ${s.details}`)));
    sub.call.write({ open: { seen: [], acceptMore } });
  });
  return sub;
}

/** Asserts that `got` is the refusal `code` with details matching `details`. */
function assertRefusal(
  got: { code: string; details: string },
  code: string,
  details: RegExp,
  what: string,
): void {
  assert.equal(got.code, code, `${what}: ${got.details}`);
  assert.match(got.details, details, what);
}

const KIND_NAMES = new Map<number, string>(
  Object.entries(RoomEventKind).map(([name, kind]) => [kind, name]),
);

/** A member as events and ListMembers show it: `@handle`, or `~name` for a guest. */
function memberLabel(member: Member | null | undefined): string {
  if (!member) return "(none)";
  return member.handle ? `@${member.handle}` : `~${member.name}`;
}

/**
 * Every event `sub` received, in order, as `group KIND @member[ by handle]`. Each event frame
 * must carry events only: through_seq 0 and no messages.
 */
function eventsOf(sub: RawSubscription): string[] {
  return sub.deliveries.filter((d) => d.events.length > 0).flatMap((d) => {
    assert.equal(d.throughSeq, 0, "an event frame acknowledges nothing");
    assert.deepEqual(d.messages, [], "an event frame carries no messages");
    return d.events.map((e) =>
      `${d.group} ${KIND_NAMES.get(e.kind)} ${memberLabel(e.member)}${e.by ? ` by ${e.by}` : ""}`
    );
  });
}

/** Every frame `sub` received, those of `Delivery.more` after their Delivery's own, in order. */
function flatten(sub: RawSubscription): Delivery[] {
  return sub.deliveries.flatMap((d) => [d, ...d.more]);
}

/** The texts `sub` received in `group`, in order. */
function textsOf(sub: RawSubscription | { deliveries: Delivery[] }, group: string): string[] {
  return sub.deliveries.filter((d) => d.group === group).flatMap((d) =>
    d.messages.map((m) => m.text)
  );
}

/** Waits until `sub` has received `text` in `group`. */
function receive(sub: RawSubscription, group: string, text: string): Promise<void> {
  return sub.until(() => textsOf(sub, group).includes(text));
}

/** Members as `@handle/ROLE/online`, in the order ListMembers gives them. */
async function membersOf(rig: Rig, who: Device, room: string): Promise<string[]> {
  const reply = await rig.call<{ members: Member[] }>(who, "ListMembers", { room });
  return reply.members.map((m) => `${memberLabel(m)}/${roleName(m.role)}/${m.devicesOnline}`);
}

function roleName(role: number): string {
  return (Object.entries(Role).find(([, n]) => n === role) ?? [String(role)])[0];
}

/** ListRooms of `who`, as `name:member|invited|ROLE|members|last|unread`. */
async function roomsOf(rig: Rig, who: Device): Promise<string[]> {
  const { rooms } = await rig.call<{ rooms: RoomInfo[] }>(who, "ListRooms");
  return rooms.map((r) =>
    `${r.name}:${r.member ? "member" : r.invited ? "invited" : "-"}|${
      roleName(r.role)
    }|${r.members}|${r.lastSeq}|${r.unread}`
  );
}

/** Sends `texts` to `group` as `who`, one after another. */
async function sendAll(rig: Rig, who: Device, group: string, texts: string[]): Promise<void> {
  for (const text of texts) await send(rig.client, who, text, crypto.randomUUID(), group);
}

/** Polls `check` every 20 ms until it holds. @throws naming `what()` after `timeoutMs`. */
async function pollUntil(
  check: () => Promise<boolean>,
  what: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what()}: not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const OPEN = Visibility.OPEN;
const INVITE_ONLY = Visibility.INVITE_ONLY;

Deno.test("rooms: create: accounts only, names checked and lower-cased, a taken name (a room's or an operator group's) refused, nothing stored for a refusal", async () => {
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    const guest = await rig.device("Mary Ann"); // no handle can be made of it: a guest
    assert.equal(guest.handle, "");
    const before = await roomsOf(rig, alice);
    const cases: [string, Device, Record<string, unknown>, string, RegExp][] = [
      ["a guest", guest, { name: "g" }, "PERMISSION_DENIED", /guests cannot make rooms/],
      ["an empty name", alice, { name: "" }, "INVALID_ARGUMENT", /the room name is empty/],
      ["a space", alice, { name: "a b" }, "INVALID_ARGUMENT", /only letters, digits/],
      ["a slash", alice, { name: "a/b" }, "INVALID_ARGUMENT", /only letters, digits/],
      [
        "65 characters",
        alice,
        { name: "x".repeat(65) },
        "INVALID_ARGUMENT",
        /65 characters long; the limit is 64/,
      ],
      ["visibility 7", alice, { name: "v", visibility: 7 }, "INVALID_ARGUMENT", /visibility 7/],
      ["history 5", alice, { name: "h", history: 5 }, "INVALID_ARGUMENT", /history 5/],
      ["general", alice, { name: "general" }, "ALREADY_EXISTS", /the name general is taken/],
      ["General", alice, { name: "General" }, "ALREADY_EXISTS", /the name general is taken/],
      ["ops", alice, { name: "ops" }, "ALREADY_EXISTS", /the name ops is taken/],
    ];
    for (const [what, who, request, code, details] of cases) {
      assertRefusal(await rig.refused(who, "CreateRoom", request), code, details, what);
    }
    assert.deepEqual(await roomsOf(rig, alice), before, "nothing was made");
    assert.deepEqual(await rig.server.reader.rooms(), []);
    assert.ok(
      rig.logs.some((l) =>
        /^refused create room from .*: PERMISSION_DENIED: guests cannot make rooms/.test(l)
      ),
      rig.logs.join("\n"),
    );

    const made = await rig.call<{ room: RoomInfo }>(alice, "CreateRoom", { name: "Dev" });
    assert.ok(
      rig.logs.some((l) =>
        /^room dev made by @alice Alice#[0-9a-f]{4} \(open, history all\)$/.test(l)
      ),
      rig.logs.join("\n"),
    );
    assert.deepEqual(made.room, {
      name: "dev",
      visibility: OPEN,
      history: HistoryVisibility.HISTORY_ALL,
      role: Role.OWNER,
      member: true,
      invited: false,
      members: 1,
      lastSeq: 0,
      unread: 0,
      operatorGroup: false,
    });
    for (const name of ["dev", "DEV", "Dev"]) {
      assertRefusal(
        await rig.refused(alice, "CreateRoom", { name }),
        "ALREADY_EXISTS",
        /the name dev is taken; pick another/,
        name,
      );
    }
    const secret = await rig.call<{ room: RoomInfo }>(alice, "CreateRoom", {
      name: "secret",
      visibility: INVITE_ONLY,
      history: HistoryVisibility.HISTORY_SINCE_JOIN,
    });
    assert.equal(secret.room.visibility, INVITE_ONLY);
    assert.equal(secret.room.history, HistoryVisibility.HISTORY_SINCE_JOIN);
    assert.deepEqual(await roomsOf(rig, alice), [
      "general:member|ROLE_UNSPECIFIED|0|0|0",
      "ops:member|ROLE_UNSPECIFIED|0|0|0",
      "dev:member|OWNER|1|0|0",
      "secret:member|OWNER|1|0|0",
    ]);
    assert.deepEqual((await rig.server.reader.rooms()).map((r) => r.name), ["dev", "secret"]);
    // Two accounts making one name at once: one gets it.
    const bob = await rig.device("Bob");
    const race = await Promise.allSettled([
      rig.call(alice, "CreateRoom", { name: "race" }),
      rig.call(bob, "CreateRoom", { name: "Race" }),
    ]);
    assert.deepEqual(
      race.map((r) =>
        r.status === "fulfilled" ? "OK" : grpc.status[(r.reason as grpc.ServiceError).code]
      ).sort(),
      ["ALREADY_EXISTS", "OK"],
    );
    assert.equal(
      (await rig.server.reader.rooms()).find((r) => r.name === "race")!.members.length,
      1,
    );
    // A room is a group like any: its messages have their own sequence.
    assert.equal((await send(rig.client, alice, "hi", "m1", "DEV")).seq, 1);
    assert.equal(await rig.server.reader.lastSeq("dev"), 1);
  }, { groups: [{ name: "ops", members: null }] });
});

Deno.test("rooms: create: a name that differs from an operator's group only in case is taken, and such a group cannot be added at start beside the room", async () => {
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    assertRefusal(
      await rig.refused(alice, "CreateRoom", { name: "ops" }),
      "ALREADY_EXISTS",
      /is taken/,
      "ops beside the operator's Ops",
    );
    assert.deepEqual(await rig.server.reader.rooms(), []);
  }, { groups: [{ name: "Ops", members: null }] });
  // The other way round: a room "hall" is stored, and the operator starts with -group Hall.
  const dir = await Deno.makeTempDir({ prefix: "chat-rooms-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
  const first = await startChatServer(options);
  const client = rawClient(first.port);
  const alice = await register(client, "Alice");
  await roomCall(client, alice, "CreateRoom", { name: "hall" });
  client.close();
  await first.shutdown();
  try {
    const started = await startChatServer({ ...options, groups: [{ name: "Hall", members: null }] })
      .then(async (server) => {
        await server.shutdown();
        return "started";
      }, (error: Error) => error.name);
    assert.equal(started, "GroupConflictError");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rooms: create: a name with messages stored under it (an operator's group dropped from the flags) is taken: its history does not show in a room", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-rooms-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
  try {
    const first = await startChatServer({ ...options, groups: [{ name: "old", members: null }] });
    let client = rawClient(first.port);
    const alice = await register(client, "Alice");
    assert.equal((await send(client, alice, "from before", "m1", "old")).seq, 1);
    client.close();
    await first.shutdown();

    const second = await startChatServer(options);
    client = rawClient(second.port);
    try {
      assertRefusal(
        await refusal(roomCall(client, alice, "CreateRoom", { name: "Old" })),
        "ALREADY_EXISTS",
        /^the name old is taken: messages are stored under it; pick another$/,
        "old, once an operator's group",
      );
      assert.deepEqual(await second.reader.rooms(), []);
      const made = await roomCall<{ room: RoomInfo }>(client, alice, "CreateRoom", {
        name: "new",
      });
      assert.equal(made.room.lastSeq, 0);
      assert.deepEqual((await second.reader.rooms()).map((r) => r.name), ["new"]);
    } finally {
      client.close();
      await second.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rooms: create: a name is checked as it is stored, lower-cased: the stored name is within the rules", async () => {
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    // "İ" lower-cases to "i" and a combining dot: one character more, and not a letter.
    for (const typed of ["İstanbul", `${"x".repeat(63)}İ`, "ΣΟΦΙΑ"]) {
      const outcome = await rig.call<{ room: RoomInfo }>(alice, "CreateRoom", { name: typed })
        .then((reply) => reply.room.name, (error: grpc.ServiceError) => error);
      if (typeof outcome === "string") {
        assert.equal(checkGroupName(outcome), undefined, `${typed} stored as ${outcome}`);
      } else {
        assert.equal(outcome.code, grpc.status.INVALID_ARGUMENT, `${typed}: ${outcome.details}`);
      }
    }
    for (const room of (await rig.server.reader.rooms())) {
      assert.equal(checkGroupName(room.name), undefined, `stored: ${room.name}`);
    }
  });
});

Deno.test("rooms: join: open rooms take accounts and guests; invite-only ones an invite or a one-time code, once; every refusal precise and storing nothing", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, dave, erin] = await Promise.all(
      ["Alice", "Bob", "Chad", "Dave", "Erin"].map((n) => rig.device(n)),
    );
    const gus = await rig.device("Gus Guest");
    await rig.call(alice, "CreateRoom", { name: "lobby" });
    await rig.call(alice, "CreateRoom", { name: "secret", visibility: INVITE_ONLY });
    await rig.call(alice, "CreateRoom", { name: "other", visibility: INVITE_ONLY });

    const joined = await rig.call<{ room: RoomInfo }>(bob, "JoinRoom", { room: "Lobby" });
    assert.deepEqual(joined.room, {
      name: "lobby",
      visibility: OPEN,
      history: HistoryVisibility.HISTORY_ALL,
      role: Role.MEMBER,
      member: true,
      invited: false,
      members: 2,
      lastSeq: 0,
      unread: 0,
      operatorGroup: false,
    });
    assert.equal(
      (await rig.call<{ room: RoomInfo }>(gus, "JoinRoom", { room: "lobby" })).room.role,
      Role.MEMBER,
    );

    const { code } = await rig.call<{ code: string; expiresAtMs: number }>(
      alice,
      "InviteToRoom",
      { room: "secret" },
    );
    assert.match(code, /\S{8,}/);
    const before = {
      rooms: await rig.server.reader.rooms(),
      codes: await rig.server.reader.roomCodes("secret"),
    };
    const cases: [string, Device, Record<string, unknown>, string, RegExp][] = [
      ["already a member", bob, { room: "lobby" }, "ALREADY_EXISTS", /already in lobby/],
      ["the owner again", alice, { room: "secret" }, "ALREADY_EXISTS", /already in secret/],
      [
        "invite-only, no invite",
        bob,
        { room: "secret" },
        "PERMISSION_DENIED",
        /secret is invite-only: you need an invite/,
      ],
      [
        "a guest at invite-only",
        gus,
        { room: "secret" },
        "PERMISSION_DENIED",
        /invite-only, and this device is a guest/,
      ],
      [
        "a guest with a good code",
        gus,
        { room: "secret", code },
        "PERMISSION_DENIED",
        /invite-only, and this device is a guest/,
      ],
      [
        "another room's code",
        bob,
        { room: "other", code },
        "PERMISSION_DENIED",
        /the room code is not valid/,
      ],
      [
        "an unknown code",
        bob,
        { room: "secret", code: "nope-nope" },
        "PERMISSION_DENIED",
        /the room code is not valid/,
      ],
      ["an unknown room", bob, { room: "nowhere" }, "NOT_FOUND", /no group "nowhere"/],
      [
        "an operator's group",
        bob,
        { room: "general" },
        "FAILED_PRECONDITION",
        /general is run by the operator/,
      ],
    ];
    for (const [what, who, request, status, details] of cases) {
      assertRefusal(await rig.refused(who, "JoinRoom", request), status, details, what);
    }
    assert.deepEqual(await rig.server.reader.rooms(), before.rooms, "no refusal stored anything");
    assert.equal(
      await rig.server.reader.roomCodes("secret"),
      before.codes,
      "no refusal used the code",
    );

    // Two accounts joining with one code at once: one gets in.
    const [ivy, jon] = await Promise.all(["Ivy", "Jon"].map((n) => rig.device(n)));
    const { code: shared } = await rig.call<{ code: string }>(alice, "InviteToRoom", {
      room: "other",
    });
    const both = await Promise.allSettled(
      [ivy, jon].map((who) => rig.call(who, "JoinRoom", { room: "other", code: shared })),
    );
    assert.deepEqual(
      both.map((r) =>
        r.status === "fulfilled" ? "OK" : grpc.status[(r.reason as grpc.ServiceError).code]
      ).sort(),
      ["OK", "PERMISSION_DENIED"],
    );
    assert.equal(
      (await rig.server.reader.rooms()).find((r) => r.name === "other")!.members.length,
      2,
    );
    // The code works once...
    assert.equal(
      (await rig.call<{ room: RoomInfo }>(chad, "JoinRoom", { room: "secret", code })).room.role,
      Role.MEMBER,
    );
    assertRefusal(
      await rig.refused(dave, "JoinRoom", { room: "secret", code }),
      "PERMISSION_DENIED",
      /the room code is not valid \(unknown, already used or expired\)/,
      "the same code again",
    );
    // ...and an invite by handle needs no code.
    await rig.call(alice, "InviteToRoom", { room: "secret", handle: "@Erin" });
    assert.deepEqual(await roomsOf(rig, erin), [
      "general:member|ROLE_UNSPECIFIED|0|0|0",
      "lobby:-|ROLE_UNSPECIFIED|3|0|0",
      "secret:invited|ROLE_UNSPECIFIED|2|0|0",
    ]);
    await rig.call(erin, "JoinRoom", { room: "secret" });
    assert.deepEqual(await membersOf(rig, alice, "secret"), [
      "@alice/OWNER/0",
      "@chad/MEMBER/0",
      "@erin/MEMBER/0",
    ]);
    assert.deepEqual(await membersOf(rig, alice, "lobby"), [
      "@alice/OWNER/0",
      "@bob/MEMBER/0",
      "~Gus Guest/MEMBER/0",
    ]);
    const lobby = await rig.call<{ members: Member[] }>(bob, "ListMembers", { room: "lobby" });
    assert.deepEqual(lobby.members[2], {
      handle: "",
      role: Role.MEMBER,
      devicesOnline: 0,
      name: "Gus Guest",
      clientId: gus.clientId,
    });
    // Dave, who joined nothing, sees the open room to join and not the invite-only ones.
    assert.deepEqual(await roomsOf(rig, dave), [
      "general:member|ROLE_UNSPECIFIED|0|0|0",
      "lobby:-|ROLE_UNSPECIFIED|3|0|0",
    ]);
    assertRefusal(
      await rig.refused(dave, "ListMembers", { room: "secret" }),
      "PERMISSION_DENIED",
      /you are not in secret/,
      "the members of an invite-only room, to a non-member",
    );
    // Members send and read there; a guest in an open room too.
    await send(rig.client, gus, "hello from a guest", "g1", "lobby");
    assert.equal(await rig.server.reader.lastSeq("lobby"), 1);
    // An operator's closed group: its accounts are its members, whom only they may list.
    assert.deepEqual(await membersOf(rig, bob, "staff"), [
      "@alice/ROLE_UNSPECIFIED/0",
      "@bob/ROLE_UNSPECIFIED/0",
    ]);
    assertRefusal(
      await rig.refused(dave, "ListMembers", { room: "staff" }),
      "PERMISSION_DENIED",
      /you are not in staff/,
      "the members of a closed group, to a non-member",
    );
    assertRefusal(
      await rig.refused(alice, "JoinRoom", { room: "staff" }),
      "FAILED_PRECONDITION",
      /staff is run by the operator/,
      "joining a closed operator's group",
    );
  }, { groups: [{ name: "staff", members: ["alice", "bob"] }] });
});

Deno.test("rooms: invite: owners and admins only, known accounts, once; the invitee's open stream hears INVITED", async () => {
  await withRig(async (rig) => {
    // Dave has an account to be invited to, and no part to play otherwise.
    const [alice, bob, chad, , frank] = await Promise.all(
      ["Alice", "Bob", "Chad", "Dave", "Frank"].map((n) => rig.device(n)),
    );
    await rig.call(alice, "CreateRoom", { name: "secret", visibility: INVITE_ONLY });
    await rig.call(alice, "InviteToRoom", { room: "secret", handle: "bob" });
    await rig.call(bob, "JoinRoom", { room: "secret" });
    const chadStream = await rig.subscribe(chad);
    const before = await rig.server.reader.rooms();
    const cases: [string, Device, Record<string, unknown>, string, RegExp][] = [
      [
        "by a member",
        bob,
        { room: "secret", handle: "chad" },
        "PERMISSION_DENIED",
        /only owners and admins of secret invite/,
      ],
      [
        "a code by a member",
        bob,
        { room: "secret" },
        "PERMISSION_DENIED",
        /only owners and admins of secret invite/,
      ],
      [
        "by a non-member",
        frank,
        { room: "secret", handle: "chad" },
        "PERMISSION_DENIED",
        /you are not in secret/,
      ],
      [
        "an unknown account",
        alice,
        { room: "secret", handle: "nobody" },
        "NOT_FOUND",
        /there is no account @nobody/,
      ],
      [
        "a member",
        alice,
        { room: "secret", handle: "@BOB" },
        "ALREADY_EXISTS",
        /@bob is already in secret/,
      ],
      [
        "a bad handle",
        alice,
        { room: "secret", handle: "no such!" },
        "INVALID_ARGUMENT",
        /./,
      ],
      [
        "an operator's group",
        alice,
        { room: "general", handle: "chad" },
        "FAILED_PRECONDITION",
        /run by the operator/,
      ],
      ["no such room", alice, { room: "nope", handle: "chad" }, "NOT_FOUND", /no group "nope"/],
    ];
    for (const [what, who, request, status, details] of cases) {
      assertRefusal(await rig.refused(who, "InviteToRoom", request), status, details, what);
    }
    assert.deepEqual(await rig.server.reader.rooms(), before, "no refusal stored anything");
    assert.equal(await rig.server.reader.roomCodes("secret"), 0);

    assert.deepEqual(
      await rig.call(alice, "InviteToRoom", { room: "secret", handle: "chad" }),
      { code: "", expiresAtMs: 0 },
    );
    assertRefusal(
      await rig.refused(alice, "InviteToRoom", { room: "secret", handle: "Chad" }),
      "ALREADY_EXISTS",
      /@chad is already invited to secret/,
      "invited twice",
    );
    // An admin may invite, and make codes.
    await rig.call(alice, "SetRole", { room: "secret", handle: "bob", role: Role.ADMIN });
    await rig.call(bob, "InviteToRoom", { room: "secret", handle: "dave" });
    const { code, expiresAtMs } = await rig.call<{ code: string; expiresAtMs: number }>(
      bob,
      "InviteToRoom",
      { room: "secret" },
    );
    assert.ok(code.length >= 8 && expiresAtMs > Date.now());
    assert.equal(await rig.server.reader.roomCodes("secret"), 1);
    assert.deepEqual((await rig.server.reader.rooms())[0].invited.map((i) => i.handle), [
      "chad",
      "dave",
    ]);

    // Chad's open stream heard his invite, once, and nothing else.
    await chadStream.until(() => chadStream.deliveries.length >= 1);
    await send(rig.client, alice, "marker", "m1");
    await receive(chadStream, "general", "marker");
    assert.deepEqual(chadStream.deliveries[0], {
      group: "secret",
      throughSeq: 0,
      messages: [],
      events: [{
        kind: RoomEventKind.INVITED,
        member: {
          handle: "chad",
          role: Role.ROLE_UNSPECIFIED,
          devicesOnline: 1,
          name: "",
          clientId: "",
        },
        by: "alice",
      }],
      more: [],
    });
    assert.deepEqual(eventsOf(chadStream), ["secret INVITED @chad by alice"]);
    assert.deepEqual(textsOf(chadStream, "secret"), []);
  });
});

Deno.test("rooms: remove: owners remove admins and members, admins members; every refusal precise", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, dave, erin, frank] = await Promise.all(
      ["Alice", "Bob", "Chad", "Dave", "Erin", "Frank"].map((n) => rig.device(n)),
    );
    await rig.call(alice, "CreateRoom", { name: "team" });
    for (const who of [bob, chad, dave, erin]) await rig.call(who, "JoinRoom", { room: "team" });
    await rig.call(alice, "SetRole", { room: "team", handle: "erin", role: Role.OWNER });
    await rig.call(alice, "SetRole", { room: "team", handle: "bob", role: Role.ADMIN });
    const before = await rig.server.reader.rooms();
    const cases: [string, Device, Record<string, unknown>, string, RegExp][] = [
      [
        "a member removing",
        chad,
        { room: "team", handle: "dave" },
        "PERMISSION_DENIED",
        /only owners and admins of team remove members/,
      ],
      [
        "an admin removing an owner",
        bob,
        { room: "team", handle: "erin" },
        "PERMISSION_DENIED",
        /@erin is an owner of team; only an owner can remove them/,
      ],
      [
        "an admin removing the first owner",
        bob,
        { room: "team", handle: "alice" },
        "PERMISSION_DENIED",
        /@alice is an owner of team/,
      ],
      [
        "an owner removing an owner",
        alice,
        { room: "team", handle: "erin" },
        "PERMISSION_DENIED",
        /@erin is an owner of team; make them a member first/,
      ],
      [
        "an owner removing herself",
        alice,
        { room: "team", handle: "@Alice" },
        "INVALID_ARGUMENT",
        /to leave team, leave it/,
      ],
      [
        "an admin removing himself",
        bob,
        { room: "team", handle: "bob" },
        "INVALID_ARGUMENT",
        /to leave team, leave it/,
      ],
      [
        "an account not in the room",
        alice,
        { room: "team", handle: "frank" },
        "NOT_FOUND",
        /@frank is not in team/,
      ],
      [
        "no such account",
        alice,
        { room: "team", handle: "nobody" },
        "NOT_FOUND",
        /@nobody is not in team/,
      ],
      [
        "by a non-member",
        frank,
        { room: "team", handle: "chad" },
        "PERMISSION_DENIED",
        /you are not in team/,
      ],
      ["an empty handle", alice, { room: "team" }, "INVALID_ARGUMENT", /./],
      [
        "an operator's group",
        alice,
        { room: "general", handle: "bob" },
        "FAILED_PRECONDITION",
        /run by the operator/,
      ],
    ];
    for (const [what, who, request, status, details] of cases) {
      assertRefusal(await rig.refused(who, "RemoveMember", request), status, details, what);
    }
    assert.deepEqual(await rig.server.reader.rooms(), before, "no refusal stored anything");

    const removed = await rig.call<{ member: Member }>(bob, "RemoveMember", {
      room: "team",
      handle: "chad",
    });
    assert.equal(removed.member.handle, "chad");
    await rig.call(alice, "RemoveMember", { room: "team", handle: "bob" });
    assert.deepEqual(await membersOf(rig, alice, "team"), [
      "@alice/OWNER/0",
      "@erin/OWNER/0",
      "@dave/MEMBER/0",
    ]);
    // Removed, they are out: no sending, and they may join the open room again as members.
    assertRefusal(
      await refusal(send(rig.client, chad, "still here?", "c1", "team")),
      "PERMISSION_DENIED",
      /Chad is not a member of group team/,
      "a removed member's send",
    );
    assert.equal(
      (await rig.call<{ room: RoomInfo }>(bob, "JoinRoom", { room: "team" })).room.role,
      Role.MEMBER,
    );
  });
});

Deno.test("rooms: roles: owners only; the last owner cannot be demoted; made owner, another lets the old owner leave", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, frank] = await Promise.all(
      ["Alice", "Bob", "Chad", "Frank"].map((n) => rig.device(n)),
    );
    await rig.call(alice, "CreateRoom", { name: "team" });
    await rig.call(bob, "JoinRoom", { room: "team" });
    await rig.call(chad, "JoinRoom", { room: "team" });
    await rig.call(alice, "SetRole", { room: "team", handle: "chad", role: Role.ADMIN });
    const before = await rig.server.reader.rooms();
    const cases: [string, Device, Record<string, unknown>, string, RegExp][] = [
      [
        "a member",
        bob,
        { room: "team", handle: "chad", role: Role.MEMBER },
        "PERMISSION_DENIED",
        /only owners of team change roles/,
      ],
      [
        "an admin",
        chad,
        { room: "team", handle: "bob", role: Role.ADMIN },
        "PERMISSION_DENIED",
        /only owners of team change roles/,
      ],
      [
        "a non-member",
        frank,
        { room: "team", handle: "bob", role: Role.ADMIN },
        "PERMISSION_DENIED",
        /you are not in team/,
      ],
      [
        "the last owner demoting herself",
        alice,
        { room: "team", handle: "alice", role: Role.ADMIN },
        "FAILED_PRECONDITION",
        /@alice is the last owner of team/,
      ],
      [
        "no role",
        alice,
        { room: "team", handle: "bob", role: Role.ROLE_UNSPECIFIED },
        "INVALID_ARGUMENT",
        /role 0 is none of MEMBER, ADMIN and OWNER/,
      ],
      [
        "an unknown role",
        alice,
        { room: "team", handle: "bob", role: 9 },
        "INVALID_ARGUMENT",
        /role 9 is none of/,
      ],
      [
        "not a member",
        alice,
        { room: "team", handle: "frank", role: Role.ADMIN },
        "NOT_FOUND",
        /@frank is not in team/,
      ],
      [
        "an operator's group",
        alice,
        { room: "general", handle: "bob", role: Role.ADMIN },
        "FAILED_PRECONDITION",
        /run by the operator/,
      ],
    ];
    for (const [what, who, request, status, details] of cases) {
      assertRefusal(await rig.refused(who, "SetRole", request), status, details, what);
    }
    assertRefusal(
      await rig.refused(alice, "LeaveRoom", { room: "team" }),
      "FAILED_PRECONDITION",
      /you are the last owner of team: make another member owner first/,
      "the last owner leaving while others remain",
    );
    assert.deepEqual(await rig.server.reader.rooms(), before, "no refusal stored anything");

    const made = await rig.call<{ member: Member }>(alice, "SetRole", {
      room: "team",
      handle: "@Bob",
      role: Role.OWNER,
    });
    assert.deepEqual({ handle: made.member.handle, role: made.member.role }, {
      handle: "bob",
      role: Role.OWNER,
    });
    // The same role again changes nothing and is no error.
    await rig.call(alice, "SetRole", { room: "team", handle: "bob", role: Role.OWNER });
    assert.deepEqual(await rig.call(alice, "LeaveRoom", { room: "team" }), { deleted: false });
    assert.deepEqual(await membersOf(rig, bob, "team"), ["@bob/OWNER/0", "@chad/ADMIN/0"]);
    assert.deepEqual((await rig.server.reader.rooms())[0].members.map((m) => [m.member, m.role]), [
      ["bob", "owner"],
      ["chad", "admin"],
    ]);
    // Two owners demoting each other at once: the changes run one after the other, so the
    // second finds its maker no owner any more; the room keeps one.
    await rig.call(bob, "SetRole", { room: "team", handle: "chad", role: Role.OWNER });
    const duel = await Promise.allSettled([
      rig.call(bob, "SetRole", { room: "team", handle: "chad", role: Role.MEMBER }),
      rig.call(chad, "SetRole", { room: "team", handle: "bob", role: Role.MEMBER }),
    ]);
    assert.deepEqual(
      duel.map((r) =>
        r.status === "fulfilled" ? "OK" : grpc.status[(r.reason as grpc.ServiceError).code]
      ).sort(),
      ["OK", "PERMISSION_DENIED"],
    );
    assert.equal(
      (await rig.server.reader.rooms())[0].members.filter((m) => m.role === "owner").length,
      1,
    );
    // Back to Bob as the one owner, Chad an admin.
    const owner = duel[0].status === "fulfilled" ? bob : chad;
    await rig.call(owner, "SetRole", {
      room: "team",
      handle: owner === bob ? "chad" : "bob",
      role: Role.OWNER,
    });
    await rig.call(chad, "SetRole", { room: "team", handle: "bob", role: Role.OWNER });
    await rig.call(bob, "SetRole", { room: "team", handle: "chad", role: Role.ADMIN });
    assert.deepEqual(await membersOf(rig, bob, "team"), ["@bob/OWNER/0", "@chad/ADMIN/0"]);
    // Two owners each stepping down at once: the second would leave no owner.
    await rig.call(bob, "SetRole", { room: "team", handle: "chad", role: Role.OWNER });
    const stepDown = await Promise.allSettled([
      rig.call(bob, "SetRole", { room: "team", handle: "bob", role: Role.ADMIN }),
      rig.call(chad, "SetRole", { room: "team", handle: "chad", role: Role.ADMIN }),
    ]);
    assert.deepEqual(
      stepDown.map((r) =>
        r.status === "fulfilled" ? "OK" : grpc.status[(r.reason as grpc.ServiceError).code]
      ).sort(),
      ["FAILED_PRECONDITION", "OK"],
    );
    const [stayed, stepped] = stepDown[0].status === "fulfilled" ? [chad, bob] : [bob, chad];
    assert.deepEqual(await membersOf(rig, bob, "team"), [
      `@${stayed.handle}/OWNER/0`,
      `@${stepped.handle}/ADMIN/0`,
    ]);
    await rig.call(stayed, "SetRole", { room: "team", handle: stepped.handle, role: Role.OWNER });
    await rig.call(bob, "SetRole", { room: "team", handle: "chad", role: Role.ADMIN });
    // With two owners, either may demote the other.
    await rig.call(bob, "SetRole", { room: "team", handle: "chad", role: Role.OWNER });
    await rig.call(chad, "SetRole", { room: "team", handle: "bob", role: Role.MEMBER });
    assert.deepEqual(await membersOf(rig, chad, "team"), ["@chad/OWNER/0", "@bob/MEMBER/0"]);
    assertRefusal(
      await rig.refused(chad, "SetRole", { room: "team", handle: "chad", role: Role.MEMBER }),
      "FAILED_PRECONDITION",
      /last owner/,
      "the last owner again",
    );
  });
});

Deno.test("rooms: leave: refusals; the last member's leave deletes the room, its name is free, and a room made again under it starts at seq 1 with no old history", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, frank] = await Promise.all(
      ["Alice", "Bob", "Chad", "Frank"].map((n) => rig.device(n)),
    );
    await rig.call(alice, "CreateRoom", { name: "tmp", visibility: INVITE_ONLY });
    await rig.call(alice, "InviteToRoom", { room: "tmp", handle: "bob" });
    await rig.call(bob, "JoinRoom", { room: "tmp" });
    assertRefusal(
      await rig.refused(frank, "LeaveRoom", { room: "tmp" }),
      "FAILED_PRECONDITION",
      /you are not in tmp/,
      "not a member",
    );
    assertRefusal(
      await rig.refused(frank, "LeaveRoom", { room: "nope" }),
      "NOT_FOUND",
      /no group "nope"/,
      "no such room",
    );
    assertRefusal(
      await rig.refused(alice, "LeaveRoom", { room: "general" }),
      "FAILED_PRECONDITION",
      /run by the operator/,
      "an operator's group",
    );
    assertRefusal(
      await rig.refused(alice, "LeaveRoom", { room: "tmp" }),
      "FAILED_PRECONDITION",
      /last owner/,
      "the last owner with a member left",
    );
    await sendAll(rig, alice, "tmp", ["old 1", "old 2"]);
    await sendAll(rig, bob, "tmp", ["old 3"]);
    assert.deepEqual(await rig.call(bob, "LeaveRoom", { room: "tmp" }), { deleted: false });
    await rig.call(alice, "InviteToRoom", { room: "tmp", handle: "chad" });
    const { code } = await rig.call<{ code: string }>(alice, "InviteToRoom", { room: "tmp" });
    assert.deepEqual(await rig.call(alice, "LeaveRoom", { room: "TMP" }), { deleted: true });

    // Gone: the room, its history, its invites and codes.
    assert.deepEqual(await rig.server.reader.rooms(), []);
    assert.equal(await rig.server.reader.lastSeq("tmp"), 0);
    assert.equal(await rig.server.reader.roomCodes("tmp"), 0);
    assert.deepEqual(await roomsOf(rig, chad), ["general:member|ROLE_UNSPECIFIED|0|0|0"]);
    assertRefusal(await rig.refused(chad, "JoinRoom", { room: "tmp" }), "NOT_FOUND", /tmp/, "join");
    assertRefusal(await rig.refused(alice, "History", { room: "tmp" }), "NOT_FOUND", /tmp/, "hist");
    assertRefusal(
      await refusal(send(rig.client, alice, "x", "x1", "tmp")),
      "NOT_FOUND",
      /no group "tmp"/,
      "send",
    );

    // The name is free again: a new room, which starts at 1 and knows nothing of the old.
    const made = await rig.call<{ room: RoomInfo }>(bob, "CreateRoom", {
      name: "Tmp",
      visibility: INVITE_ONLY,
    });
    assert.deepEqual([made.room.name, made.room.lastSeq, made.room.members], ["tmp", 0, 1]);
    assertRefusal(
      await rig.refused(chad, "JoinRoom", { room: "tmp" }),
      "PERMISSION_DENIED",
      /invite-only/,
      "the old room's invite",
    );
    assertRefusal(
      await rig.refused(chad, "JoinRoom", { room: "tmp", code }),
      "PERMISSION_DENIED",
      /the room code is not valid/,
      "the old room's code",
    );
    assert.equal((await send(rig.client, bob, "new 1", "n1", "tmp")).seq, 1);
    const page = await rig.call<{ messages: ChatMessage[]; more: boolean }>(bob, "History", {
      room: "tmp",
    });
    assert.deepEqual(page.messages.map((m) => [m.seq, m.text]), [[1, "new 1"]]);
    assert.equal(page.more, false);
  });
});

Deno.test("rooms: a room made again under a deleted room's name is new to everyone: acks of the old room, even just before its deletion, do not carry over", async () => {
  await withRig(async (rig) => {
    const [alice, bob, mark] = await Promise.all(
      ["Alice", "Bob", "Mark"].map((n) => rig.device(n)),
    );
    const aliceStream = await rig.subscribe(alice);
    const bobStream = await rig.subscribe(bob);
    await rig.call(alice, "CreateRoom", { name: "flash" });
    await rig.call(bob, "JoinRoom", { room: "flash" });
    await sendAll(rig, alice, "flash", ["old 1", "old 2", "old 3"]);
    await receive(bobStream, "flash", "old 3");
    // Bob acks what he read, then both leave at once: the room is deleted.
    bobStream.call.write({ ack: { group: "flash", seq: 3 } });
    await rig.call(bob, "LeaveRoom", { room: "flash" });
    assert.deepEqual(await rig.call(alice, "LeaveRoom", { room: "flash" }), { deleted: true });

    // Made again (by Bob, this time), with Alice in it.
    await rig.call(bob, "CreateRoom", { name: "flash" });
    await rig.call(alice, "JoinRoom", { room: "flash" });
    await sendAll(rig, bob, "flash", ["new 1", "new 2", "new 3"]);
    await sendAll(rig, alice, "flash", ["new 4"]);
    // A marker in general, sent last by a third device, reaches each stream after the room's
    // messages: when it is there, nothing more of the room is on its way.
    await send(rig.client, mark, "marker", "mk");
    await receive(aliceStream, "general", "marker");
    await receive(bobStream, "general", "marker");
    assert.deepEqual(textsOf(aliceStream, "flash"), ["new 1", "new 2", "new 3"]);
    assert.deepEqual(textsOf(bobStream, "flash"), ["old 1", "old 2", "old 3", "new 4"]);
    assert.equal(await rig.server.reader.lastSeq("flash"), 4);
  });
});

Deno.test("rooms: an ack that comes after the room was deleted (its sender had left it) does not carry over to a room made again by that name", async () => {
  await withRig(async (rig) => {
    const [alice, bob, mark] = await Promise.all(
      ["Alice", "Bob", "Mark"].map((n) => rig.device(n)),
    );
    const aliceStream = await rig.subscribe(alice);
    await rig.call(bob, "CreateRoom", { name: "flash" });
    await rig.call(alice, "JoinRoom", { room: "flash" });
    await sendAll(rig, bob, "flash", ["old 1", "old 2", "old 3"]);
    await send(rig.client, mark, "g1", "g1");
    await receive(aliceStream, "general", "g1");
    assert.deepEqual(textsOf(aliceStream, "flash"), ["old 1", "old 2", "old 3"]);
    // Alice leaves before she acked; Bob, the last member, leaves: the room is deleted.
    await rig.call(alice, "LeaveRoom", { room: "flash" });
    assert.deepEqual(await rig.call(bob, "LeaveRoom", { room: "flash" }), { deleted: true });
    // Her client acks what it printed only now; an ack of general after it on the same
    // stream shows when the server has taken both.
    aliceStream.call.write({ ack: { group: "flash", seq: 3 } });
    aliceStream.call.write({ ack: { group: "general", seq: 1 } });
    await eventually(
      async () => await rig.server.committer.cursorOf(alice.clientId, "general") === 1,
      "her ack of general taken",
    );
    // A new room by the name, with Alice in it: she is sent its messages from 1.
    await rig.call(bob, "CreateRoom", { name: "flash" });
    const joined = await rig.call<{ room: RoomInfo }>(alice, "JoinRoom", { room: "flash" });
    assert.equal(joined.room.lastSeq, 0);
    await sendAll(rig, bob, "flash", ["new 1", "new 2", "new 3", "new 4"]);
    await send(rig.client, mark, "g2", "g2");
    await receive(aliceStream, "general", "g2");
    assert.deepEqual(textsOf(aliceStream, "flash"), [
      "old 1",
      "old 2",
      "old 3",
      "new 1",
      "new 2",
      "new 3",
      "new 4",
    ]);
    assert.equal(await isPending(aliceStream.status), true, "her stream is still open");
  });
});

Deno.test("rooms: history: members only; pages of 20 back from the end are contiguous, oldest first, own messages included", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, frank] = await Promise.all(
      ["Alice", "Bob", "Chad", "Frank"].map((n) => rig.device(n)),
    );
    await rig.call(alice, "CreateRoom", { name: "log" });
    await rig.call(bob, "JoinRoom", { room: "log" });
    await rig.call(chad, "JoinRoom", { room: "log" });
    // 45 messages, from Alice and Bob in turn.
    for (let i = 1; i <= 45; i++) {
      await send(rig.client, i % 2 ? alice : bob, `m${i}`, `id${i}`, "log");
    }
    type Page = { messages: ChatMessage[]; more: boolean };
    const page = async (beforeSeq: number, limit = 20) => {
      const p = await rig.call<Page>(alice, "History", { room: "log", beforeSeq, limit });
      return { seqs: p.messages.map((m) => m.seq), more: p.more, messages: p.messages };
    };
    const seqs = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const first = await page(0);
    assert.deepEqual([first.seqs, first.more], [seqs(26, 45), true]);
    const second = await page(first.seqs[0]);
    assert.deepEqual([second.seqs, second.more], [seqs(6, 25), true]);
    const third = await page(second.seqs[0]);
    assert.deepEqual([third.seqs, third.more], [seqs(1, 5), false]);
    // Every message as sent: her own and Bob's, texts, senders.
    const all = [...third.messages, ...second.messages, ...first.messages];
    assert.deepEqual(
      all.map((m) => [m.seq, m.text, m.senderHandle, m.senderId]),
      seqs(1, 45).map((i) => [
        i,
        `m${i}`,
        i % 2 ? "alice" : "bob",
        i % 2 ? alice.clientId : bob.clientId,
      ]),
    );
    // Past the end, the default page, the largest page, one message.
    assert.deepEqual((await page(1000)).seqs, seqs(26, 45));
    const byDefault = await rig.call<Page>(alice, "History", { room: "log" });
    assert.deepEqual(byDefault.messages.map((m) => m.seq), seqs(26, 45));
    const largest = await page(0, 100);
    assert.deepEqual([largest.seqs, largest.more], [seqs(1, 45), false]);
    assert.deepEqual(await page(46, 1).then((p) => [p.seqs, p.more]), [[45], true]);
    assert.deepEqual(await page(1).then((p) => [p.seqs, p.more]), [[], false]);
    assert.deepEqual(await page(2).then((p) => [p.seqs, p.more]), [[1], false]);
    // Numbers no sequence or page can be.
    assertRefusal(
      await rig.refused(alice, "History", { room: "log", beforeSeq: "18446744073709551615" }),
      "INVALID_ARGUMENT",
      /before_seq .* is not a sequence/,
      "before_seq 2^64-1",
    );
    assertRefusal(
      await rig.refused(alice, "History", { room: "log", limit: 0xffff_ffff }),
      "INVALID_ARGUMENT",
      /at most 100 messages/,
      "limit 2^32-1",
    );
    // An operator's group pages the same way for its members.
    await send(rig.client, bob, "in general", "g1");
    const general = await rig.call<Page>(alice, "History", { room: "general" });
    assert.deepEqual(general.messages.map((m) => m.text), ["in general"]);

    await rig.call(alice, "RemoveMember", { room: "log", handle: "chad" });
    const cases: [string, Device, Record<string, unknown>, string, RegExp][] = [
      ["a non-member", frank, { room: "log" }, "PERMISSION_DENIED", /you are not in log/],
      ["a removed member", chad, { room: "log" }, "PERMISSION_DENIED", /you are not in log/],
      [
        "101 messages",
        alice,
        { room: "log", limit: 101 },
        "INVALID_ARGUMENT",
        /at most 100 messages, not 101/,
      ],
      ["no such room", alice, { room: "nope" }, "NOT_FOUND", /no group "nope"/],
    ];
    for (const [what, who, request, status, details] of cases) {
      assertRefusal(await rig.refused(who, "History", request), status, details, what);
    }
  });
});

Deno.test("rooms: a member removed mid-stream gets nothing more of the room; his sends and History are refused; his stream stays open", async () => {
  await withRig(async (rig) => {
    const [alice, bob] = await Promise.all(["Alice", "Bob"].map((n) => rig.device(n)));
    await rig.call(alice, "CreateRoom", { name: "team" });
    await rig.call(bob, "JoinRoom", { room: "team" });
    const bobStream = await rig.subscribe(bob);
    await sendAll(rig, alice, "team", ["before 1", "before 2", "before 3"]);
    await receive(bobStream, "team", "before 3");
    // Removed while receiving, before he acked anything.
    await rig.call(alice, "RemoveMember", { room: "team", handle: "bob" });
    await bobStream.until(() => eventsOf(bobStream).length === 1);
    assert.deepEqual(eventsOf(bobStream), ["team REMOVED @bob by alice"]);
    // His late acks of the room he left are let be: the stream goes on.
    bobStream.call.write({ ack: { group: "team", seq: 3 } });
    bobStream.call.write({ ack: { group: "team", seq: 2 } });
    await sendAll(rig, alice, "team", ["after 1", "after 2"]);
    await send(rig.client, alice, "general marker", "gm");
    await receive(bobStream, "general", "general marker");
    assert.deepEqual(textsOf(bobStream, "team"), ["before 1", "before 2", "before 3"]);
    const removedAt = bobStream.deliveries.findIndex((d) => d.events.length > 0);
    assert.ok(
      bobStream.deliveries.slice(removedAt).every((d) =>
        d.group !== "team" || d.messages.length === 0
      ),
      "no message of the room after REMOVED",
    );
    assertRefusal(
      await refusal(send(rig.client, bob, "let me in", "b1", "team")),
      "PERMISSION_DENIED",
      /Bob is not a member of group team/,
      "his send",
    );
    assertRefusal(
      await rig.refused(bob, "History", { room: "team" }),
      "PERMISSION_DENIED",
      /you are not in team/,
      "his History",
    );
    assert.equal(await isPending(bobStream.status), true, "his stream is still open");
    // And it still carries general, live.
    await send(rig.client, alice, "general 2", "gm2");
    await receive(bobStream, "general", "general 2");
    assert.equal(await rig.server.reader.lastSeq("team"), 5);
    // A new stream of his, whose open says what he saw of the room he is out of, is taken.
    const reopened = new RawSubscription(rig.client, auth(bob.clientId, bob.key));
    await new Promise((resolve, reject) => {
      reopened.call.once("metadata", resolve);
      reopened.status.then((s) => reject(new Error(`refused: ${s.details}`)));
      reopened.call.write({
        open: { seen: [{ group: "team", seq: 3 }, { group: "gone", seq: 9 }] },
      });
    });
    await send(rig.client, alice, "general 2b", "gm2b");
    await receive(reopened, "general", "general 2b");
    assert.deepEqual(textsOf(reopened, "team"), []);
    reopened.call.cancel();
    // Back in the open room, he is sent what he had not acked, and not what he had.
    await rig.call(bob, "JoinRoom", { room: "team" });
    await receive(bobStream, "team", "after 2");
    await send(rig.client, alice, "general 3", "gm3");
    await receive(bobStream, "general", "general 3");
    assert.deepEqual(textsOf(bobStream, "team"), [
      "before 1",
      "before 2",
      "before 3",
      "after 1",
      "after 2",
    ]);
  });
});

Deno.test("rooms: a new member gets the whole history once on his open stream; in a since-join room only from joining on, and History no further back", async () => {
  await withRig(async (rig) => {
    const [alice, bob] = await Promise.all(["Alice", "Bob"].map((n) => rig.device(n)));
    await rig.call(alice, "CreateRoom", { name: "all" });
    await rig.call(alice, "CreateRoom", {
      name: "fresh",
      history: HistoryVisibility.HISTORY_SINCE_JOIN,
    });
    const before = Array.from({ length: 30 }, (_, i) => `before ${i + 1}`);
    await sendAll(rig, alice, "all", before);
    await sendAll(rig, alice, "fresh", before.slice(0, 10));
    const bobStream = await rig.subscribe(bob);
    // His other device's stream is open too: membership is the account's, both receive.
    const { code } = await createLinkCode(rig.client, bob);
    const bobPhone = await rig.subscribe(await rig.device("Bob Phone", { linkCode: code }));
    const joined = await rig.call<{ room: RoomInfo }>(bob, "JoinRoom", { room: "all" });
    assert.deepEqual([joined.room.lastSeq, joined.room.unread], [30, 30]);
    const joinedFresh = await rig.call<{ room: RoomInfo }>(bob, "JoinRoom", { room: "fresh" });
    assert.deepEqual([joinedFresh.room.lastSeq, joinedFresh.room.unread], [10, 0]);
    await receive(bobStream, "all", "before 30");
    await sendAll(rig, alice, "all", ["live 31"]);
    await sendAll(rig, alice, "fresh", ["live 11", "live 12"]);
    await send(rig.client, alice, "marker", "mk");
    await receive(bobStream, "general", "marker");
    await receive(bobStream, "fresh", "live 12");
    // Each exactly once, in order, and the sequences with them.
    assert.deepEqual(textsOf(bobStream, "all"), [...before, "live 31"]);
    assert.deepEqual(
      bobStream.deliveries.filter((d) => d.group === "all").flatMap((d) =>
        d.messages.map((m) => m.seq)
      ),
      Array.from({ length: 31 }, (_, i) => i + 1),
    );
    assert.deepEqual(textsOf(bobStream, "fresh"), ["live 11", "live 12"]);
    await receive(bobPhone, "general", "marker");
    await receive(bobPhone, "fresh", "live 12");
    assert.deepEqual(textsOf(bobPhone, "all"), [...before, "live 31"]);
    assert.deepEqual(textsOf(bobPhone, "fresh"), ["live 11", "live 12"]);
    // History in the since-join room starts where he joined.
    type Page = { messages: ChatMessage[]; more: boolean };
    const page = await rig.call<Page>(bob, "History", { room: "fresh", limit: 100 });
    assert.deepEqual([page.messages.map((m) => m.seq), page.more], [[11, 12], false]);
    const older = await rig.call<Page>(bob, "History", { room: "fresh", beforeSeq: 11 });
    assert.deepEqual([older.messages, older.more], [[], false]);
    const one = await rig.call<Page>(bob, "History", { room: "fresh", beforeSeq: 13, limit: 1 });
    assert.deepEqual([one.messages.map((m) => m.seq), one.more], [[12], true]);
    // Its owner reads it all.
    const owner = await rig.call<Page>(alice, "History", { room: "fresh", limit: 100 });
    assert.equal(owner.messages.length, 12);
    assert.deepEqual(await roomsOf(rig, bob), [
      "general:member|ROLE_UNSPECIFIED|0|1|1",
      "all:member|MEMBER|2|31|31",
      "fresh:member|MEMBER|2|12|2",
    ]);
  });
});

Deno.test("rooms: a stream that accepts more gets the backlog of all its rooms in one Delivery, each message once and in order; one that does not gets a frame per room", async () => {
  await withRig(async (rig) => {
    const [alice, bob] = await Promise.all(["Alice", "Bob"].map((n) => rig.device(n)));
    const rooms = ["red", "green", "blue"];
    for (const room of rooms) {
      await rig.call(alice, "CreateRoom", { name: room });
      await rig.call(bob, "JoinRoom", { room });
    }
    const texts = (room: string) => Array.from({ length: 5 }, (_, i) => `${room} ${i + 1}`);
    for (const room of rooms) await sendAll(rig, alice, room, texts(room));
    const everything = rooms.flatMap(texts);
    const received = (sub: RawSubscription) => flatten(sub).flatMap((d) => d.messages);
    // Every subscription starts in the same turn when the stream opens: one write for all.
    const batched = await rig.subscribe(bob, { acceptMore: true });
    await batched.until(() => received(batched).length === everything.length);
    assert.equal(batched.deliveries.length, 1, "one Delivery for the three rooms");
    assert.deepEqual(
      flatten(batched).map((d) => [d.group, d.throughSeq, d.messages.map((m) => m.text)]),
      rooms.map((room) => [room, 5, texts(room)]),
    );
    // His other device's stream does not accept more: three frames, none with `more`.
    const { code } = await createLinkCode(rig.client, bob);
    const plain = await rig.subscribe(await rig.device("Bob Phone", { linkCode: code }));
    await plain.until(() => received(plain).length === everything.length);
    assert.deepEqual(
      plain.deliveries.map((d) => [d.group, d.messages.length, d.more.length]),
      rooms.map((room) => [room, 5, 0]),
    );
    // Live messages and events keep coming, each once, whatever frames they share.
    await sendAll(rig, alice, "red", ["red 6"]);
    await rig.call(alice, "RemoveMember", { room: "blue", handle: "bob" });
    await sendAll(rig, alice, "green", ["green 6"]);
    await batched.until(() => received(batched).length === everything.length + 2);
    assert.deepEqual(textsOf({ deliveries: flatten(batched) }, "red"), [...texts("red"), "red 6"]);
    assert.deepEqual(textsOf({ deliveries: flatten(batched) }, "green"), [
      ...texts("green"),
      "green 6",
    ]);
    await batched.until(() => flatten(batched).some((d) => d.events.length > 0));
    assert.deepEqual(
      flatten(batched).flatMap((d) => d.events.map((e) => `${d.group} ${KIND_NAMES.get(e.kind)}`)),
      ["blue REMOVED"],
    );
  });
});

Deno.test("rooms: the client takes a Delivery of several rooms: each message printed once, in its room's order, and remembered for all of them", async () => {
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    const rooms = ["red", "green", "blue"];
    for (const room of rooms) await rig.call(alice, "CreateRoom", { name: room });
    const stateDir = `${rig.dbPath}.carol`;
    const options = { name: "Carol", port: rig.port, stateDir };
    const first = await connectClient(options);
    for (const room of rooms) {
      await first.proc.type(`/join ${room}`);
      await first.proc.waitForLine(new RegExp(`^\\* joined ${room}`), { stream: "stderr" });
    }
    await first.proc.closeInput();
    assert.equal((await first.proc.status).code, 0);
    const texts = (room: string) => Array.from({ length: 5 }, (_, i) => `${room} ${i + 1}`);
    for (const room of rooms) await sendAll(rig, alice, room, texts(room));
    // Back online: the three rooms' backlog comes in one Delivery (see the test above).
    const back = await connectClient(options);
    const all = rooms.flatMap(texts);
    await back.proc.waitForLine(/blue 5$/);
    await back.proc.waitForCount(/^\[(red|green|blue)\] /, all.length);
    const printed = receivedMessages(back.proc);
    for (const room of rooms) {
      assert.deepEqual(printed.filter((m) => m.group === room).map((m) => m.text), texts(room));
    }
    assert.equal(printed.length, all.length, "each message printed once");
    await back.proc.closeInput();
    assert.equal((await back.proc.status).code, 0);
    // Remembered for every room of that Delivery: nothing is printed again.
    const again = await connectClient(options);
    await sendAll(rig, alice, "green", ["green 6"]);
    await again.proc.waitForLine(/green 6$/);
    assert.deepEqual(receivedMessages(again.proc).map((m) => m.text), ["green 6"]);
    await again.proc.closeInput();
    await again.proc.status;
  });
});

Deno.test("rooms: events: JOINED, ROLE_CHANGED, REMOVED and LEFT reach the other members' open streams, not the acting device", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, dave, frank, mark] = await Promise.all(
      ["Alice", "Bob", "Chad", "Dave", "Frank", "Mark"].map((n) => rig.device(n)),
    );
    const gus = await rig.device("Gus Guest");
    // Alice's second device, linked to her account.
    const { code } = await createLinkCode(rig.client, alice);
    const alice2 = await rig.device("Alice Laptop", { linkCode: code });
    assert.equal(alice2.handle, "alice");
    await rig.call(alice, "CreateRoom", { name: "team" });
    await rig.call(bob, "JoinRoom", { room: "team" });
    await rig.call(chad, "JoinRoom", { room: "team" });
    const streams = {
      alice: await rig.subscribe(alice),
      alice2: await rig.subscribe(alice2),
      bob: await rig.subscribe(bob),
      chad: await rig.subscribe(chad),
      dave: await rig.subscribe(dave),
      frank: await rig.subscribe(frank),
    };
    await rig.call(dave, "JoinRoom", { room: "team" });
    await rig.call(alice, "SetRole", { room: "team", handle: "bob", role: Role.ADMIN });
    await rig.call(alice, "RemoveMember", { room: "team", handle: "chad" });
    await rig.call(dave, "LeaveRoom", { room: "team" });
    await rig.call(alice2, "SetRole", { room: "team", handle: "bob", role: Role.MEMBER });
    await rig.call(gus, "JoinRoom", { room: "team" });
    // A marker sent after every change: each stream has had every event by the time it arrives.
    await send(rig.client, mark, "marker", "mk");
    for (const sub of Object.values(streams)) await receive(sub, "general", "marker");
    const joined = "team JOINED @dave";
    const admin = "team ROLE_CHANGED @bob by alice";
    const removed = "team REMOVED @chad by alice";
    const left = "team LEFT @dave";
    const member = "team ROLE_CHANGED @bob by alice";
    const guest = "team JOINED ~Gus Guest";
    assert.deepEqual(
      Object.fromEntries(Object.entries(streams).map(([who, sub]) => [who, eventsOf(sub)])),
      {
        // Alice's device that acted hears the others' doings only.
        alice: [joined, left, member, guest],
        alice2: [joined, admin, removed, left, guest],
        bob: [joined, admin, removed, left, member, guest],
        chad: [joined, admin, removed],
        // Dave's one device joined and left: it hears what happened between.
        dave: [admin, removed],
        frank: [],
      },
    );
    // The events say who, with the role and presence at that moment.
    const bobEvents = streams.bob.deliveries.flatMap((d) => d.events);
    assert.deepEqual(bobEvents[0].member, {
      handle: "dave",
      role: Role.MEMBER,
      devicesOnline: 1,
      name: "",
      clientId: "",
    });
    assert.equal(bobEvents[1].member!.role, Role.ADMIN);
    assert.equal(bobEvents[4].member!.role, Role.MEMBER);
    // A guest is told by its name and device.
    assert.deepEqual(bobEvents[5].member, {
      handle: "",
      role: Role.MEMBER,
      devicesOnline: 0,
      name: "Gus Guest",
      clientId: gus.clientId,
    });
  });
});

Deno.test("rooms: events: the last member leaving from one device tells his other device that the room is deleted, and its stream stops carrying it", async () => {
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    const { code } = await createLinkCode(rig.client, alice);
    const alice2 = await rig.device("Alice Laptop", { linkCode: code });
    await rig.call(alice, "CreateRoom", { name: "solo" });
    const other = await rig.subscribe(alice2);
    await sendAll(rig, alice, "solo", ["note 1"]);
    await receive(other, "solo", "note 1");
    assert.deepEqual(await rig.call(alice, "LeaveRoom", { room: "solo" }), { deleted: true });
    await other.until(() => eventsOf(other).length > 0);
    await send(rig.client, alice, "marker", "mk");
    await receive(other, "general", "marker");
    assert.deepEqual(eventsOf(other), ["solo DELETED @alice"]);
    // Acks of the room it no longer has are let be.
    other.call.write({ ack: { group: "solo", seq: 1 } });
    await send(rig.client, alice, "marker 2", "mk2");
    await receive(other, "general", "marker 2");
    assert.equal(await isPending(other.status), true);
  });
});

Deno.test("rooms: presence: ListMembers counts each account's devices online and shows guests; a SIGKILLed client process drops to 0", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad] = await Promise.all(
      ["Alice", "Bob", "Chad"].map((n) => rig.device(n)),
    );
    const { code } = await createLinkCode(rig.client, bob);
    const bob2 = await rig.device("Bob Phone", { linkCode: code });
    const gus = await rig.device("Gus Guest");
    await rig.call(alice, "CreateRoom", { name: "lobby" });
    for (const who of [bob, chad, gus]) await rig.call(who, "JoinRoom", { room: "lobby" });
    assert.deepEqual(await membersOf(rig, alice, "lobby"), [
      "@alice/OWNER/0",
      "@bob/MEMBER/0",
      "@chad/MEMBER/0",
      "~Gus Guest/MEMBER/0",
    ]);
    await rig.subscribe(bob);
    await rig.subscribe(gus);
    // Bob's phone and Chad's only device hold their streams in another process.
    const holder = startScript("holder", "tests/fixtures/room_streams.ts", [
      String(rig.port),
      `${bob2.clientId}:${bob2.key}`,
      `${chad.clientId}:${chad.key}`,
    ]);
    try {
      await holder.waitForLine(/^ready 2$/, { timeoutMs: 30_000 });
      assert.deepEqual(await membersOf(rig, alice, "lobby"), [
        "@alice/OWNER/0",
        "@bob/MEMBER/2",
        "@chad/MEMBER/1",
        "~Gus Guest/MEMBER/1",
      ]);
      // In general, open to all: the devices online, one entry per account or guest.
      const general = await rig.call<{ members: Member[] }>(alice, "ListMembers", {
        room: "general",
      });
      assert.deepEqual(
        general.members.map((m) => `${memberLabel(m)}/${m.devicesOnline}`).sort(),
        ["@bob/2", "@chad/1", "~Gus Guest/1"],
      );
      holder.kill("SIGKILL");
      assert.equal((await holder.status).signal, "SIGKILL");
      const started = Date.now();
      let now: string[] = [];
      await pollUntil(
        async () => {
          const { members } = await rig.call<{ members: Member[] }>(alice, "ListMembers", {
            room: "lobby",
          });
          now = members.map((m) => `${memberLabel(m)}/${m.devicesOnline}`);
          return now.join() === "@alice/0,@bob/1,@chad/0,~Gus Guest/1";
        },
        () => `Chad offline and Bob down to one device after the SIGKILL (now ${now.join()})`,
        45_000,
      );
      console.log(
        `presence: the killed process's devices were offline after ${Date.now() - started} ms`,
      );
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
    }
  });
});

Deno.test("rooms: the operator's release takes an account out of its rooms (an admin, else the longest-standing account, owns an ownerless one; one left with no account is deleted and starts afresh); a revoked guest leaves its rooms", async () => {
  await withRig(async (rig) => {
    const [alice, bob, chad, mark] = await Promise.all(
      ["Alice", "Bob", "Chad", "Mark"].map((n) => rig.device(n)),
    );
    const gus = await rig.device("Gus Guest");
    const admin = rawAdmin(
      rig.port,
      (await Deno.readTextFile(`${rig.dbPath}.admin-secret`)).trim(),
    );
    try {
      await rig.call(alice, "CreateRoom", { name: "team" });
      for (const who of [bob, chad, gus]) await rig.call(who, "JoinRoom", { room: "team" });
      await rig.call(alice, "SetRole", { room: "team", handle: "chad", role: Role.ADMIN });
      await rig.call(alice, "CreateRoom", { name: "solo" });
      // A room of alice and a guest: a guest cannot run it, so it goes with her.
      await rig.call(alice, "CreateRoom", { name: "guests" });
      await rig.call(gus, "JoinRoom", { room: "guests" });
      const gusStream = await rig.subscribe(gus);
      const aliceStream = await rig.subscribe(alice);
      // Her own messages count as read on her stream; the release comes right after.
      await sendAll(rig, alice, "solo", ["s1", "s2", "s3"]);
      assert.deepEqual(await admin.release("alice"), { devices: 1 });
      assert.equal((await aliceStream.status).code, grpc.status.UNAVAILABLE);
      // Bob joined team before Chad, but Chad is an admin: Chad owns it now.
      assert.deepEqual(await membersOf(rig, bob, "team"), [
        "@chad/OWNER/0",
        "@bob/MEMBER/0",
        "~Gus Guest/MEMBER/1",
      ]);
      // The guests' room went, and Gus's open stream was told so.
      await gusStream.until(() => eventsOf(gusStream).includes("guests DELETED ~Gus Guest"));
      await refusal(send(rig.client, gus, "still here?", "g1", "guests"));
      // solo had only her: gone, and made again it starts afresh, for her device too.
      assert.deepEqual((await rig.server.reader.rooms()).map((r) => r.name), ["team"]);
      await rig.call(bob, "CreateRoom", { name: "solo" });
      await sendAll(rig, bob, "solo", ["n1", "n2", "n3"]);
      const asGuest = { ...alice, handle: "" };
      const joined = await rig.call<{ room: RoomInfo }>(asGuest, "JoinRoom", { room: "solo" });
      assert.deepEqual([joined.room.lastSeq, joined.room.unread], [3, 3]);
      const again = await rig.subscribe(asGuest);
      await send(rig.client, mark, "marker", "mk");
      await receive(again, "general", "marker");
      assert.deepEqual(textsOf(again, "solo"), ["n1", "n2", "n3"]);
      // A revoked guest device is out of its rooms.
      await admin.revoke(gus.clientId);
      assert.deepEqual(await membersOf(rig, bob, "team"), ["@chad/OWNER/0", "@bob/MEMBER/0"]);
      assert.deepEqual(
        (await rig.server.reader.rooms()).find((r) => r.name === "team")!.members.length,
        2,
      );
    } finally {
      admin.close();
    }
  });
});

Deno.test("rooms: a message sent as its room's last member leaves is stored before the leave or refused, never in a room made again by that name", async () => {
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    const carol = await rig.device("Carol");
    let stored = 0, refused = 0;
    for (let i = 0; i < 10; i++) {
      const room = `brief${i}`;
      await rig.call(alice, "CreateRoom", { name: room });
      // Other sends keep a commit in flight, so the leave and the message meet mid-commit.
      const noise = Array.from({ length: 30 }, (_, n) => send(rig.client, alice, `noise ${n}`));
      const [sent, left] = await Promise.allSettled([
        send(rig.client, alice, `last words ${i}`, crypto.randomUUID(), room),
        rig.call(alice, "LeaveRoom", { room }),
      ]);
      await Promise.all(noise);
      assert.deepEqual(left, { status: "fulfilled", value: { deleted: true } });
      if (sent.status === "fulfilled") stored++;
      else {
        refused++;
        assert.equal((sent.reason as grpc.ServiceError).code, grpc.status.PERMISSION_DENIED);
      }
      await rig.call(carol, "CreateRoom", { name: room });
      const page = await rig.call<{ messages: unknown[] }>(carol, "History", { room });
      assert.deepEqual(page.messages, [], `${room} made again holds nothing of the old one`);
    }
    assert.equal(stored + refused, 10);
  }, { limits: "off" });
});

Deno.test("rooms: a join racing the operator's release of the room's only account joins first or finds no room; no member outlives its room, also after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-rooms-release-" });
  const dbPath = `${dir}/chat.db`;
  let bobRooms: string[] = [];
  await withRig(async (rig) => {
    const bob = await rig.device("Bob");
    const admin = rawAdmin(
      rig.port,
      (await Deno.readTextFile(`${rig.dbPath}.admin-secret`)).trim(),
    );
    try {
      for (let i = 0; i < 6; i++) {
        const owner = await rig.device(`Owner${i}`);
        await rig.call(owner, "CreateRoom", { name: `gone${i}` });
        const [, joined] = await Promise.allSettled([
          admin.release(`owner${i}`),
          rig.call(bob, "JoinRoom", { room: `gone${i}` }),
        ]);
        if (joined.status === "rejected") {
          assert.equal((joined.reason as grpc.ServiceError).code, grpc.status.NOT_FOUND);
        }
      }
      const rooms = await rig.server.reader.rooms();
      const mine = await rig.call<{ rooms: RoomInfo[] }>(bob, "ListRooms");
      bobRooms = mine.rooms.filter((r) => r.member && !r.operatorGroup).map((r) => r.name);
      assert.deepEqual(bobRooms, rooms.map((r) => r.name).sort(), "memory and the store agree");
      for (const room of rooms) {
        assert.deepEqual(room.members.map((m) => `${m.member}/${m.role}`), ["bob/owner"]);
      }
    } finally {
      admin.close();
    }
  }, { dbPath, limits: "off" });
  // After a restart, no member row of a deleted room comes back.
  await withRig(async (rig) => {
    const bob = await rig.device("Bob2");
    assert.deepEqual(
      (await rig.server.reader.rooms()).map((r) => r.name),
      bobRooms,
      "only the rooms bob got into remain",
    );
    assert.deepEqual(
      (await rig.call<{ rooms: RoomInfo[] }>(bob, "ListRooms")).rooms.length,
      1 + bobRooms.length,
    );
  }, { dbPath });
  await Deno.remove(dir, { recursive: true });
});

/** chat.proto as it was before rooms: a client built from it knows no room calls and no events. */
const V4_PROTO = fileURLToPath(new URL("./fixtures/chat_v4.proto", import.meta.url));

Deno.test("rooms: old clients (chat.proto v4) take event frames as empty deliveries, ack them with 0, and go on receiving each message once", async () => {
  const definition = protoLoader.loadSync(V4_PROTO, {
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  // deno-lint-ignore no-explicit-any
  const v4 = grpc.loadPackageDefinition(definition) as any;
  await withRig(async (rig) => {
    const [alice, pete] = await Promise.all(["Alice", "Pete"].map((n) => rig.device(n)));
    const old = new v4.chat.Chat(`127.0.0.1:${rig.port}`, grpc.credentials.createInsecure());
    try {
      const olga: Device = await new Promise((resolve, reject) =>
        old.Register(
          { name: "Olga" },
          (e: grpc.ServiceError | null, r: { clientId: string; key: string }) =>
            e
              ? reject(e)
              : resolve({ clientId: r.clientId, key: r.key, handle: "olga", name: "Olga" }),
        )
      );
      // The old client's stream: it acks every frame's through_seq once it has taken it.
      const frames: {
        group: string;
        throughSeq: number;
        messages: { seq: number; text: string }[];
      }[] = [];
      const acks: string[] = [];
      const stream = old.Subscribe(auth(olga.clientId, olga.key));
      const status = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
      stream.on("error", () => {});
      const waiters = new Set<() => void>();
      stream.on("data", (d: (typeof frames)[number]) => {
        frames.push(d);
        stream.write({ ack: { group: d.group, seq: d.throughSeq } });
        acks.push(`${d.group}:${d.throughSeq}`);
        for (const w of waiters) w();
      });
      const until = (check: () => boolean, what: string) => eventually(check, what, 5_000);
      await new Promise((resolve) => {
        stream.once("metadata", resolve);
        stream.write({ open: { seen: [] } });
      });
      await rig.call(alice, "CreateRoom", { name: "lobby" });
      await rig.call(alice, "CreateRoom", { name: "secret", visibility: INVITE_ONLY });
      await sendAll(rig, alice, "lobby", ["one", "two"]);
      // Olga joins with a new client's call; her old stream starts carrying the room.
      await rig.call(olga, "JoinRoom", { room: "lobby" });
      await until(() => frames.some((f) => f.messages.some((m) => m.text === "two")), "history");
      // Events: Pete joins the room she is in, and Alice invites her to another.
      await rig.call(pete, "JoinRoom", { room: "lobby" });
      await rig.call(alice, "InviteToRoom", { room: "secret", handle: "olga" });
      await sendAll(rig, alice, "lobby", ["three"]);
      await send(rig.client, alice, "marker", "mk");
      await until(() => frames.some((f) => f.messages.some((m) => m.text === "marker")), "marker");
      const texts = frames.flatMap((f) => f.messages.map((m) => `${f.group}:${m.text}`));
      assert.deepEqual(texts, ["lobby:one", "lobby:two", "lobby:three", "general:marker"]);
      const empty = frames.filter((f) => f.messages.length === 0);
      assert.deepEqual(
        empty.map((f) => `${f.group}:${f.throughSeq}`),
        ["lobby:0", "secret:0"],
        "the two events, as empty frames",
      );
      assert.ok(acks.includes("lobby:0") && acks.includes("secret:0"));
      // Her acks of 0 ended nothing, and moved nothing back.
      const late = await Promise.race([status, Promise.resolve("open")]);
      assert.equal(late, "open");
      await sendAll(rig, alice, "lobby", ["four"]);
      await until(() => frames.some((f) => f.messages.some((m) => m.text === "four")), "four");
      await send(rig.client, alice, "marker 2", "mk2");
      await until(() => frames.some((f) => f.messages.some((m) => m.text === "marker 2")), "m2");
      assert.deepEqual(
        frames.flatMap((f) => f.messages.map((m) => `${f.group}:${m.seq}`)),
        ["lobby:1", "lobby:2", "lobby:3", "general:1", "lobby:4", "general:2"],
      );
      await eventually(
        async () => await rig.server.committer.cursorOf(olga.clientId, "lobby") === 4,
        "her cursor in lobby at 4",
      );
      stream.cancel();
    } finally {
      old.close();
    }
  });
});

Deno.test("rooms: bounds: 100 outstanding invites per room, 100 rooms per member, and a burst of room changes is limited", async () => {
  await withRig(async (rig) => {
    const [alice, bob] = await Promise.all(["Alice", "Bob"].map((n) => rig.device(n)));
    await rig.call(alice, "CreateRoom", { name: "club", visibility: INVITE_ONLY });
    await rig.call(alice, "InviteToRoom", { room: "club", handle: "bob" });
    const codes: string[] = [];
    for (let i = 1; i < MAX_INVITES_PER_ROOM; i++) {
      codes.push((await rig.call<{ code: string }>(alice, "InviteToRoom", { room: "club" })).code);
    }
    assert.equal(await rig.server.reader.roomCodes("club"), MAX_INVITES_PER_ROOM - 1);
    assertRefusal(
      await rig.refused(alice, "InviteToRoom", { room: "club" }),
      "RESOURCE_EXHAUSTED",
      /club has 100 invites outstanding, the most a room may have/,
      "the 101st invite",
    );
    // An invite used frees its place.
    await rig.call(bob, "JoinRoom", { room: "club" });
    await rig.call(alice, "InviteToRoom", { room: "club" });
    assertRefusal(
      await rig.refused(alice, "InviteToRoom", { room: "club" }),
      "RESOURCE_EXHAUSTED",
      /100 invites outstanding/,
      "full again",
    );

    for (let i = 1; i < MAX_ROOMS_PER_MEMBER; i++) {
      await rig.call(bob, "CreateRoom", { name: `b${i}` });
    }
    assert.equal(
      (await rig.server.reader.rooms()).filter((r) => r.members.some((m) => m.member === "bob"))
        .length,
      100,
    );
    await rig.call(alice, "CreateRoom", { name: "open-one" });
    for (
      const [what, method, request] of [
        ["create", "CreateRoom", { name: "b100" }],
        ["join", "JoinRoom", { room: "open-one" }],
      ] as const
    ) {
      assertRefusal(
        await rig.refused(bob, method, request),
        "RESOURCE_EXHAUSTED",
        /you are in 100 rooms, the most one may be in; leave one first/,
        what,
      );
    }
    await rig.call(bob, "LeaveRoom", { room: "b1" });
    await rig.call(bob, "JoinRoom", { room: "open-one" });
  }, { limits: "off", synchronous: "OFF" });

  // With the default limits, one member's burst of changes is cut short, with the wait.
  await withRig(async (rig) => {
    const alice = await rig.device("Alice");
    await rig.call(alice, "CreateRoom", { name: "busy" });
    let limited: grpc.ServiceError | undefined;
    let made = 1;
    for (let i = 0; i < 80 && !limited; i++) {
      try {
        await rig.call(alice, "InviteToRoom", { room: "busy" });
        made++;
      } catch (error) {
        limited = error as grpc.ServiceError;
      }
    }
    assert.ok(limited, "80 changes in a burst were all taken");
    assert.equal(limited.code, grpc.status.RESOURCE_EXHAUSTED, limited.details);
    assert.match(limited.details, /too many room changes/);
    assert.match(String(limited.metadata.get("retry-after-ms")[0]), /^\d+$/);
    assert.ok(made >= 60, `the burst of 60 was taken (${made})`);
    // Reads are not changes: they go on.
    await rig.call(alice, "ListRooms");
  }, { synchronous: "OFF" });
});
