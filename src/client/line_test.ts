import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { ClientEvent, MemberRole, RoomEventEvent, RoomEventKindValue } from "./events.ts";
import { RefusedError } from "./calls.ts";
import { type Command, COMMAND_HELP, type CommandResult } from "./commands.ts";
import {
  type Line,
  renderCloseReport,
  renderEvent,
  renderResult,
  renderStartFailure,
  renderStateDirFailure,
} from "./line.ts";
import {
  HistoryVisibility,
  type Member,
  Role,
  RoomEventKind,
  type RoomInfo,
  Visibility,
} from "../protocol/proto.ts";

const group = (
  name: string,
  member: boolean,
  unread: number,
  role: MemberRole = Role.ROLE_UNSPECIFIED,
) => ({
  name,
  member,
  unread,
  lastSeq: 9,
  cursor: 0,
  role,
});

const out = (text: string): Line => ({ stream: "stdout", text });

/** An account member (`@handle`) or, with no handle, a guest device. */
const member = (handle: string, role: MemberRole = Role.MEMBER, devicesOnline = 1): Member => ({
  handle,
  role,
  devicesOnline,
  name: handle ? "" : "Gus",
  clientId: handle ? "" : "c0de11aa",
});

const roomEvent = (
  kind: RoomEventKindValue,
  who: Member,
  by: string,
  self = false,
  group = "dev",
): RoomEventEvent => ({
  type: "room-event",
  group,
  event: {
    kind,
    member: { handle: who.handle, role: who.role, name: who.name, clientId: who.clientId },
    by,
  },
  self,
});

const room = (overrides: Partial<RoomInfo>): RoomInfo => ({
  name: "dev",
  visibility: Visibility.OPEN,
  history: HistoryVisibility.HISTORY_ALL,
  role: Role.ROLE_UNSPECIFIED,
  member: false,
  invited: false,
  members: 0,
  lastSeq: 0,
  unread: 0,
  operatorGroup: false,
  ...overrides,
});

const err = (text: string): Line => ({ stream: "stderr", text });

/**
 * Every event type with the lines it must render to, byte for byte. Keyed by
 * type, so a new event without a case here fails the type check.
 */
const CASES: { [T in ClientEvent["type"]]: [Extract<ClientEvent, { type: T }>, Line][] } = {
  "ended": [[
    { type: "ended", code: 16, details: "the token was refused: the token has expired" },
    err("* the server refused this client: the token was refused: the token has expired"),
  ]],
  "message": [[
    {
      type: "message",
      message: {
        group: "general",
        seq: 1,
        senderId: "a4fa0c2e",
        senderName: "Bob",
        senderHandle: "bob",
        text: "Hi everyone, Bob here",
        sentAtMs: 0,
      },
    },
    { stream: "stdout", text: "[general] @bob Bob#a4fa: Hi everyone, Bob here" },
  ], [
    {
      type: "message",
      message: {
        group: "general",
        seq: 2,
        senderId: "c0de11",
        senderName: "bob",
        senderHandle: "",
        text: "I am bob too",
        sentAtMs: 0,
      },
    },
    { stream: "stdout", text: "[general] ~bob#c0de: I am bob too" },
  ]],
  "connected": [
    [
      {
        type: "connected",
        address: "127.0.0.1:50051",
        displayName: "@alice Alice#67f6",
        resumed: false,
        groups: [group("general", true, 0)],
        handle: "alice",
        guestReason: "",
      },
      err(
        "* connected to 127.0.0.1:50051 as @alice Alice#67f6 (new identity); 0 unread messages in general",
      ),
    ],
    [
      {
        type: "connected",
        address: "localhost:50051",
        displayName: "@bob Bob#a4fa",
        resumed: true,
        groups: [group("general", true, 1), group("ops", true, 2)],
        handle: "bob",
        guestReason: "",
      },
      err(
        "* connected to localhost:50051 as @bob Bob#a4fa (resumed); 1 unread message in general; " +
          "2 unread messages in ops",
      ),
    ],
    [
      {
        type: "connected",
        address: "127.0.0.1:50051",
        displayName: "@alice Alice#67f6",
        resumed: true,
        groups: [
          group("general", true, 0),
          group("dev", true, 1, Role.OWNER),
          group("qa", true, 2, Role.ADMIN),
          group("ux", true, 0, Role.MEMBER),
        ],
        handle: "alice",
        guestReason: "",
      },
      err(
        "* connected to 127.0.0.1:50051 as @alice Alice#67f6 (resumed); 0 unread messages in " +
          "general; 1 unread message in dev (owner); 2 unread messages in qa (admin); " +
          "0 unread messages in ux (member)",
      ),
    ],
    [
      {
        type: "connected",
        address: "127.0.0.1:50051",
        displayName: "~alice#ac64",
        resumed: false,
        groups: [group("general", false, 0)],
        handle: "",
        guestReason: "the handle alice belongs to another device",
      },
      err(
        "* connected to 127.0.0.1:50051 as ~alice#ac64 (new identity); not a member of general " +
          "(you will receive nothing from it and cannot send to it); a guest, admitted to open " +
          "groups only: the handle alice belongs to another device",
      ),
    ],
  ],
  "offline": [
    [
      {
        type: "offline",
        call: "subscribe",
        address: "127.0.0.1:50051",
        details: "connection refused",
        retryMs: 200,
      },
      err("* offline: the stream ended (connection refused); retrying in 0.2 s"),
    ],
    [
      {
        type: "offline",
        call: "register",
        address: "127.0.0.1:50051",
        details: "connection refused",
        retryMs: 1_234,
      },
      err("* offline: cannot reach 127.0.0.1:50051 (connection refused); retrying in 1.2 s"),
    ],
    [
      {
        type: "offline",
        call: "send",
        address: "127.0.0.1:50051",
        details: "Deadline exceeded",
        retryMs: 5_000,
      },
      err("* offline: cannot send (Deadline exceeded); retrying in 5.0 s"),
    ],
    // A client given several addresses names the one that failed and the one it tries next.
    [
      {
        type: "offline",
        call: "subscribe",
        address: "10.0.0.1:50051",
        details: "the server is shutting down; reconnect later",
        retryMs: 0,
        next: "10.0.0.2:50051",
      },
      err(
        "* offline: the stream from 10.0.0.1:50051 ended (the server is shutting down; " +
          "reconnect later); trying 10.0.0.2:50051",
      ),
    ],
    [
      {
        type: "offline",
        call: "send",
        address: "10.0.0.2:50051",
        details: "connection refused",
        retryMs: 0,
        next: "[::1]:7000",
      },
      err("* offline: cannot send to 10.0.0.2:50051 (connection refused); trying [::1]:7000"),
    ],
    [
      {
        type: "offline",
        call: "register",
        address: "[::1]:7000",
        details: "connection refused",
        retryMs: 400,
        next: "10.0.0.1:50051",
      },
      err(
        "* offline: cannot reach [::1]:7000 (connection refused); trying 10.0.0.1:50051 in 0.4 s",
      ),
    ],
  ],
  "online": [
    [{ type: "online", queued: 1 }, err("* back online; sending 1 queued")],
    [{ type: "online", queued: 0 }, err("* back online")],
  ],
  "queued": [[{ type: "queued", waiting: 1 }, err("* queued while offline (1 waiting)")]],
  "refused": [
    [
      {
        type: "refused",
        group: "general",
        text: "x".repeat(5000),
        code: grpc.status.INVALID_ARGUMENT,
        details: "the message is 5000 bytes long; the limit is 4096 bytes",
      },
      err("* not sent: the message is 5000 bytes long; the limit is 4096 bytes"),
    ],
    [
      {
        type: "refused",
        group: "general",
        text: "Can I join?",
        code: grpc.status.PERMISSION_DENIED,
        details: "Doug is not a member of group general; its members are alice, bob, chad",
      },
      err("* not sent: Doug is not a member of group general; its members are alice, bob, chad"),
    ],
  ],
  "identity-rejected": [[
    {
      type: "identity-rejected",
      code: grpc.status.NOT_FOUND,
      details: "client id ab12 is not registered on this server; register again without an id",
    },
    err(
      "* the server does not accept the stored identity (client id ab12 is not registered on " +
        "this server; register again without an id); registering as a new client",
    ),
  ]],
  "identity-revoked": [[
    { type: "identity-revoked", details: "wrong key for client id ab12" },
    err(
      "* the server no longer accepts this client (wrong key for client id ab12); registering again",
    ),
  ]],
  "subscription-refused": [[
    {
      type: "subscription-refused",
      details: "open says sequence 9 of general was seen, but the group ends at 1",
    },
    err(
      "* the server refused the subscription (open says sequence 9 of general was seen, but the " +
        "group ends at 1); checking in again",
    ),
  ]],
  "history-rewound": [[
    { type: "history-rewound", group: "general", lastSeq: 1, printedSeq: 3 },
    err(
      "* general ends at #1 on the server, but this client has printed up to #3 " +
        "(was its database restored?); reading on from #1",
    ),
  ]],
  "room-event": [
    [roomEvent(RoomEventKind.JOINED, member("bob"), ""), err("* @bob joined dev")],
    [roomEvent(RoomEventKind.JOINED, member(""), ""), err("* ~Gus#c0de joined dev")],
    [roomEvent(RoomEventKind.JOINED, member("alice"), "", true), err("* you joined dev")],
    [roomEvent(RoomEventKind.LEFT, member("bob"), ""), err("* @bob left dev")],
    [roomEvent(RoomEventKind.LEFT, member("alice"), "", true), err("* you left dev")],
    [
      roomEvent(RoomEventKind.REMOVED, member("bob", Role.ROLE_UNSPECIFIED), "alice"),
      err("* @bob was removed from dev by @alice"),
    ],
    [
      roomEvent(RoomEventKind.REMOVED, member("", Role.ROLE_UNSPECIFIED), "alice"),
      err("* ~Gus#c0de was removed from dev by @alice"),
    ],
    [
      roomEvent(RoomEventKind.REMOVED, member("bob", Role.ROLE_UNSPECIFIED), "alice", true),
      err("* you were removed from dev by @alice"),
    ],
    [
      roomEvent(RoomEventKind.REMOVED, member("bob", Role.ROLE_UNSPECIFIED), ""),
      err("* @bob was removed from dev"),
    ],
    [
      roomEvent(RoomEventKind.ROLE_CHANGED, member("bob", Role.ADMIN), "alice"),
      err("* @bob is now an admin of dev (by @alice)"),
    ],
    [
      roomEvent(RoomEventKind.ROLE_CHANGED, member("bob", Role.OWNER), "alice", true),
      err("* you are now an owner of dev (by @alice)"),
    ],
    [
      roomEvent(RoomEventKind.ROLE_CHANGED, member("bob", Role.MEMBER), ""),
      err("* @bob is now a member of dev"),
    ],
    [
      roomEvent(RoomEventKind.INVITED, member("bob", Role.ROLE_UNSPECIFIED), "alice", true),
      err("* @alice invited you to dev; type /join dev"),
    ],
    [
      roomEvent(RoomEventKind.INVITED, member("bob", Role.ROLE_UNSPECIFIED), "", true),
      err("* you were invited to dev; type /join dev"),
    ],
    [
      roomEvent(RoomEventKind.INVITED, member("bob", Role.ROLE_UNSPECIFIED), "alice"),
      err("* @bob was invited to dev by @alice"),
    ],
    [
      roomEvent(RoomEventKind.DELETED, member("bob", Role.ROLE_UNSPECIFIED), ""),
      err("* dev was deleted"),
    ],
    [
      roomEvent(9 as RoomEventKindValue, member("bob"), ""),
      err("* dev: an event this client does not know (kind 9)"),
    ],
  ],
  "state-save-failed": [[
    {
      type: "state-save-failed",
      error: new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    },
    err(
      "* cannot save the state file (PermissionDenied: Permission denied (os error 13)); " +
        "a restart may print some messages again",
    ),
  ]],
};

Deno.test("line: every event renders to its exact line", () => {
  for (const [type, cases] of Object.entries(CASES)) {
    assert.ok(cases.length > 0, type);
    for (const [event, line] of cases as [ClientEvent, Line][]) {
      assert.deepEqual(renderEvent(event), line, type);
    }
  }
});

Deno.test("line: a failed start says whether the server refused the client", () => {
  assert.deepEqual(
    renderStartFailure(
      new RefusedError(grpc.status.INVALID_ARGUMENT, "cannot register: the name is empty"),
    ),
    err("* the server refused this client: cannot register: the name is empty"),
  );
  assert.deepEqual(
    renderStartFailure(new Error("no space left on device")),
    err("* cannot start: no space left on device"),
  );
  assert.deepEqual(
    renderStateDirFailure("/ro/state", new Deno.errors.PermissionDenied("Permission denied")),
    err(
      "client: cannot use the state dir /ro/state: Permission denied; pick another with -state_dir",
    ),
  );
});

Deno.test("line: a close report says what was not sent, or nothing", () => {
  assert.deepEqual(renderCloseReport({ unsent: 0, inDoubt: 0 }), []);
  assert.deepEqual(renderCloseReport({ unsent: 1, inDoubt: 0 }), [
    err("* 1 message was not sent: the server did not acknowledge them"),
  ]);
  assert.deepEqual(renderCloseReport({ unsent: 2, inDoubt: 1 }), [
    err("* 2 messages were not sent: the server did not acknowledge them"),
    err("* 1 message was being sent as the client stopped: the server may or may not have it"),
  ]);
  assert.deepEqual(renderCloseReport({ unsent: 0, inDoubt: 256 }), [
    err(
      "* 256 messages were being sent as the client stopped: the server may or may not have them",
    ),
  ]);
});

/**
 * Every command result with the lines it must render to, byte for byte. Keyed by kind, so
 * a new result without a case here fails the type check.
 */
const RESULTS: { [K in CommandResult["kind"]]: [Extract<CommandResult, { kind: K }>, Line[]][] } = {
  "sending": [[{ kind: "sending", room: "dev", text: "hi" }, []]],
  "quit": [[{ kind: "quit" }, []]],
  "created": [
    [
      { kind: "created", room: room({ member: true, role: Role.OWNER, members: 1 }) },
      [
        err(
          "* created dev (open; new members see all of its history); your lines now go to dev",
        ),
      ],
    ],
    [
      {
        kind: "created",
        room: room({
          visibility: Visibility.INVITE_ONLY,
          history: HistoryVisibility.HISTORY_SINCE_JOIN,
        }),
      },
      [
        err(
          "* created dev (invite only; new members see messages from when they join); " +
            "your lines now go to dev",
        ),
      ],
    ],
  ],
  "joined": [
    [
      { kind: "joined", room: room({ members: 3 }) },
      [err("* joined dev (3 members); your lines now go to dev")],
    ],
    [
      { kind: "joined", room: room({ members: 1 }) },
      [err("* joined dev (1 member); your lines now go to dev")],
    ],
    [
      { kind: "joined", room: room({ name: "lobby", operatorGroup: true }) },
      [err("* joined lobby; your lines now go to lobby")],
    ],
  ],
  "left": [
    [{ kind: "left", room: "dev", deleted: false, current: false }, [err("* left dev")]],
    [
      { kind: "left", room: "dev", deleted: true, current: false },
      [err("* left dev; you were its last member, so it is deleted with its history")],
    ],
    [
      { kind: "left", room: "dev", deleted: false, current: true },
      [err("* left dev; your lines still go to dev (/to ROOM changes that)")],
    ],
  ],
  "invited": [[{ kind: "invited", room: "dev", handle: "bob" }, [
    err("* invited @bob to dev"),
  ]]],
  "invite-code": [[
    {
      kind: "invite-code",
      room: "dev",
      code: "ab3de-fgh45",
      expiresAtMs: Date.UTC(2026, 10, 30, 10, 42, 30),
    },
    [
      err(
        "* invite code ab3de-fgh45 for dev: give it to one person with an account, who types " +
          "/join dev ab3de-fgh45 (valid once, until 2026-11-30 10:42 UTC)",
      ),
    ],
  ]],
  "removed": [
    [{ kind: "removed", room: "dev", member: member("bob", Role.ROLE_UNSPECIFIED) }, [
      err("* removed @bob from dev"),
    ]],
  ],
  "role-set": [
    [{ kind: "role-set", room: "dev", member: member("bob", Role.ADMIN) }, [
      err("* @bob is now an admin of dev"),
    ]],
    [{ kind: "role-set", room: "dev", member: member("bob", Role.OWNER) }, [
      err("* @bob is now an owner of dev"),
    ]],
    [{ kind: "role-set", room: "dev", member: member("bob", Role.MEMBER) }, [
      err("* @bob is now a member of dev"),
    ]],
  ],
  "history-page": [
    [
      {
        kind: "history-page",
        room: "dev",
        messages: [
          {
            seq: 7,
            senderId: "7f3a0011",
            senderName: "Alice",
            senderHandle: "alice",
            text: "hello",
            sentAtMs: 0,
          },
          {
            seq: 8,
            senderId: "c0de11aa",
            senderName: "Gus",
            senderHandle: "",
            text: "hi",
            sentAtMs: 0,
          },
        ],
        more: true,
      },
      [out("[dev history] @alice Alice#7f3a: hello"), out("[dev history] ~Gus#c0de: hi")],
    ],
    [
      {
        kind: "history-page",
        room: "dev",
        messages: [{
          seq: 1,
          senderId: "7f3a0011",
          senderName: "Alice",
          senderHandle: "alice",
          text: "first",
          sentAtMs: 0,
        }],
        more: false,
      },
      [
        out("[dev history] @alice Alice#7f3a: first"),
        err("* that is the start of dev's history"),
      ],
    ],
    [
      { kind: "history-page", room: "dev", messages: [], more: false },
      [err("* no earlier messages in dev")],
    ],
  ],
  "members": [
    [
      {
        kind: "members",
        room: "dev",
        members: [
          member("alice", Role.OWNER, 2),
          member("bob", Role.ADMIN, 1),
          member("carl", Role.MEMBER, 1),
          member("dora", Role.MEMBER, 0),
          member("", Role.MEMBER, 1),
          member("", Role.MEMBER, 0),
        ],
      },
      [
        err(
          "* online in dev: @alice (owner, 2 devices), @bob (admin, 1 device), " +
            "@carl (1 device), ~Gus#c0de; 2 members offline",
        ),
      ],
    ],
    [
      { kind: "members", room: "dev", members: [member("dora", Role.OWNER, 0)] },
      [err("* online in dev: nobody; 1 member offline")],
    ],
    [
      {
        kind: "members",
        room: "general",
        members: [member("alice", Role.ROLE_UNSPECIFIED, 1)],
      },
      [err("* online in general: @alice (1 device)")],
    ],
  ],
  "room-list": [
    [
      {
        kind: "room-list",
        rooms: [
          room({ name: "dev", member: true, role: Role.OWNER, members: 2, unread: 0 }),
          room({ name: "general", member: true, operatorGroup: true, unread: 3 }),
          room({ name: "qa", member: true, role: Role.ADMIN, members: 5, unread: 1 }),
          room({ name: "lobby", members: 4 }),
          room({ name: "ops", operatorGroup: true }),
          room({ name: "secret", visibility: Visibility.INVITE_ONLY, invited: true, members: 1 }),
          room({ name: "vault", visibility: Visibility.INVITE_ONLY, members: 2 }),
        ],
      },
      [
        err("* your rooms: dev (owner, 0 unread), general (3 unread), qa (admin, 1 unread)"),
        err(
          "* rooms you can join: lobby (open, 4 members), ops (open), " +
            "secret (invited, 1 member), vault (invite only, 2 members)",
        ),
      ],
    ],
    [{ kind: "room-list", rooms: [] }, [
      err("* your rooms: none"),
      err("* rooms you can join: none"),
    ]],
  ],
  "current": [[{ kind: "current", room: "dev" }, [err("* your lines now go to dev")]]],
  "link-code": [[
    { kind: "link-code", code: "ab3de-fgh45", expiresAtMs: Date.UTC(2026, 10, 30, 10, 42) },
    [
      err(
        "* link code ab3de-fgh45: on your other device, start the client once with " +
          "-link ab3de-fgh45 (valid once, until 10:42 UTC)",
      ),
    ],
  ]],
  "help-list": [[
    {
      kind: "help-list",
      commands: [
        { syntax: "/join ROOM [CODE]", description: "join a room" },
        { syntax: "/rooms", description: "the rooms" },
      ],
    },
    [
      err("* commands:"),
      err("*   /join ROOM [CODE]  join a room"),
      err("*   /rooms             the rooms"),
    ],
  ]],
  "refused": [
    [
      {
        kind: "refused",
        command: { kind: "join", room: "dev", code: "" },
        code: grpc.status.PERMISSION_DENIED,
        details: "dev is invite only; you are not invited",
      },
      [err("* /join dev refused: dev is invite only; you are not invited")],
    ],
    [
      {
        kind: "refused",
        command: { kind: "op", room: "dev", handle: "bob", role: Role.OWNER },
        code: grpc.status.PERMISSION_DENIED,
        details: "only owners give roles",
      },
      [err("* /op dev @bob owner refused: only owners give roles")],
    ],
    [
      {
        kind: "refused",
        command: { kind: "link" },
        code: grpc.status.PERMISSION_DENIED,
        details: "a guest has no account to link",
      },
      [err("* no link code: a guest has no account to link")],
    ],
  ],
  "unreachable": [
    [
      {
        kind: "unreachable",
        command: { kind: "kick", room: "dev", handle: "bob" },
        details: "connection refused",
      },
      [err("* /kick dev @bob not done: could not reach the server (connection refused)")],
    ],
    [
      {
        kind: "unreachable",
        command: { kind: "history", count: 20 },
        details: "Deadline exceeded",
      },
      [err("* /history not done: could not reach the server (Deadline exceeded)")],
    ],
  ],
  "failed": [
    [
      {
        kind: "failed",
        command: { kind: "create", room: "dev", visibility: 0, history: 0 },
        details: "the server answered CreateRoom without the room",
      },
      [err("* /create dev failed: the server answered CreateRoom without the room")],
    ],
    [
      { kind: "failed", command: { kind: "link" }, details: "the session is closed" },
      [err("* no link code: the session is closed")],
    ],
  ],
  "usage": [
    [{ kind: "usage", command: "kick", usage: "/kick ROOM HANDLE" }, [
      err("* usage: /kick ROOM HANDLE"),
    ]],
    [
      {
        kind: "usage",
        command: "history",
        usage: "/history [N]",
        problem: '"0" is not a number from 1 to 100',
      },
      [err('* /history: "0" is not a number from 1 to 100; usage: /history [N]')],
    ],
  ],
  "unknown": [[{ kind: "unknown", name: "frobnicate" }, [
    err("* unknown command /frobnicate; /help lists the commands"),
  ]]],
};

Deno.test("line: every command result renders to its exact lines", () => {
  for (const [kind, cases] of Object.entries(RESULTS)) {
    assert.ok(cases.length > 0, kind);
    for (const [result, lines] of cases as [CommandResult, Line[]][]) {
      assert.deepEqual(renderResult(result), lines, kind);
    }
  }
});

Deno.test("line: a failed command names it as typed, without an invite code", () => {
  const labels: [Command, string][] = [
    [{ kind: "create", room: "dev", visibility: 1, history: 1 }, "/create dev"],
    [{ kind: "join", room: "dev", code: "secret-code" }, "/join dev"],
    [{ kind: "leave", room: "dev" }, "/leave dev"],
    [{ kind: "invite", room: "dev", handle: "bob" }, "/invite dev @bob"],
    [{ kind: "invite", room: "dev", handle: "" }, "/invite dev"],
    [{ kind: "kick", room: "dev", handle: "bob" }, "/kick dev @bob"],
    [{ kind: "op", room: "dev", handle: "bob", role: Role.ADMIN }, "/op dev @bob"],
    [{ kind: "deop", room: "dev", handle: "bob" }, "/deop dev @bob"],
    [{ kind: "history", count: 5 }, "/history"],
    [{ kind: "who" }, "/who"],
    [{ kind: "who", room: "qa" }, "/who qa"],
    [{ kind: "rooms" }, "/rooms"],
  ];
  for (const [command, label] of labels) {
    assert.deepEqual(
      renderResult({ kind: "unreachable", command, details: "connection refused" }),
      [err(`* ${label} not done: could not reach the server (connection refused)`)],
    );
  }
});

Deno.test("line: /help lists every command, one line each, aligned", () => {
  const lines = renderResult({ kind: "help-list", commands: COMMAND_HELP });
  assert.deepEqual(lines.map((l) => l.text), [
    "* commands:",
    "*   /create ROOM [invite] [since-join]  make a room and write to it (invite: invited accounts " +
    "only; since-join: newcomers see no earlier messages)",
    "*   /join ROOM [CODE]                   join a room (CODE: a one-time invite code) and write to it",
    "*   /leave ROOM                         leave a room (its last member deletes it)",
    "*   /invite ROOM HANDLE                 invite an account to a room (owners and admins)",
    "*   /invite ROOM                        make a one-time invite code for a room (owners and admins)",
    "*   /kick ROOM HANDLE                   remove a member from a room (owners; admins remove members)",
    "*   /op ROOM HANDLE [owner]             make a member an admin, or an owner (owners)",
    "*   /deop ROOM HANDLE                   make an admin or an owner a plain member (owners)",
    "*   /history [N]                        earlier messages of the current room, N at a time " +
    "(default 20, at most 100); again for more",
    "*   /who [ROOM]                         who is online in a room (the current one by default)",
    "*   /rooms                              the rooms you are in, then those you can join",
    "*   /to ROOM                            write your lines to ROOM",
    "*   /link                               a code that links another device to your account",
    "*   /help                               this list",
    "*   /quit                               leave once what you typed is sent, as end of input does",
    "*   //TEXT                              send a line that starts with /",
  ]);
  assert.ok(lines.every((l) => l.stream === "stderr"));
});
