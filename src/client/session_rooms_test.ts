/**
 * The session's room calls and the receiver's room events, against a fake in-process
 * server whose handlers answer exactly what each test needs.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type ChatHandlers,
  CLIENT_ID_HEADER,
  CLIENT_KEY_HEADER,
  HistoryVisibility,
  Role,
  RoomEventKind,
  Visibility,
} from "../protocol/proto.ts";
import { RefusedError } from "./calls.ts";
import { type CommandResult, CommandRunner, parseLine } from "./commands.ts";
import type { ClientEvent, MemberRole, RoomEventEvent } from "./events.ts";
import type { IdentityState } from "./identity.ts";
import { IdentityStore } from "./identity_store.ts";
import { ChatSession } from "./session.ts";
import { fakeHandlers, startFake, until } from "./testing.ts";

const ME = "ab".repeat(16);
const KEY = "the key";
const CALL_TIMEOUT_MS = 3_000;

interface Started {
  s: ChatSession;
  events: ClientEvent[];
  /** Every state the receiver saved, as it was then. */
  saved: IdentityState[];
  identity: IdentityStore;
  address: string;
}

async function start(
  port: number,
  stateDir: string,
  name: string,
  callTimeoutMs = CALL_TIMEOUT_MS,
): Promise<Started> {
  const events: ClientEvent[] = [];
  const saved: IdentityState[] = [];
  const address = `127.0.0.1:${port}`;
  const identity = await IdentityStore.open(stateDir, address, name);
  const save = identity.save.bind(identity);
  identity.save = (state) => {
    saved.push(structuredClone(state));
    save(state);
  };
  const s = new ChatSession({
    name,
    address,
    identity,
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 20, maxMs: 200 },
    callTimeoutMs,
  });
  await s.start();
  return { s, events, saved, identity, address };
}

/** A Register that makes (or resumes) client ME, of account `handle` ("" for a guest). */
function register(handle: string, groups: string[] = []): ChatHandlers["Register"] {
  return (call, cb) =>
    cb(null, {
      clientId: ME,
      key: KEY,
      resumed: call.request.clientId === ME,
      handle,
      name: "Alice",
      groups: groups.map((name) => ({ name, member: true, lastSeq: 9, cursor: 0, unread: 0 })),
    });
}

const member = (handle: string, role: MemberRole = Role.MEMBER, clientId = "", name = "") => ({
  handle,
  role,
  devicesOnline: 0,
  name,
  clientId,
});

const message = (seq: number, text = `m${seq}`) => ({
  seq,
  senderId: "cd".repeat(16),
  senderName: "Eve",
  senderHandle: "eve",
  text,
  sentAtMs: 0,
});

Deno.test("session: each room call is made as this client, with a deadline, and resolves with the reply", async () => {
  const seen: unknown[][] = [];
  /** A handler that records its request and answers `reply`. */
  const answer =
    <R>(method: string, reply: R) =>
    (call: grpc.ServerUnaryCall<unknown, R>, cb: grpc.sendUnaryData<R>) => {
      const left = Number(call.getDeadline()) - Date.now();
      seen.push([
        method,
        call.request,
        call.metadata.get(CLIENT_ID_HEADER)[0],
        call.metadata.get(CLIENT_KEY_HEADER)[0],
        left > 0 && left <= CALL_TIMEOUT_MS,
      ]);
      cb(null, reply);
    };
  const room = {
    name: "dev",
    visibility: Visibility.INVITE_ONLY,
    history: HistoryVisibility.HISTORY_SINCE_JOIN,
    role: Role.OWNER,
    member: true,
    invited: false,
    members: 1,
    lastSeq: 0,
    unread: 0,
    operatorGroup: false,
  };
  const bob = { handle: "bob", role: Role.ADMIN, devicesOnline: 2, name: "", clientId: "" };
  const { fake, port } = await startFake(fakeHandlers({
    Register: register("alice"),
    CreateLinkCode: answer("CreateLinkCode", { code: "link-1", expiresAtMs: 1_000 }),
    CreateRoom: answer("CreateRoom", { room }),
    JoinRoom: answer("JoinRoom", { room: { ...room, role: Role.MEMBER } }),
    LeaveRoom: answer("LeaveRoom", { deleted: true }),
    InviteToRoom: answer("InviteToRoom", { code: "room-1", expiresAtMs: 2_000 }),
    RemoveMember: answer("RemoveMember", { member: { ...bob, role: Role.ROLE_UNSPECIFIED } }),
    SetRole: answer("SetRole", { member: bob }),
    History: answer("History", { messages: [message(7), message(8)], more: true }),
    ListRooms: answer("ListRooms", { rooms: [room] }),
    ListMembers: answer("ListMembers", { members: [bob] }),
  }));
  const a = await start(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Alice");
  const { s } = a;
  assert.deepEqual(await s.createLinkCode(), { code: "link-1", expiresAtMs: 1_000 });
  assert.deepEqual(
    await s.createRoom("dev", {
      visibility: Visibility.INVITE_ONLY,
      history: HistoryVisibility.HISTORY_SINCE_JOIN,
    }),
    room,
  );
  assert.deepEqual(await s.joinRoom("dev", "room-1"), { ...room, role: Role.MEMBER });
  assert.deepEqual(await s.leaveRoom("dev"), { deleted: true });
  assert.deepEqual(await s.inviteToRoom("dev"), { code: "room-1", expiresAtMs: 2_000 });
  assert.deepEqual(await s.removeMember("dev", "bob"), { ...bob, role: Role.ROLE_UNSPECIFIED });
  assert.deepEqual(await s.setRole("dev", "bob", Role.ADMIN), bob);
  assert.deepEqual(await s.history("dev", 9, 2), {
    messages: [message(7), message(8)],
    more: true,
  });
  assert.deepEqual(await s.listRooms(), [room]);
  assert.deepEqual(await s.listMembers("dev"), [bob]);
  // Defaults: an open room with all of its history; the newest page of 20.
  await s.createRoom("qa");
  await s.history("qa");
  await s.inviteToRoom("qa", "carl");
  const as = (method: string, request: unknown) => [method, request, ME, KEY, true];
  assert.deepEqual(seen, [
    as("CreateLinkCode", {}),
    as("CreateRoom", {
      name: "dev",
      visibility: Visibility.INVITE_ONLY,
      history: HistoryVisibility.HISTORY_SINCE_JOIN,
    }),
    as("JoinRoom", { room: "dev", code: "room-1" }),
    as("LeaveRoom", { room: "dev" }),
    as("InviteToRoom", { room: "dev", handle: "" }),
    as("RemoveMember", { room: "dev", handle: "bob" }),
    as("SetRole", { room: "dev", handle: "bob", role: Role.ADMIN }),
    as("History", { room: "dev", beforeSeq: 9, limit: 2 }),
    as("ListRooms", {}),
    as("ListMembers", { room: "dev" }),
    as("CreateRoom", {
      name: "qa",
      visibility: Visibility.OPEN,
      history: HistoryVisibility.HISTORY_ALL,
    }),
    as("History", { room: "qa", beforeSeq: 0, limit: 20 }),
    as("InviteToRoom", { room: "qa", handle: "carl" }),
  ]);
  await s.close(0);
  fake.forceShutdown();
});

Deno.test("session: a refused room call rejects with RefusedError, a transient failure with the gRPC error", async () => {
  const refuse =
    (code: grpc.status, details: string) => (_call: unknown, cb: grpc.sendUnaryData<never>) =>
      cb({ code, details });
  const { fake, port } = await startFake(fakeHandlers({
    Register: register(""),
    CreateLinkCode: refuse(grpc.status.PERMISSION_DENIED, "a guest has no account to link"),
    JoinRoom: refuse(grpc.status.PERMISSION_DENIED, "dev is invite only; you are not invited"),
    CreateRoom: refuse(grpc.status.ALREADY_EXISTS, "the room dev exists"),
    SetRole: refuse(grpc.status.FAILED_PRECONDITION, "dev would have no owner"),
    LeaveRoom: refuse(grpc.status.UNAVAILABLE, "the server is shutting down"),
    ListRooms: refuse(grpc.status.RESOURCE_EXHAUSTED, "slow down; try again in 1 s"),
  }));
  const a = await start(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Gus");
  const { s } = a;
  const refused = (code: grpc.status, details: string) => (e: unknown) => {
    assert.ok(e instanceof RefusedError, String(e));
    assert.deepEqual([e.code, e.message], [code, details]);
    return true;
  };
  const transient = (code: grpc.status, details: string) => (e: unknown) => {
    assert.ok(!(e instanceof RefusedError), String(e));
    const error = e as grpc.ServiceError;
    assert.deepEqual([error.code, error.details], [code, details]);
    return true;
  };
  await assert.rejects(
    s.createLinkCode(),
    refused(grpc.status.PERMISSION_DENIED, "a guest has no account to link"),
  );
  await assert.rejects(
    s.joinRoom("dev"),
    refused(grpc.status.PERMISSION_DENIED, "dev is invite only; you are not invited"),
  );
  await assert.rejects(
    s.createRoom("dev"),
    refused(grpc.status.ALREADY_EXISTS, "the room dev exists"),
  );
  await assert.rejects(
    s.setRole("dev", "bob", Role.MEMBER),
    refused(grpc.status.FAILED_PRECONDITION, "dev would have no owner"),
  );
  await assert.rejects(
    s.leaveRoom("dev"),
    transient(grpc.status.UNAVAILABLE, "the server is shutting down"),
  );
  await assert.rejects(
    s.listRooms(),
    transient(grpc.status.RESOURCE_EXHAUSTED, "slow down; try again in 1 s"),
  );
  // Not implemented by this server: a refusal, as for any status not worth retrying.
  await assert.rejects(
    s.listMembers("dev"),
    refused(grpc.status.UNIMPLEMENTED, "not in this fake"),
  );
  await s.close(0);
  fake.forceShutdown();
});

/**
 * A Subscribe that writes `frames` once the client opens, records every ack as
 * `group:seq`, and gives the open frame to `onOpen`.
 */
function subscribe(
  frames: object[],
  acks: string[],
  onOpen: (seen: { group: string; seq: number }[]) => void = () => {},
): ChatHandlers["Subscribe"] {
  return (call) => {
    call.once("data", (open) => {
      onOpen(open.open?.seen.map((a: { group: string; seq: number }) => ({ ...a })) ?? []);
      call.sendMetadata(new grpc.Metadata());
      for (const frame of frames) call.write(frame);
      call.on("data", (frame) => acks.push(`${frame.ack?.group}:${frame.ack?.seq}`));
    });
    call.on("end", () => call.end());
  };
}

const events = (group: string, ...list: object[]) => ({ group, throughSeq: 0, events: list });

Deno.test("receiver: room events are reported, neither saved nor acked; leaving or losing a room forgets it", async () => {
  const acks: string[] = [];
  const frames = [
    { group: "dev", throughSeq: 2, messages: [message(1), message(2)] },
    { group: "qa", throughSeq: 1, messages: [message(1)] },
    { group: "general", throughSeq: 1, messages: [message(1)] },
    events(
      "dev",
      { kind: RoomEventKind.JOINED, member: member("bob"), by: "" },
      { kind: RoomEventKind.ROLE_CHANGED, member: member("bob", Role.ADMIN), by: "alice" },
      { kind: RoomEventKind.LEFT, member: member("carl", Role.ROLE_UNSPECIFIED), by: "" },
    ),
    // About this account (whatever the case of its handle): it is out of dev.
    events("dev", {
      kind: RoomEventKind.REMOVED,
      member: member("Alice", Role.ROLE_UNSPECIFIED),
      by: "bob",
    }),
    events("qa", { kind: RoomEventKind.DELETED, member: null, by: "" }),
    events("ops", { kind: RoomEventKind.INVITED, member: member("alice", 0), by: "bob" }),
    // A room made again under the same name starts at 1: not a duplicate.
    { group: "dev", throughSeq: 1, messages: [message(1, "a new dev")] },
    { group: "general", throughSeq: 2, messages: [message(2)] },
  ];
  const { fake, port } = await startFake(fakeHandlers({
    Register: register("alice", ["general", "dev", "qa"]),
    Subscribe: subscribe(frames, acks),
  }));
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const a = await start(port, dir, "Alice");
  await until(() => acks.includes("general:2"), "the ack of general's last message");
  const roomEvents = a.events.filter((e): e is RoomEventEvent => e.type === "room-event");
  const about = (handle: string, role: number) => ({ handle, role, name: "", clientId: "" });
  assert.deepEqual(roomEvents, [
    {
      type: "room-event",
      group: "dev",
      event: { kind: RoomEventKind.JOINED, member: about("bob", Role.MEMBER), by: "" },
      self: false,
    },
    {
      type: "room-event",
      group: "dev",
      event: { kind: RoomEventKind.ROLE_CHANGED, member: about("bob", Role.ADMIN), by: "alice" },
      self: false,
    },
    {
      type: "room-event",
      group: "dev",
      event: { kind: RoomEventKind.LEFT, member: about("carl", 0), by: "" },
      self: false,
    },
    {
      type: "room-event",
      group: "dev",
      event: { kind: RoomEventKind.REMOVED, member: about("Alice", 0), by: "bob" },
      self: true,
    },
    {
      type: "room-event",
      group: "qa",
      event: { kind: RoomEventKind.DELETED, member: about("", 0), by: "" },
      self: false,
    },
    {
      type: "room-event",
      group: "ops",
      event: { kind: RoomEventKind.INVITED, member: about("alice", 0), by: "bob" },
      self: true,
    },
  ]);
  assert.deepEqual(
    a.events.flatMap((e) => e.type === "message" ? [`${e.message.group}:${e.message.text}`] : []),
    ["dev:m1", "dev:m2", "qa:m1", "general:m1", "dev:a new dev", "general:m2"],
  );
  assert.equal(a.s.duplicatesDropped, 0);
  // One save per message frame, one per room forgotten; none for the other events.
  assert.deepEqual(a.saved.map((state) => state.seen), [
    { dev: 2 },
    { dev: 2, qa: 1 },
    { dev: 2, qa: 1, general: 1 },
    { qa: 1, general: 1 },
    { general: 1 },
    { general: 1, dev: 1 },
    { general: 2, dev: 1 },
  ]);
  // Acks are only for messages: nothing for an events frame (through_seq 0).
  assert.ok(
    acks.every((ack) => ["dev:2", "qa:1", "general:1", "dev:1", "general:2"].includes(ack)),
    acks.join(),
  );
  assert.ok(acks.includes("dev:1") && acks.includes("qa:1"), acks.join());
  await a.s.close(0);
  assert.deepEqual((await IdentityStore.peek(dir, a.address, "Alice"))?.seen, {
    general: 2,
    dev: 1,
  });
  fake.forceShutdown();
});

Deno.test("receiver: a guest is told apart by its client id, not by a name", async () => {
  const acks: string[] = [];
  const other = "cd".repeat(16);
  const frames = [
    { group: "lobby", throughSeq: 3, messages: [message(3)] },
    { group: "hall", throughSeq: 4, messages: [message(4)] },
    events(
      "lobby",
      { kind: RoomEventKind.JOINED, member: member("", Role.MEMBER, other, "Gus"), by: "" },
      // An account's event never matches a guest, even with the guest's name as handle.
      { kind: RoomEventKind.REMOVED, member: member("gus", 0, ME, "Gus"), by: "alice" },
      { kind: RoomEventKind.REMOVED, member: member("", 0, other, "Gus"), by: "alice" },
    ),
    events("hall", { kind: RoomEventKind.LEFT, member: member("", 0, ME, "Gus"), by: "" }),
    { group: "lobby", throughSeq: 5, messages: [message(5)] },
  ];
  const { fake, port } = await startFake(fakeHandlers({
    Register: register("", ["lobby", "hall"]),
    Subscribe: subscribe(frames, acks),
  }));
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const a = await start(port, dir, "Gus");
  await until(() => acks.includes("lobby:5"), "the ack of lobby's last message");
  assert.deepEqual(
    a.events.flatMap((e) => e.type === "room-event" ? [[e.group, e.event.kind, e.self]] : []),
    [
      ["lobby", RoomEventKind.JOINED, false],
      ["lobby", RoomEventKind.REMOVED, false],
      ["lobby", RoomEventKind.REMOVED, false],
      ["hall", RoomEventKind.LEFT, true],
    ],
  );
  assert.deepEqual(a.saved.at(-1)?.seen, { lobby: 5 });
  await a.s.close(0);
  fake.forceShutdown();
});

Deno.test("session: a resume forgets what was read of groups the server no longer lists", async () => {
  const acks: string[] = [];
  const opens: { group: string; seq: number }[][] = [];
  let registrations = 0;
  const frames = [
    { group: "general", throughSeq: 1, messages: [message(1)] },
    { group: "dev", throughSeq: 2, messages: [message(1), message(2)] },
  ];
  const { fake, port } = await startFake(fakeHandlers({
    // First dev is listed; at the resume it is not (this client was removed meanwhile).
    Register: (call, cb) =>
      register("alice", ++registrations === 1 ? ["general", "dev"] : ["general"])(call, cb),
    Subscribe: subscribe(frames, acks, (seen) => opens.push(seen)),
  }));
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const first = await start(port, dir, "Alice");
  await until(() => acks.includes("general:1") && acks.includes("dev:2"), "both acks");
  await first.s.close(0);
  frames.length = 0;
  const again = await start(port, dir, "Alice");
  await until(() => opens.length === 2, "the second open");
  assert.equal(again.s.clientId, ME);
  assert.deepEqual(opens, [[], [{ group: "general", seq: 1 }]]);
  await again.s.close(0);
  assert.deepEqual((await IdentityStore.peek(dir, again.address, "Alice"))?.seen, { general: 1 });
  fake.forceShutdown();
});

Deno.test("session: leaving a room forgets what was read of it, so a new room of its name starts at 1", async () => {
  const acks: string[] = [];
  const frames = [
    { group: "dev", throughSeq: 2, messages: [message(1), message(2)] },
    { group: "general", throughSeq: 1, messages: [message(1)] },
  ];
  const { fake, port } = await startFake(fakeHandlers({
    Register: register("alice", ["general", "dev"]),
    Subscribe: subscribe(frames, acks),
    LeaveRoom: (_call, cb) => cb(null, { deleted: true }),
  }));
  const dir = await Deno.makeTempDir({ prefix: "chat-client-" });
  const a = await start(port, dir, "Alice");
  await until(() => acks.includes("dev:2") && acks.includes("general:1"), "both acks");
  const saves = a.saved.length;
  // Typed in capitals: the server finds the room lower-cased, and so does the client.
  assert.deepEqual(await a.s.leaveRoom("Dev"), { deleted: true });
  assert.deepEqual(a.saved.slice(saves).map((state) => state.seen), [{ general: 1 }]);
  // Leaving a room never read saves nothing.
  assert.deepEqual(await a.s.leaveRoom("qa"), { deleted: true });
  assert.equal(a.saved.length, saves + 1);
  await a.s.close(0);
  fake.forceShutdown();
});

/** Runs each of `lines` as `client.ts` does, one at a time; says how each went. */
async function type(runner: CommandRunner, lines: string[]): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const line of lines) {
    const parsed = parseLine(line);
    assert.ok(parsed, line);
    results.push(await runner.run(parsed));
  }
  return results;
}

Deno.test("commands: lines typed before a room command reach the server before it, a refused one too", async () => {
  /** Each call as the fake server got it, in order. */
  const order: string[] = [];
  const { fake, port } = await startFake(fakeHandlers({
    Register: register("bob", ["general", "dev"]),
    // Each Send is answered a while after it came (one is refused): long enough that a
    // command not waiting for them reaches the server first.
    Send: (call, cb) => {
      const { text } = call.request;
      order.push(`Send ${text}`);
      setTimeout(() => {
        if (text === "two") {
          cb({ code: grpc.status.PERMISSION_DENIED, details: "a refused line" });
        } else {
          cb(null, { seq: order.length, sentAtMs: 0, duplicate: false });
        }
      }, 100);
    },
    LeaveRoom: (call, cb) => {
      order.push(`LeaveRoom ${call.request.room}`);
      cb(null, { deleted: false });
    },
  }));
  const a = await start(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Bob");
  const runner = new CommandRunner(a.s, "dev");
  const started = performance.now();
  const results = await type(runner, ["one", "two", "three", "/leave dev"]);
  const tookMs = performance.now() - started;
  assert.deepEqual(results.map((result) => result.kind), ["sending", "sending", "sending", "left"]);
  await until(() => order.includes("Send three"), "the third line's Send");
  assert.deepEqual(order, ["Send one", "Send two", "Send three", "LeaveRoom dev"]);
  // The refusal of "two" held nothing up: /leave went once "three" was answered, not at the
  // end of the wait's bound (the call timeout).
  assert.ok(tookMs < CALL_TIMEOUT_MS, `the lines and /leave took ${tookMs} ms`);
  assert.deepEqual(
    a.events.flatMap((e) => e.type === "refused" ? [[e.group, e.text, e.details]] : []),
    [["dev", "two", "a refused line"]],
  );
  // A line typed after the command goes after it, at once.
  assert.deepEqual(await type(runner, ["four"]), [{ kind: "sending", room: "dev", text: "four" }]);
  await until(() => order.includes("Send four"), "the last line's Send");
  assert.deepEqual(order.slice(4), ["Send four"]);
  await a.s.close(1_000);
  fake.forceShutdown();
});

Deno.test("commands: a line the server does not answer holds a room command up for the call timeout at most", async () => {
  const timeoutMs = 300;
  const sends: string[] = [];
  const { fake, port } = await startFake(fakeHandlers({
    Register: register("bob", ["general"]),
    // Never answered: each try ends at its deadline, and the outbox retries it.
    Send: (call) => void sends.push(call.request.text),
    ListMembers: (_call, cb) => cb(null, { members: [member("bob")] }),
  }));
  const a = await start(port, await Deno.makeTempDir({ prefix: "chat-client-" }), "Bob", timeoutMs);
  const runner = new CommandRunner(a.s, "general");
  /**
   * Runs `line`; says how it went and how long it took.
   * @throws {Error} (as a rejection) if it takes longer than `boundMs`: the command hangs.
   */
  const timed = async (line: string, boundMs: number) => {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`${line} still runs after ${boundMs} ms`)), boundMs)
    );
    try {
      const [result] = await Promise.race([type(runner, [line]), hung]);
      return { result, tookMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  };
  await type(runner, ["hello"]);
  await until(() => sends.length > 0, "the first Send");
  // It waits for the line (up to the bound), then goes on: no longer than a call or two more.
  const who = await timed("/who", timeoutMs + 2_000);
  assert.deepEqual(who.result, { kind: "members", room: "general", members: [member("bob")] });
  assert.equal(a.s.unsent, 1, "the line is still unanswered");
  assert.ok(who.tookMs >= timeoutMs - 5, `/who took ${who.tookMs} ms`);
  // The server gone: the command still comes back, saying so, once the wait is over.
  fake.forceShutdown();
  const rooms = await timed("/rooms", timeoutMs * 2 + 2_000);
  assert.equal(rooms.result.kind, "unreachable", JSON.stringify(rooms.result));
  const report = await a.s.close(0);
  assert.equal(report.unsent + report.inDoubt, 1);
});
