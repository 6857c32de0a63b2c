/**
 * The full-screen view model without a terminal: given the session's events, command answers
 * and keys, what the screen shows, row by row.
 */
import assert from "node:assert/strict";
import { Role, RoomEventKind } from "../../protocol/proto.ts";
import type { ClientEvent, ReceivedMessage } from "../events.ts";
import { cellWidth } from "./text.ts";
import { ChatView, CTRL_C_WINDOW_MS, type Request, type Row, type Screen } from "./model.ts";

/** 10:42 UTC on a fixed day. */
const T0 = Date.UTC(2026, 10, 30, 10, 42);

/** Each group's last sequence handed out by `message` in this test. */
let seqs = new Map<string, number>();

function setup(options: { room?: string; now?: () => number } = {}) {
  seqs = new Map();
  const requests: Request[] = [];
  let clock = T0;
  const view = new ChatView({
    name: "Luis",
    room: options.room ?? "general",
    address: "127.0.0.1:50051",
    now: options.now ?? (() => clock),
    timeZone: "UTC",
  });
  view.onRequest = (request) => requests.push(request);
  return {
    view,
    requests,
    advance(ms: number) {
      clock += ms;
    },
  };
}

function connect(view: ChatView, groups: string[] = ["general"]): void {
  view.setClientId("c1c1c1c1");
  view.apply({
    type: "connected",
    address: "127.0.0.1:50051",
    displayName: "@luis Luis#c1c1",
    resumed: false,
    groups: groups.map((name) => ({
      name,
      member: true,
      lastSeq: 0,
      cursor: 0,
      unread: 0,
      role: Role.MEMBER,
    })),
    handle: "luis",
    guestReason: "",
  } as ClientEvent);
}

function message(group: string, text: string, from = "Bob", extra: Partial<ReceivedMessage> = {}) {
  const seq = (seqs.get(group) ?? 0) + 1;
  seqs.set(group, seq);
  return {
    type: "message",
    message: {
      group,
      seq,
      senderId: `${from.toLowerCase()}0000`,
      senderName: from,
      senderHandle: from.toLowerCase(),
      text,
      sentAtMs: T0,
      ...extra,
    },
  } as ClientEvent;
}

function rowText(row: Row): string {
  return row.map((s) => s.text).join("");
}

/** The pane's rows without the blank rows above the oldest shown. */
function paneText(screen: Screen): string[] {
  const rows = screen.pane.map(rowText).map((r) => r.trimEnd());
  while (rows.length > 0 && rows[0] === "") rows.shift();
  return rows;
}

function roomsText(screen: Screen): string[] {
  return screen.rooms.map(rowText).map((r) => r.trimEnd()).filter((r) => r !== "");
}

Deno.test("view: a message shows its time, its sender as the accounts issue shows them, and its text", () => {
  const { view } = setup();
  connect(view);
  view.apply(message("general", "hello"));
  view.apply(message("general", "hi", "Eve", { senderHandle: "", senderId: "e0e0e0e0" }));
  const screen = view.screen(80, 10);
  assert.deepEqual(paneText(screen).slice(-2), [
    "10:42 @bob Bob#bob0: hello",
    "10:42 ~Eve#e0e0: hi",
  ]);
  assert.deepEqual(screen.pane.length, 8);
  assert.deepEqual(rowText(screen.status).trimEnd(), " online · @luis Luis#c1c1 · general");
  assert.deepEqual(rowText(screen.input), "[general] ");
  assert.deepEqual(screen.cursorColumn, 10);
});

Deno.test("view: long lines wrap under the text, and wide characters never pass the edge", () => {
  const { view } = setup();
  connect(view);
  view.apply(message("general", "你好世界你好世界你好世界 and then some words"));
  const screen = view.screen(60, 8);
  const pane = paneText(screen).slice(-3);
  // 60 columns: a room list of 15 and its bar leave 44 for the pane; 6 for the time; 38 for
  // the rest: the name, then 24 columns of Chinese and 14 of English.
  assert.deepEqual(screen.roomsWidth, 15);
  assert.deepEqual(pane, [
    "10:42 @bob Bob#bob0:",
    "      你好世界你好世界你好世界 and then some",
    "      words",
  ]);
  for (const row of screen.pane) {
    const width = row.reduce((n, s) => n + cellWidth(s.text), 0);
    assert(width <= 44, `row "${rowText(row)}" is wider than the pane`);
  }
});

Deno.test("view: escape sequences and control characters in names and texts are shown inert", () => {
  const { view } = setup();
  connect(view);
  view.apply(
    message("general", "\x1b[2J\x1b[31mred\x1b]0;title\x07 \u202eevil\x9b", "X\x1b[1mY", {
      senderHandle: "",
      senderId: "\x1b[1m",
    }),
  );
  const screen = view.screen(80, 6);
  const everything = [...screen.pane, ...screen.rooms, screen.status, screen.input]
    .map(rowText).join("\n");
  // deno-lint-ignore no-control-regex
  assert(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/.test(everything), everything);
  assert.match(everything, /~X␛\[1mY#␛\[1m: ␛\[2J␛\[31mred␛\]0;title␇ �evil�/);
});

Deno.test("view: unread counts grow in other rooms and drop as a room is read", () => {
  const { view, requests } = setup();
  connect(view, ["general", "dev"]);
  for (let i = 0; i < 3; i++) view.apply(message("dev", `dev ${i}`));
  view.apply(message("general", "here"));
  let screen = view.screen(80, 8);
  assert.deepEqual(roomsText(screen), [">1 general", " 2 dev        3"]);
  assert.deepEqual(
    rowText(screen.status).trimEnd(),
    " online · @luis Luis#c1c1 · general · 3 unread elsewhere",
  );
  // Alt+2 asks the front end to move there; it does, and says so.
  view.key("2", { meta: true });
  assert.deepEqual(requests.at(-1), { kind: "switch", room: "dev" });
  view.entered("dev");
  screen = view.screen(80, 8);
  assert.deepEqual(roomsText(screen), [" 1 general", ">2 dev"]);
  assert.deepEqual(view.unread("dev"), 0);
  assert.deepEqual(paneText(screen).slice(-3), [
    "10:42 @bob Bob#bob0: dev 0",
    "10:42 @bob Bob#bob0: dev 1",
    "10:42 @bob Bob#bob0: dev 2",
  ]);
});

Deno.test("view: in a room scrolled back, new messages are unread until PageDown shows them", () => {
  const { view, requests } = setup();
  connect(view);
  view.historyPage({ room: "general", beforeSeq: 0, epoch: 0 }, [], false);
  requests.length = 0;
  for (let i = 0; i < 20; i++) view.apply(message("general", `m${i}`));
  view.screen(80, 7); // a pane of 5 rows
  view.key("", { pageUp: true });
  let screen = view.screen(80, 7);
  assert.deepEqual(paneText(screen), [
    "10:42 @bob Bob#bob0: m11",
    "10:42 @bob Bob#bob0: m12",
    "10:42 @bob Bob#bob0: m13",
    "10:42 @bob Bob#bob0: m14",
    "10:42 @bob Bob#bob0: m15",
  ]);
  view.apply(message("general", "m20"));
  view.apply(message("general", "m21"));
  // What is being read stays put; the two new ones are unread below it.
  screen = view.screen(80, 7);
  assert.deepEqual(paneText(screen).at(0), "10:42 @bob Bob#bob0: m11");
  assert.deepEqual(view.unread("general"), 2);
  assert.match(rowText(screen.status), /^ online · @luis Luis#c1c1 · general +$/);
  view.key("", { pageDown: true });
  screen = view.screen(80, 7);
  assert.deepEqual(paneText(screen).at(-1), "10:42 @bob Bob#bob0: m19");
  assert.deepEqual(view.unread("general"), 2, "m16 to m19 had been read before");
  view.key("", { pageDown: true });
  screen = view.screen(80, 7);
  assert.deepEqual(paneText(screen).at(-1), "10:42 @bob Bob#bob0: m21");
  assert.deepEqual(view.unread("general"), 0);
  // Read back again: nothing below is unread any more.
  view.key("", { pageUp: true });
  view.screen(80, 7);
  assert.deepEqual(view.unread("general"), 0);
  assert.deepEqual(requests.filter((r) => r.kind === "history").length, 0);
});

Deno.test("view: PageUp past what is loaded asks for the page before the oldest, and shows it above", () => {
  const { view, requests } = setup();
  seqs.set("general", 40);
  connect(view);
  // Connecting asks for the newest page of the current room.
  assert.deepEqual(requests, [{
    kind: "history",
    room: "general",
    beforeSeq: 0,
    limit: 20,
    epoch: 0,
  }]);
  for (let i = 0; i < 3; i++) view.apply(message("general", `live ${i}`)); // 41..43
  view.historyPage(
    { room: "general", beforeSeq: 0, epoch: 0 },
    [40, 41, 42].map((seq) => ({
      seq,
      senderId: "bob0000",
      senderName: "Bob",
      senderHandle: "bob",
      text: `old ${seq}`,
      sentAtMs: T0,
    })),
    true,
  );
  // 41 and 42 came live already: only 40 is added, above everything.
  let screen = view.screen(120, 12);
  assert.deepEqual(paneText(screen), [
    "10:42 @bob Bob#bob0: old 40",
    "* connected to 127.0.0.1:50051 as @luis Luis#c1c1 (new identity); 0 unread messages in general (member)",
    "10:42 @bob Bob#bob0: live 0",
    "10:42 @bob Bob#bob0: live 1",
    "10:42 @bob Bob#bob0: live 2",
  ]);
  // The pane is not full: the page before 40 is asked for at once.
  assert.deepEqual(requests.at(-1), {
    kind: "history",
    room: "general",
    beforeSeq: 40,
    limit: 20,
    epoch: 0,
  });
  view.historyPage({ room: "general", beforeSeq: 40, epoch: 0 }, [{
    seq: 39,
    senderId: "x",
    senderName: "Ann",
    senderHandle: "",
    text: "first",
    sentAtMs: T0,
  }], false);
  screen = view.screen(120, 12);
  assert.deepEqual(paneText(screen).slice(0, 2), ["* the start of general", "10:42 ~Ann#x: first"]);
  const asked = requests.length;
  view.key("", { pageUp: true });
  view.screen(120, 12);
  assert.deepEqual(requests.length, asked, "nothing older is left: no more asking");
});

Deno.test("view: PageUp at the start of a room stops with the oldest row at the top of a full pane", () => {
  const { view } = setup();
  connect(view);
  view.historyPage({ room: "general", beforeSeq: 0, epoch: 0 }, [], false);
  for (let i = 1; i <= 8; i++) view.apply(message("general", `m${i}`));
  // 10 rows (the start, the connected line, m1..m8); a pane of 4 rows, which PageUp moves 3.
  const pane = () => view.screen(200, 6).pane.map(rowText).map((r) => r.replace(/^10:42 /, ""));
  const top = [
    "* the start of general",
    "* connected to 127.0.0.1:50051 as @luis Luis#c1c1 (new identity); 0 unread messages in general (member)",
    "@bob Bob#bob0: m1",
    "@bob Bob#bob0: m2",
  ];
  assert.deepEqual(pane().at(-1), "@bob Bob#bob0: m8");
  view.key("", { pageUp: true });
  view.key("", { pageUp: true });
  assert.deepEqual(pane(), top);
  // 3 rows more would leave blank rows above the start, and more still a blank pane.
  view.key("", { pageUp: true });
  assert.deepEqual(pane(), top);
  for (let press = 0; press < 5; press++) view.key("", { pageUp: true });
  assert.deepEqual(pane(), top);
  view.key("", { pageDown: true });
  assert.deepEqual(pane(), [
    "@bob Bob#bob0: m2",
    "@bob Bob#bob0: m3",
    "@bob Bob#bob0: m4",
    "@bob Bob#bob0: m5",
  ]);
});

Deno.test("view: the status bar shows offline with the retry countdown, and what is queued", () => {
  const { view, advance } = setup();
  connect(view);
  view.apply({
    type: "offline",
    call: "subscribe",
    address: "127.0.0.1:50051",
    details: "connection refused",
    retryMs: 4_000,
  });
  const stored = Promise.withResolvers<{ seq: number }>();
  view.sending("general", "are you there?", stored.promise);
  let status = rowText(view.screen(140, 6).status).trimEnd();
  assert.deepEqual(
    status,
    " offline: the stream ended (connection refused); retrying in 4 s · 1 queued · @luis Luis#c1c1 · general",
  );
  advance(2_500);
  status = rowText(view.screen(100, 6).status);
  assert.match(status, /retrying in 2 s/);
  assert.deepEqual(view.screen(100, 6).status[0].style, "status-alert");
  view.apply({ type: "online", queued: 1 });
  assert.match(rowText(view.screen(100, 6).status), /^ online · 1 sending · @luis/);
});

Deno.test("view: a message typed here shows at once as on its way, then as sent, or as refused", async () => {
  const { view } = setup();
  connect(view);
  const first = Promise.withResolvers<{ seq: number }>();
  const second = Promise.withResolvers<{ seq: number }>();
  view.sending("general", "one", first.promise);
  view.sending("general", "two", second.promise);
  let rows = view.screen(80, 6).pane.slice(-2);
  assert.deepEqual(rows.map(rowText), ["10:42 @luis Luis#c1c1: one", "10:42 @luis Luis#c1c1: two"]);
  assert.deepEqual(rows.map((r) => r.at(-1)!.style), ["pending", "pending"]);
  assert.deepEqual(view.pending, 2);
  first.resolve({ seq: 7 });
  second.reject(new Error("refused"));
  view.apply({ type: "refused", group: "general", text: "two", code: 3, details: "too long" });
  await Promise.allSettled([first.promise, second.promise]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  rows = view.screen(80, 6).pane.slice(-3);
  assert.deepEqual(rows.map(rowText), [
    "10:42 @luis Luis#c1c1: one",
    "10:42 @luis Luis#c1c1: two",
    "* not sent: too long",
  ]);
  assert.deepEqual(rows.map((r) => r.at(-1)!.style), ["plain", "error", "error"]);
  assert.deepEqual(view.pending, 0);
});

Deno.test("view: Enter sends the line, Up recalls it, Tab completes commands and rooms", () => {
  const { view, requests } = setup();
  connect(view, ["general", "devops"]);
  requests.length = 0;
  for (const ch of "hello") view.key(ch, {});
  view.key("", { return: true });
  assert.deepEqual(requests, [{ kind: "line", text: "hello" }]);
  assert.deepEqual(view.input.text, "");
  view.key("", { upArrow: true });
  assert.deepEqual(view.input.text, "hello");
  view.key("u", { ctrl: true });
  for (const ch of "/jo") view.key(ch, {});
  view.key("", { tab: true });
  assert.deepEqual(view.input.text, "/join ");
  for (const ch of "dev") view.key(ch, {});
  view.key("", { tab: true });
  assert.deepEqual(view.input.text, "/join devops ");
  assert.deepEqual(rowText(view.screen(80, 6).input), "[general] /join devops ");
});

Deno.test("view: keys read in one chunk are each carried out, Enter too; a paste stays one line", () => {
  const { view, requests } = setup();
  connect(view);
  requests.length = 0;
  // Typed faster than read: ink passes the chunk as one input.
  view.key("one\rtwo\r\nthree", {});
  assert.deepEqual(requests, [{ kind: "line", text: "one" }, { kind: "line", text: "two" }]);
  assert.equal(view.input.text, "three");
  view.key("u", { ctrl: true });
  view.paste("four\rfive\nsix");
  assert.equal(requests.length, 2);
  assert.equal(view.input.text, "four five six");
  // Control keys in a chunk are keys too: Ctrl-B twice, Ctrl-D (delete), then a letter.
  view.key("u", { ctrl: true });
  view.key("abc\x02\x02\x04x", {});
  assert.equal(view.input.text, "axc");
  // Ctrl-N with the next letter: the switch is asked for, the letter typed.
  connect(view, ["general", "dev"]);
  requests.length = 0;
  view.key("\x0ey", {});
  assert.deepEqual(requests, [{ kind: "switch", room: "dev" }]);
  assert.equal(view.input.text, "axyc");
});

Deno.test("view: Ctrl-C once warns, twice leaves at once; Ctrl-D on an empty line leaves after sending", () => {
  const { view, requests, advance } = setup();
  connect(view);
  requests.length = 0;
  view.key("c", { ctrl: true });
  assert.deepEqual(requests, []);
  assert.deepEqual(
    paneText(view.screen(120, 6)).at(-1),
    "* press Ctrl-C again to leave at once; Ctrl-D or /quit leaves after sending",
  );
  advance(CTRL_C_WINDOW_MS + 1);
  view.key("c", { ctrl: true });
  assert.deepEqual(requests, [], "a Ctrl-C long after the first warns again");
  view.key("c", { ctrl: true });
  assert.deepEqual(requests, [{ kind: "quit-now" }]);
  requests.length = 0;
  view.key("x", {});
  view.key("d", { ctrl: true });
  assert.deepEqual(requests, [], "Ctrl-D on a line being typed deletes, as in readline");
  view.key("", { home: true });
  view.key("d", { ctrl: true });
  assert.deepEqual(view.input.text, "");
  view.key("d", { ctrl: true });
  assert.deepEqual(requests, [{ kind: "quit" }]);
});

Deno.test("view: Ctrl+N and Ctrl+P move through the room list and wrap around", () => {
  const { view, requests } = setup();
  connect(view, ["general", "dev", "ops"]);
  view.key("n", { ctrl: true });
  assert.deepEqual(requests.at(-1), { kind: "switch", room: "dev" });
  view.key("p", { ctrl: true });
  assert.deepEqual(requests.at(-1), { kind: "switch", room: "ops" });
});

Deno.test("view: command answers and refusals are shown in place; a room made or joined becomes current", () => {
  const { view } = setup();
  connect(view);
  view.result({
    kind: "refused",
    command: { kind: "join", room: "secret", code: "" },
    code: 7,
    details: "secret is invite only",
  });
  let pane = view.screen(100, 8).pane;
  assert.deepEqual(rowText(pane.at(-1)!), "* /join secret refused: secret is invite only");
  assert.deepEqual(pane.at(-1)![0].style, "error");
  view.result({
    kind: "joined",
    room: { name: "dev", members: 3, role: Role.MEMBER } as never,
  });
  assert.deepEqual(view.currentRoom, "dev");
  pane = view.screen(100, 8).pane;
  assert.deepEqual(rowText(pane.at(-1)!), "* joined dev (3 members); your lines now go to dev");
  assert.deepEqual(roomsText(view.screen(100, 8)), [" 1 general", ">2 dev"]);
});

Deno.test("view: a room this client was removed from leaves the list once another is current", () => {
  const { view } = setup();
  connect(view, ["general", "dev"]);
  view.apply({
    type: "room-event",
    group: "dev",
    self: true,
    event: {
      kind: RoomEventKind.REMOVED,
      member: { handle: "luis", role: Role.ROLE_UNSPECIFIED, name: "", clientId: "" },
      by: "ann",
    },
  });
  assert.deepEqual(view.rooms, ["general"]);
  view.entered("dev");
  assert.deepEqual(paneText(view.screen(100, 8)).at(-1), "* you were removed from dev by @ann");
});

Deno.test("view: a terminal too narrow for the room list still says where lines go", () => {
  const { view } = setup();
  connect(view, ["general", "dev"]);
  const screen = view.screen(40, 6);
  assert.deepEqual(screen.roomsWidth, 0);
  assert.deepEqual(screen.rooms, []);
  assert.deepEqual(rowText(screen.status).length, 40);
  assert.deepEqual(rowText(screen.input), "[general] ");
});

Deno.test("view: a busy room not shown keeps a count, not a list, and reading it is one step", () => {
  const { view } = setup();
  connect(view, ["general", "dev"]);
  for (let i = 0; i < 100_000; i++) view.apply(message("dev", `m${i}`));
  assert.deepEqual(view.unread("dev"), 100_000);
  view.entered("dev");
  const screen = view.screen(80, 6);
  assert.deepEqual(paneText(screen).at(-1), "10:42 @bob Bob#bob0: m99999");
  assert.deepEqual(view.unread("dev"), 0);
});

Deno.test("view: a room deleted and made again under its name starts empty", () => {
  const { view, requests } = setup();
  connect(view, ["general"]);
  const room = { name: "dev", members: 1, role: Role.OWNER } as never;
  view.result({ kind: "created", room });
  for (let i = 1; i <= 3; i++) view.apply(message("dev", `old ${i}`));
  view.result({ kind: "left", room: "dev", deleted: true, current: true });
  seqs.delete("dev");
  view.result({ kind: "created", room });
  for (let i = 1; i <= 3; i++) view.apply(message("dev", `new ${i}`));
  const pane = paneText(view.screen(120, 12));
  assert.deepEqual(pane.filter((row) => row.includes("old ")), []);
  assert.deepEqual(pane.filter((row) => row.includes("Bob#bob0: new ")), [
    "10:42 @bob Bob#bob0: new 1",
    "10:42 @bob Bob#bob0: new 2",
    "10:42 @bob Bob#bob0: new 3",
  ]);
  // A page asked for before the room was made again is dropped.
  const stale = requests.find((r) => r.kind === "history" && r.room === "dev")!;
  assert.ok(stale && stale.kind === "history");
  view.historyPage(stale, [{
    seq: 1,
    senderId: "x",
    senderName: "Old",
    senderHandle: "",
    text: "stale",
    sentAtMs: T0,
  }], false);
  assert.deepEqual(paneText(view.screen(120, 12)).filter((row) => row.includes("stale")), []);
});

Deno.test("view: messages replayed after a newer History page still show in sequence order", () => {
  const { view, requests } = setup();
  connect(view);
  const first = requests.at(-1)!;
  assert.ok(first.kind === "history");
  // The newest page (4..5) answers before the stream replays 1..5.
  const page = [4, 5].map((seq) => ({
    seq,
    senderId: "bob0000",
    senderName: "Bob",
    senderHandle: "bob",
    text: `m${seq}`,
    sentAtMs: T0,
  }));
  view.historyPage(first, page, true);
  for (let i = 1; i <= 5; i++) view.apply(message("general", `m${i}`));
  const rows = paneText(view.screen(120, 12)).filter((row) => row.startsWith("10:42"));
  assert.deepEqual(rows, [1, 2, 3, 4, 5].map((n) => `10:42 @bob Bob#bob0: m${n}`));
});

Deno.test("view: a page that no longer fits what is loaded is dropped and asked for again", () => {
  const { view, requests } = setup();
  seqs.set("general", 100);
  connect(view);
  const first = requests.at(-1)!;
  assert.ok(first.kind === "history");
  view.historyPage(first, [], true);
  for (let i = 0; i < 5; i++) view.apply(message("general", `m${i}`)); // 101..105
  view.screen(120, 30);
  const asked = requests.at(-1)!;
  assert.deepEqual(asked, {
    kind: "history",
    room: "general",
    beforeSeq: 101,
    limit: 20,
    epoch: 0,
  });
  // Meanwhile the oldest loaded message changed: the page would leave a gap.
  view.historyPage({ ...asked, beforeSeq: 90 }, [{
    seq: 80,
    senderId: "x",
    senderName: "Gap",
    senderHandle: "",
    text: "gap",
    sentAtMs: T0,
  }], true);
  assert.deepEqual(paneText(view.screen(120, 30)).filter((r) => r.includes("gap")), []);
});

Deno.test("view: a room this client is not in is never asked for History", () => {
  const { view, requests } = setup({ room: "opsroom" });
  connect(view, ["general"]);
  view.screen(80, 20);
  view.result({ kind: "current", room: "nosuch" });
  view.screen(80, 20);
  view.key("", { pageUp: true });
  view.screen(80, 20);
  assert.deepEqual(requests.filter((r) => r.kind === "history"), []);
  // Once left for another room, it leaves the list.
  view.result({ kind: "current", room: "general" });
  assert.deepEqual(view.rooms, ["general"]);
});

Deno.test("view: a History page that fails stops the asking until the next PageUp", () => {
  const { view, requests } = setup();
  connect(view);
  const first = requests.at(-1)!;
  assert.ok(first.kind === "history");
  view.historyFailed(first, new Error("no"));
  for (let i = 0; i < 5; i++) view.screen(80, 20);
  assert.deepEqual(requests.filter((r) => r.kind === "history").length, 1);
  assert.deepEqual(
    paneText(view.screen(120, 20)).at(-1),
    "* cannot read earlier messages of general: no",
  );
  view.key("", { pageUp: true });
  view.screen(80, 20);
  assert.deepEqual(requests.filter((r) => r.kind === "history").length, 2);
});

Deno.test("view: after the first retry the status bar says retrying, without a count below zero", () => {
  const { view, advance } = setup();
  connect(view);
  view.apply({
    type: "offline",
    call: "register",
    address: "a:1",
    details: "refused",
    retryMs: 1_000,
  });
  assert.match(rowText(view.screen(120, 6).status), /retrying in 1 s ·/);
  advance(5_000);
  assert.match(
    rowText(view.screen(120, 6).status),
    /^ offline: cannot reach a:1 \(refused\); retrying · /,
  );
});

Deno.test("view: with several addresses the status bar says which one it is connected to, and which it tries next", () => {
  let clock = T0;
  const view = new ChatView({
    name: "Luis",
    room: "general",
    address: ["a:1", "b:2"],
    now: () => clock,
    timeZone: "UTC",
  });
  assert.match(rowText(view.screen(120, 6).status), /^ connecting to a:1 · Luis · general +$/);
  view.apply({
    type: "offline",
    call: "register",
    address: "a:1",
    details: "connection refused",
    retryMs: 0,
    next: "b:2",
  });
  assert.match(
    rowText(view.screen(120, 6).status),
    /^ offline: cannot reach a:1 \(connection refused\); trying b:2 · Luis · general +$/,
  );
  const connected = (address: string) =>
    view.apply({
      type: "connected",
      address,
      displayName: "@luis Luis#c1c1",
      resumed: true,
      groups: [],
      handle: "luis",
      guestReason: "",
    });
  connected("b:2");
  assert.match(
    rowText(view.screen(120, 6).status),
    /^ online at b:2 · @luis Luis#c1c1 · general +$/,
  );
  view.apply({
    type: "offline",
    call: "subscribe",
    address: "b:2",
    details: "connection reset",
    retryMs: 3_000,
    next: "a:1",
  });
  assert.match(
    rowText(view.screen(120, 6).status),
    /^ offline: the stream from b:2 ended \(connection reset\); trying a:1 in 3 s · /,
  );
  clock += 3_000;
  assert.match(rowText(view.screen(120, 6).status), /; trying a:1 · /);
  view.apply({ type: "online", queued: 0 });
  assert.match(rowText(view.screen(120, 6).status), /^ online at b:2 · /, "not moved yet");
  connected("a:1");
  assert.match(rowText(view.screen(120, 6).status), /^ online at a:1 · /);
});

Deno.test("view: rooms left, removed from or missing after a reconnect leave the list and its unread", () => {
  const { view } = setup();
  connect(view, ["general", "dev", "ops"]);
  for (let i = 0; i < 5; i++) view.apply(message("ops", `o${i}`));
  for (let i = 0; i < 2; i++) view.apply(message("dev", `d${i}`));
  assert.match(rowText(view.screen(100, 6).status), /7 unread elsewhere/);
  view.result({ kind: "left", room: "ops", deleted: false, current: false });
  assert.match(rowText(view.screen(100, 6).status), /· 2 unread elsewhere/);
  // Reconnected: the server no longer lists dev (a removal missed while offline).
  connect(view, ["general"]);
  assert.deepEqual(view.rooms, ["general"]);
  assert.doesNotMatch(rowText(view.screen(100, 6).status), /unread elsewhere/);
});

Deno.test("view: Delete deletes forward, Backspace backward; Tab completes rooms as the server names them", () => {
  const { view } = setup();
  connect(view, ["general", "DevOps"]);
  for (const ch of "abcd") view.key(ch, {});
  view.key("", { leftArrow: true });
  view.key("", { leftArrow: true });
  view.key("", { delete: true });
  assert.deepEqual(view.input.text, "abd");
  view.key("", { backspace: true });
  assert.deepEqual(view.input.text, "ad");
  view.key("", { end: true });
  view.key("u", { ctrl: true });
  assert.deepEqual(view.input.text, "");
  for (const ch of "/to dev") view.key(ch, {});
  view.key("", { tab: true });
  assert.deepEqual(view.input.text, "/to DevOps ");
});
