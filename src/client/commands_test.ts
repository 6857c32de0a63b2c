import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type ChatMessage,
  HistoryVisibility,
  type Member,
  Role,
  type RoomInfo,
  Visibility,
} from "../protocol/proto.ts";
import { RefusedError } from "./calls.ts";
import {
  COMMAND_HELP,
  type CommandResult,
  CommandRunner,
  type CommandSession,
  type ParsedLine,
  parseLine,
} from "./commands.ts";

const NAME_PROBLEM = "a group name may have only letters, digits, '.', '_' and '-'";
const HANDLE_PROBLEM = "a handle may have only ASCII letters, digits, '.', '_' and '-'";

/** Each line with what it must parse to, exactly. */
const PARSED: [string, ParsedLine | undefined][] = [
  // Blank lines are nothing; anything not starting with / is a message, as typed.
  ["", undefined],
  ["   ", undefined],
  ["hello", { kind: "send", text: "hello" }],
  ["  hello there ", { kind: "send", text: "  hello there " }],
  ["a /join b", { kind: "send", text: "a /join b" }],
  // `//` sends a line that starts with `/`: one slash goes, the rest stays as typed.
  ["//shrug", { kind: "send", text: "/shrug" }],
  ["///", { kind: "send", text: "//" }],
  ["//join dev", { kind: "send", text: "/join dev" }],
  ["/create dev", {
    kind: "create",
    room: "dev",
    visibility: Visibility.OPEN,
    history: HistoryVisibility.HISTORY_ALL,
  }],
  ["/create dev invite", {
    kind: "create",
    room: "dev",
    visibility: Visibility.INVITE_ONLY,
    history: HistoryVisibility.HISTORY_ALL,
  }],
  ["/create dev since-join", {
    kind: "create",
    room: "dev",
    visibility: Visibility.OPEN,
    history: HistoryVisibility.HISTORY_SINCE_JOIN,
  }],
  ["/create dev since-join invite", {
    kind: "create",
    room: "dev",
    visibility: Visibility.INVITE_ONLY,
    history: HistoryVisibility.HISTORY_SINCE_JOIN,
  }],
  ["  /create   dev\tinvite  ", {
    kind: "create",
    room: "dev",
    visibility: Visibility.INVITE_ONLY,
    history: HistoryVisibility.HISTORY_ALL,
  }],
  ["/invite dev bob", { kind: "invite", room: "dev", handle: "bob" }],
  ["/invite dev @bob", { kind: "invite", room: "dev", handle: "bob" }],
  ["/invite dev", { kind: "invite", room: "dev", handle: "" }],
  ["/join dev", { kind: "join", room: "dev", code: "" }],
  ["/join dev ab3de-fgh45", { kind: "join", room: "dev", code: "ab3de-fgh45" }],
  ["/JOIN Dev", { kind: "join", room: "Dev", code: "" }],
  ["/leave dev", { kind: "leave", room: "dev" }],
  ["/kick dev @bob", { kind: "kick", room: "dev", handle: "bob" }],
  ["/op dev bob", { kind: "op", room: "dev", handle: "bob", role: Role.ADMIN }],
  ["/op dev @bob owner", { kind: "op", room: "dev", handle: "bob", role: Role.OWNER }],
  ["/deop dev bob", { kind: "deop", room: "dev", handle: "bob" }],
  ["/history", { kind: "history", count: 20 }],
  ["/history 1", { kind: "history", count: 1 }],
  ["/history 100", { kind: "history", count: 100 }],
  ["/who", { kind: "who" }],
  ["/who qa", { kind: "who", room: "qa" }],
  ["/rooms", { kind: "rooms" }],
  ["/to qa", { kind: "to", room: "qa" }],
  ["/link", { kind: "link" }],
  [" /link ", { kind: "link" }],
  ["/help", { kind: "help" }],
  ["/quit", { kind: "quit" }],
  // Unknown commands, named as typed.
  ["/", { kind: "unknown", name: "" }],
  ["/frobnicate now", { kind: "unknown", name: "frobnicate" }],
  ["/Me waves", { kind: "unknown", name: "Me" }],
];

/** `usage` without a problem: the number of arguments is wrong. */
function usage(command: string, syntax: string, problem?: string): ParsedLine {
  return problem === undefined
    ? { kind: "usage", command: command as never, usage: syntax }
    : { kind: "usage", command: command as never, usage: syntax, problem };
}

/** Each wrong use of each command, with the usage error it must give. */
const USAGE_ERRORS: [string, ParsedLine][] = [
  ["/create", usage("create", "/create ROOM [invite] [since-join]")],
  ["/create a invite since-join x", usage("create", "/create ROOM [invite] [since-join]")],
  [
    "/create dev public",
    usage(
      "create",
      "/create ROOM [invite] [since-join]",
      'option "public" is not invite or since-join',
    ),
  ],
  [
    "/create dev invite invite",
    usage("create", "/create ROOM [invite] [since-join]", 'option "invite" is given twice'),
  ],
  [
    "/create de/v",
    usage("create", "/create ROOM [invite] [since-join]", `room "de/v": ${NAME_PROBLEM}`),
  ],
  [
    `/create ${"r".repeat(65)}`,
    usage(
      "create",
      "/create ROOM [invite] [since-join]",
      `room "${"r".repeat(65)}": the group name is 65 characters long; the limit is 64`,
    ),
  ],
  ["/invite", usage("invite", "/invite ROOM [HANDLE]")],
  ["/invite dev bob carl", usage("invite", "/invite ROOM [HANDLE]")],
  ["/invite dev b*b", usage("invite", "/invite ROOM [HANDLE]", `handle "b*b": ${HANDLE_PROBLEM}`)],
  ["/invite dev @", usage("invite", "/invite ROOM [HANDLE]", 'handle "@": the handle is empty')],
  ["/join", usage("join", "/join ROOM [CODE]")],
  ["/join dev code extra", usage("join", "/join ROOM [CODE]")],
  ["/join #dev", usage("join", "/join ROOM [CODE]", `room "#dev": ${NAME_PROBLEM}`)],
  ["/leave", usage("leave", "/leave ROOM")],
  ["/leave dev qa", usage("leave", "/leave ROOM")],
  ["/leave dev!", usage("leave", "/leave ROOM", `room "dev!": ${NAME_PROBLEM}`)],
  ["/kick dev", usage("kick", "/kick ROOM HANDLE")],
  ["/kick dev bob carl", usage("kick", "/kick ROOM HANDLE")],
  ["/kick dev b:b", usage("kick", "/kick ROOM HANDLE", `handle "b:b": ${HANDLE_PROBLEM}`)],
  ["/op dev", usage("op", "/op ROOM HANDLE [owner]")],
  ["/op dev bob owner now", usage("op", "/op ROOM HANDLE [owner]")],
  ["/op dev bob admin", usage("op", "/op ROOM HANDLE [owner]", '"admin" is not owner')],
  ["/deop dev", usage("deop", "/deop ROOM HANDLE")],
  ["/deop dev bob member", usage("deop", "/deop ROOM HANDLE")],
  ["/history 20 30", usage("history", "/history [N]")],
  ["/history 0", usage("history", "/history [N]", '"0" is not a number from 1 to 100')],
  ["/history 101", usage("history", "/history [N]", '"101" is not a number from 1 to 100')],
  ["/history ten", usage("history", "/history [N]", '"ten" is not a number from 1 to 100')],
  ["/history -5", usage("history", "/history [N]", '"-5" is not a number from 1 to 100')],
  ["/history 2.5", usage("history", "/history [N]", '"2.5" is not a number from 1 to 100')],
  ["/who dev qa", usage("who", "/who [ROOM]")],
  ["/who d$v", usage("who", "/who [ROOM]", `room "d$v": ${NAME_PROBLEM}`)],
  ["/rooms all", usage("rooms", "/rooms")],
  ["/to", usage("to", "/to ROOM")],
  ["/to dev qa", usage("to", "/to ROOM")],
  ["/to a/b", usage("to", "/to ROOM", `room "a/b": ${NAME_PROBLEM}`)],
  ["/link now", usage("link", "/link")],
  ["/help me", usage("help", "/help")],
  ["/quit now", usage("quit", "/quit")],
];

Deno.test("commands: every command and message parses to exactly its command", () => {
  for (const [line, expected] of PARSED) {
    assert.deepEqual(parseLine(line), expected, JSON.stringify(line));
  }
});

Deno.test("commands: every wrong use of a command is a usage error naming what is wrong", () => {
  for (const [line, expected] of USAGE_ERRORS) {
    assert.deepEqual(parseLine(line), expected, JSON.stringify(line));
  }
  // Every command has its usage errors tested above.
  const named = new Set(USAGE_ERRORS.map(([, e]) => e.kind === "usage" && e.command));
  for (const { syntax } of COMMAND_HELP.slice(0, -1)) {
    assert.ok(named.has(syntax.slice(1).split(" ")[0] as never), syntax);
  }
});

const ROOM: RoomInfo = {
  name: "dev",
  visibility: Visibility.OPEN,
  history: HistoryVisibility.HISTORY_ALL,
  role: Role.OWNER,
  member: true,
  invited: false,
  members: 1,
  lastSeq: 0,
  unread: 0,
  operatorGroup: false,
};

const BOB: Member = { handle: "bob", role: Role.ADMIN, devicesOnline: 1, name: "", clientId: "" };

function message(seq: number): ChatMessage {
  return {
    seq,
    senderId: "7f3a0011",
    senderName: "Alice",
    senderHandle: "alice",
    text: `m${seq}`,
    sentAtMs: 0,
  };
}

/**
 * A stand-in session that records every call as `[method, ...arguments]` and answers what
 * the test queued for that method (a value, or an error to reject with); `settled` is
 * recorded as `["settled"]` and resolves at once.
 */
function fakeSession() {
  const calls: unknown[][] = [];
  const answers = new Map<string, unknown[]>();
  const answer = (method: string) => (...args: unknown[]) => {
    calls.push([method, ...args]);
    const next = answers.get(method)?.shift();
    if (next === undefined) throw new Error(`no answer queued for ${method}`);
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  const session = {
    send: answer("send"),
    settled: () => {
      calls.push(["settled"]);
      return Promise.resolve();
    },
    createRoom: answer("createRoom"),
    joinRoom: answer("joinRoom"),
    leaveRoom: answer("leaveRoom"),
    inviteToRoom: answer("inviteToRoom"),
    removeMember: answer("removeMember"),
    setRole: answer("setRole"),
    history: answer("history"),
    listRooms: answer("listRooms"),
    listMembers: answer("listMembers"),
    createLinkCode: answer("createLinkCode"),
  } as unknown as CommandSession;
  return {
    session,
    calls,
    /** Queues what `method`'s next call answers. */
    answer(method: keyof CommandSession, value: unknown) {
      answers.set(method, [...answers.get(method) ?? [], value]);
    },
  };
}

async function run(runner: CommandRunner, line: string): Promise<CommandResult> {
  const parsed = parseLine(line);
  assert.ok(parsed, line);
  return await runner.run(parsed);
}

Deno.test("commands: each command makes exactly its session call and answers with its result", async () => {
  const { session, calls, answer } = fakeSession();
  const runner = new CommandRunner(session, "general");
  const code = { code: "ab3de-fgh45", expiresAtMs: 1_700_000_000_000 };
  answer("send", { seq: 1, sentAtMs: 0, duplicate: false });
  answer("createRoom", ROOM);
  answer("inviteToRoom", { code: "", expiresAtMs: 0 });
  answer("inviteToRoom", code);
  answer("removeMember", BOB);
  answer("setRole", BOB);
  answer("setRole", { ...BOB, role: Role.OWNER });
  answer("setRole", { ...BOB, role: Role.MEMBER });
  answer("listMembers", [BOB]);
  answer("listMembers", []);
  answer("listRooms", [ROOM]);
  answer("leaveRoom", { deleted: false });
  answer("createLinkCode", code);
  const expected: [string, CommandResult][] = [
    ["hello", { kind: "sending", room: "general", text: "hello" }],
    ["/create Dev invite since-join", { kind: "created", room: ROOM }],
    ["/invite dev @bob", { kind: "invited", room: "dev", handle: "bob" }],
    ["/invite dev", { kind: "invite-code", room: "dev", ...code }],
    ["/kick dev bob", { kind: "removed", room: "dev", member: BOB }],
    ["/op dev bob", { kind: "role-set", room: "dev", member: BOB }],
    ["/op dev bob owner", { kind: "role-set", room: "dev", member: { ...BOB, role: Role.OWNER } }],
    ["/deop dev bob", { kind: "role-set", room: "dev", member: { ...BOB, role: Role.MEMBER } }],
    ["/who", { kind: "members", room: "dev", members: [BOB] }],
    ["/who qa", { kind: "members", room: "qa", members: [] }],
    ["/rooms", { kind: "room-list", rooms: [ROOM] }],
    ["/leave qa", { kind: "left", room: "qa", deleted: false, current: false }],
    ["/link", { kind: "link-code", ...code }],
    ["/help", { kind: "help-list", commands: COMMAND_HELP }],
    ["/quit", { kind: "quit" }],
  ];
  for (const [line, result] of expected) assert.deepEqual(await run(runner, line), result, line);
  // Each command that calls the server first waits for the lines typed before it.
  const settled = ["settled"];
  assert.deepEqual(calls, [
    ["send", "hello", "general"],
    settled,
    ["createRoom", "Dev", {
      visibility: Visibility.INVITE_ONLY,
      history: HistoryVisibility.HISTORY_SINCE_JOIN,
    }],
    settled,
    ["inviteToRoom", "dev", "bob"],
    settled,
    ["inviteToRoom", "dev", ""],
    settled,
    ["removeMember", "dev", "bob"],
    settled,
    ["setRole", "dev", "bob", Role.ADMIN],
    settled,
    ["setRole", "dev", "bob", Role.OWNER],
    settled,
    ["setRole", "dev", "bob", Role.MEMBER],
    settled,
    ["listMembers", "dev"],
    settled,
    ["listMembers", "qa"],
    settled,
    ["listRooms"],
    settled,
    ["leaveRoom", "qa"],
    settled,
    ["createLinkCode"],
  ]);
});

Deno.test("commands: /create, /join and /to change where lines go; /leave does not", async () => {
  const { session, calls, answer } = fakeSession();
  const runner = new CommandRunner(session, "general");
  for (let i = 0; i < 5; i++) answer("send", { seq: i + 1, sentAtMs: 0, duplicate: false });
  answer("createRoom", { ...ROOM, name: "dev" });
  // The server names the room: typed `Qa`, joined `qa`.
  answer("joinRoom", { ...ROOM, name: "qa", role: Role.MEMBER });
  answer("leaveRoom", { deleted: true });
  assert.equal(runner.room, "general");
  await run(runner, "one");
  await run(runner, "/create dev");
  await run(runner, "two");
  assert.deepEqual(await run(runner, "/join Qa ab3de-fgh45"), {
    kind: "joined",
    room: { ...ROOM, name: "qa", role: Role.MEMBER },
  });
  await run(runner, "three");
  assert.deepEqual(await run(runner, "/to dev"), { kind: "current", room: "dev" });
  await run(runner, "//four");
  assert.deepEqual(await run(runner, "/leave DEV"), {
    kind: "left",
    room: "DEV",
    deleted: true,
    current: true,
  });
  await run(runner, "five");
  assert.equal(runner.room, "dev");
  // Lines are queued at once; each room command waits for those before it; /to does not.
  assert.deepEqual(calls, [
    ["send", "one", "general"],
    ["settled"],
    ["createRoom", "dev", { visibility: Visibility.OPEN, history: HistoryVisibility.HISTORY_ALL }],
    ["send", "two", "dev"],
    ["settled"],
    ["joinRoom", "Qa", "ab3de-fgh45"],
    ["send", "three", "qa"],
    ["send", "/four", "dev"],
    ["settled"],
    ["leaveRoom", "DEV"],
    ["send", "five", "dev"],
  ]);
});

Deno.test("commands: /history pages back through the current room, oldest first", async () => {
  const { session, calls, answer } = fakeSession();
  const runner = new CommandRunner(session, "dev");
  const page = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
  answer("history", { messages: page(31, 50), more: true });
  answer("history", { messages: page(21, 30), more: true });
  answer("history", { messages: page(1, 20), more: false });
  answer("history", { messages: [], more: false });
  answer("history", { messages: page(3, 4), more: true });
  answer("joinRoom", ROOM);
  answer("history", { messages: page(49, 50), more: true });
  assert.deepEqual(await run(runner, "/history"), {
    kind: "history-page",
    room: "dev",
    messages: page(31, 50),
    more: true,
  });
  assert.deepEqual(await run(runner, "/history 10"), {
    kind: "history-page",
    room: "dev",
    messages: page(21, 30),
    more: true,
  });
  assert.deepEqual(await run(runner, "/history 100"), {
    kind: "history-page",
    room: "dev",
    messages: page(1, 20),
    more: false,
  });
  assert.deepEqual(await run(runner, "/history"), {
    kind: "history-page",
    room: "dev",
    messages: [],
    more: false,
  });
  // Each room has its own place; joining a room (again) starts its history afresh.
  await run(runner, "/to qa");
  await run(runner, "/history 2");
  await run(runner, "/join dev");
  await run(runner, "/history 2");
  assert.deepEqual(calls.filter(([method]) => method !== "settled"), [
    ["history", "dev", 0, 20],
    ["history", "dev", 31, 10],
    ["history", "dev", 21, 100],
    ["history", "dev", 1, 20],
    ["history", "qa", 0, 2],
    ["joinRoom", "dev", ""],
    ["history", "dev", 0, 2],
  ]);
});

Deno.test("commands: a refusal, a server away and any other failure are results, not rejections", async () => {
  const { session, calls, answer } = fakeSession();
  const runner = new CommandRunner(session, "general");
  const grpcError = (code: grpc.status, details: string) =>
    Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details });
  answer("joinRoom", new RefusedError(grpc.status.PERMISSION_DENIED, "dev is invite only"));
  answer(
    "joinRoom",
    grpcError(
      grpc.status.UNAVAILABLE,
      "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051",
    ),
  );
  answer("joinRoom", grpcError(grpc.status.DEADLINE_EXCEEDED, "Deadline exceeded"));
  answer(
    "createRoom",
    grpcError(grpc.status.RESOURCE_EXHAUSTED, "you own 20 rooms; the limit is 20"),
  );
  answer("listRooms", grpcError(grpc.status.INTERNAL, "the database writer stopped"));
  answer("leaveRoom", new Error("the session is closed"));
  const join = { kind: "join", room: "dev", code: "" } as const;
  assert.deepEqual(await run(runner, "/join dev"), {
    kind: "refused",
    command: join,
    code: grpc.status.PERMISSION_DENIED,
    details: "dev is invite only",
  });
  assert.deepEqual(await run(runner, "/join dev"), {
    kind: "unreachable",
    command: join,
    details: "connection refused",
  });
  assert.deepEqual(await run(runner, "/join dev"), {
    kind: "unreachable",
    command: join,
    details: "Deadline exceeded",
  });
  assert.deepEqual(await run(runner, "/create dev"), {
    kind: "refused",
    command: {
      kind: "create",
      room: "dev",
      visibility: Visibility.OPEN,
      history: HistoryVisibility.HISTORY_ALL,
    },
    code: grpc.status.RESOURCE_EXHAUSTED,
    details: "you own 20 rooms; the limit is 20",
  });
  assert.deepEqual(await run(runner, "/rooms"), {
    kind: "failed",
    command: { kind: "rooms" },
    details: "the database writer stopped",
  });
  assert.deepEqual(await run(runner, "/leave dev"), {
    kind: "failed",
    command: { kind: "leave", room: "dev" },
    details: "the session is closed",
  });
  // Nothing failed changed the current room, and nothing was retried.
  assert.equal(runner.room, "general");
  assert.equal(calls.filter(([method]) => method !== "settled").length, 6);
});

Deno.test("commands: usage errors and unknown commands are answered as they are, with no call", async () => {
  const { session, calls } = fakeSession();
  const runner = new CommandRunner(session, "general");
  assert.deepEqual(await run(runner, "/kick dev"), usage("kick", "/kick ROOM HANDLE"));
  assert.deepEqual(await run(runner, "/nope"), { kind: "unknown", name: "nope" });
  assert.deepEqual(calls, []);
});

Deno.test("commands: a command that calls the server waits for the lines before it, and only such a one", async () => {
  /** Each call in order; `settled` resolves only when the test says. */
  const calls: string[] = [];
  let settle = () => {};
  const session = {
    send: (text: string) => {
      calls.push(`send ${text}`);
      return new Promise(() => {});
    },
    settled: () => {
      calls.push("settled");
      return new Promise<void>((resolve) => settle = resolve);
    },
    listRooms: () => {
      calls.push("listRooms");
      return Promise.resolve([]);
    },
  } as unknown as CommandSession;
  const runner = new CommandRunner(session, "general");
  // Sends, /to, /help and /quit are answered without waiting.
  for (const line of ["one", "/to dev", "/help", "/quit", "two"]) await run(runner, line);
  assert.deepEqual(calls, ["send one", "send two"]);
  // /rooms waits: no call until the session has settled (not even once all else has run).
  const rooms = run(runner, "/rooms");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, ["send one", "send two", "settled"]);
  settle();
  assert.deepEqual(await rooms, { kind: "room-list", rooms: [] });
  assert.deepEqual(calls, ["send one", "send two", "settled", "listRooms"]);
});
