import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { ClientEvent } from "./events.ts";
import { RefusedError } from "./calls.ts";
import {
  type Line,
  renderCloseReport,
  renderEvent,
  renderStartFailure,
  renderStateDirFailure,
} from "./line.ts";

const group = (name: string, member: boolean, unread: number) => ({
  name,
  member,
  unread,
  lastSeq: 9,
  cursor: 0,
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
});
