/**
 * The full-screen client's view model: what the screen shows, kept apart from the terminal so
 * that it can be tested without one. {@link ChatView} takes the session's typed events, the
 * answers to commands and the person's keys, and lays out a {@link Screen} of any size: a room
 * list with unread counts, the current room's messages wrapped to the pane, a status bar and
 * the input line. `app.tsx` only draws a Screen.
 *
 * Every string that came from the network (names, texts, refusals) goes through
 * {@link inert} before it is laid out, so a message cannot move the cursor or change colours.
 *
 * @example
 * ```ts ignore
 * const view = new ChatView({ name: "Luis", room: "general", address: "127.0.0.1:50051" });
 * view.apply({ type: "message", message: { group: "general", seq: 1, text: "hi", ... } });
 * const screen = view.screen(80, 24);
 * screen.pane.at(-1); // [{ text: "10:42 ", style: "time" }, { text: "~Bob#1a2b", ... }, ...]
 * ```
 *
 * @module
 */
import { displayName } from "../../shared/format.ts";
import { messageOf } from "../../shared/errors.ts";
import { DEFAULT_HISTORY_PAGE } from "../../shared/limits.ts";
import type { ChatMessage, GroupInfo } from "../../protocol/proto.ts";
import { RoomEventKind } from "../../protocol/proto.ts";
import { COMMAND_HELP, type CommandResult } from "../commands.ts";
import type { ClientEvent, ReceivedMessage } from "../events.ts";
import { renderEvent, renderResult } from "../line.ts";
import { InputLine } from "./input.ts";
import { cellWidth, inert, padEnd, truncate, wrap } from "./text.ts";

/** How a piece of a row is drawn; `app.tsx` maps each to colours (or none, with NO_COLOR). */
export type Style =
  | "plain"
  | "time"
  | "sender"
  | "self"
  | "pending"
  | "notice"
  | "error"
  | "room"
  | "current-room"
  | "unread"
  | "status"
  | "status-alert"
  | "prompt";

/** A piece of a row: text already inert and measured, and how to draw it. */
export interface Segment {
  text: string;
  style: Style;
  /** For `sender`: which of a few colours tells senders apart (0 to {@link SENDER_COLOURS} - 1). */
  hue?: number;
}

/** One row of the screen, as segments whose widths add up to the row's width at most. */
export type Row = Segment[];

/** Everything the terminal shows, laid out for one size. */
export interface Screen {
  width: number;
  height: number;
  /** Columns of the room list, 0 when the terminal is too narrow for one. */
  roomsWidth: number;
  /** The room list, one row per screen row of the pane (padded to `roomsWidth`). */
  rooms: Row[];
  /** The current room's rows, oldest at the top, exactly `paneHeight` of them. */
  pane: Row[];
  /** The status bar: connection, who you are, where you are, what waits. */
  status: Row;
  /** The input line: the prompt, and the visible part of what is typed. */
  input: Row;
  /** The cursor's column in the input row. */
  cursorColumn: number;
}

/** How many colours tell senders apart. */
export const SENDER_COLOURS = 6;
/**
 * Messages and notices kept per room while its pane follows the newest; older ones are read
 * again from History when scrolled to.
 */
export const MAX_ENTRIES_PER_ROOM = 2_000;
/**
 * Kept per room while its pane is scrolled back, so that new messages do not take away what is
 * being read; past it the oldest go all the same (at 1,000 messages a second, after 10 s).
 */
export const MAX_ENTRIES_SCROLLED = 5 * MAX_ENTRIES_PER_ROOM;
/** Below this width the room list is left out; the status bar still says where you are. */
const MIN_WIDTH_FOR_ROOM_LIST = 48;
/** How long a first Ctrl-C waits for a second one before it is forgotten. */
export const CTRL_C_WINDOW_MS = 3_000;

/** How the session stands, for the status bar. */
export type Connection =
  | { state: "connecting" }
  | { state: "online" }
  /** `next`: the address tried next, when the session moves on to another of its several. */
  | { state: "offline"; retryAtMs: number; reason: string; next?: string }
  | { state: "ended"; reason: string }
  | { state: "leaving" };

type Entry = MessageEntry | NoticeEntry;

interface MessageEntry {
  kind: "message";
  /** 0 while a message of this client is on its way. */
  seq: number;
  time: string;
  sender: string;
  hue: number;
  text: string;
  /** Typed here: "pending" until the server stored it, "refused" if it will not be. */
  own?: "pending" | "sent" | "refused";
  /** Rows for `rowsWidth`, kept: laying out 1,000 messages a second re-wraps none of them. */
  rows?: Row[];
  rowsWidth?: number;
}

interface NoticeEntry {
  kind: "notice";
  text: string;
  error: boolean;
  rows?: Row[];
  rowsWidth?: number;
}

/** One room as the view keeps it. */
class RoomView {
  readonly name: string;
  /** Raised each time the room starts afresh (deleted and made again): older pages are dropped. */
  epoch = 0;
  entries: Entry[] = [];
  /** Sequences shown, so that a History page and the live stream never show one twice. */
  seqs = new Set<number>();
  /** Messages of others received and not yet seen (below the pane, or in a room not shown). */
  unread = 0;
  /** The newest sequence that has reached the pane's bottom row: what is below it is unread. */
  readSeq = 0;
  /** Rows scrolled up from the newest; 0 follows new messages. */
  scroll = 0;
  /** False once History said nothing older is left (or this client may not read it). */
  more = true;
  /** A History page is on its way. */
  loading = false;
  /** A History page failed: no more are asked for until the person pages up. */
  blocked = false;
  /** True while this client is in the room (as the server last said). */
  member = false;

  constructor(name: string) {
    this.name = name;
  }

  get oldestSeq(): number {
    for (const entry of this.entries) {
      if (entry.kind === "message" && entry.seq > 0) return entry.seq;
    }
    return 0;
  }

  /** Everything shown is forgotten: the room was deleted, or is a new room of the same name. */
  reset(): void {
    this.epoch++;
    this.entries = [];
    this.seqs.clear();
    this.unread = 0;
    this.readSeq = 0;
    this.scroll = 0;
    this.more = true;
    this.loading = false;
    this.blocked = false;
  }

  /** Drops the oldest entries past the bound (a larger one while scrolled back). */
  trim(): void {
    const bound = this.scroll > 0 ? MAX_ENTRIES_SCROLLED : MAX_ENTRIES_PER_ROOM;
    if (this.entries.length <= bound) return;
    const dropped = this.entries.splice(0, this.entries.length - bound);
    for (const old of dropped) if (old.kind === "message") this.seqs.delete(old.seq);
    // What was dropped can be read again through History.
    this.more = true;
  }
}

/** What the person asked for that needs the server or the session: the front end does it. */
export type Request =
  | { kind: "line"; text: string }
  | {
    kind: "history";
    room: string;
    beforeSeq: number;
    limit: number;
    /** Passed back to {@link ChatView.historyPage}: a page for an older state is dropped. */
    epoch: number;
  }
  | { kind: "switch"; room: string }
  | { kind: "quit" }
  | { kind: "quit-now" };

/** A key as ink reports it (the fields this view reads). */
export interface Key {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

/** Options of a {@link ChatView}. */
export interface ChatViewOptions {
  /** The display name given with -name, shown until the server says who this client is. */
  name: string;
  /** The room typed lines go to at the start. */
  room: string;
  /**
   * The server, as given (`host:port`), or the addresses of one service's nodes in the order
   * tried: then the status bar says which one the client is connected to.
   */
  address: string | readonly string[];
  /** The clock (tests set it). */
  now?: () => number;
  /** The time zone of message times (tests use "UTC"); the system's by default. */
  timeZone?: string;
}

/** The slash commands, for Tab completion. */
const COMMAND_NAMES = [...new Set(COMMAND_HELP.map((c) => c.syntax.split(" ")[0]))];

function hueOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % SENDER_COLOURS;
}

/**
 * The full-screen client's state and layout. Feed it events ({@link apply}), command answers
 * ({@link result}) and keys ({@link key}); ask it for a {@link screen}. It calls `onChange`
 * when the screen may have changed, and `onRequest` for what only the front end can do (send
 * a line, read a History page, quit).
 */
export class ChatView {
  readonly input = new InputLine();
  /** Called when the screen may have changed; `urgent` for keys, which are drawn at once. */
  onChange: (urgent: boolean) => void = () => {};
  /** Called for what the front end carries out. */
  onRequest: (request: Request) => void = () => {};

  #now: () => number;
  #time: Intl.DateTimeFormat;
  #rooms = new Map<string, RoomView>();
  #current: RoomView;
  #connection: Connection = { state: "connecting" };
  /** The addresses the session may connect to, in order. */
  #addresses: readonly string[];
  /** The address of the last `connected` event. */
  #connectedTo: string;
  #me: string;
  #clientId = "";
  #handles = new Set<string>();
  #pending = 0;
  #ctrlCAtMs = -Infinity;
  /** Rows of the pane at the last layout: how far PageUp moves. */
  #paneHeight = 20;
  /** Columns of the pane at the last layout: how many rows a new entry adds. */
  #paneWidth = 80;

  /** A view of a session about to start. */
  constructor(options: ChatViewOptions) {
    this.#addresses = typeof options.address === "string" ? [options.address] : options.address;
    this.#connectedTo = this.#addresses[0] ?? "";
    this.#now = options.now ?? Date.now;
    this.#time = new Intl.DateTimeFormat("en-GB", {
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
      timeZone: options.timeZone,
    });
    this.#me = inert(options.name);
    this.#current = this.#room(options.room);
  }

  /** The room typed lines go to. */
  get currentRoom(): string {
    return this.#current.name;
  }

  /** The rooms in the list, in its order. */
  get rooms(): string[] {
    return [...this.#rooms.values()].filter((r) => r.member || r === this.#current).map((r) =>
      r.name
    );
  }

  /** Unread messages of `room`. */
  unread(room: string): number {
    return this.#find(room)?.unread ?? 0;
  }

  /** How the session stands. */
  get connection(): Connection {
    return this.#connection;
  }

  /** Messages typed here that the server has not yet answered. */
  get pending(): number {
    return this.#pending;
  }

  /** This client's id (the session's `clientId`), so that its own messages in History show as its own. */
  setClientId(clientId: string): void {
    this.#clientId = clientId;
  }

  /** Shows what the session reported. */
  apply(event: ClientEvent): void {
    switch (event.type) {
      case "connected":
        this.#connection = { state: "online" };
        this.#connectedTo = event.address;
        this.#me = inert(event.displayName);
        if (event.handle) this.#handles.add(event.handle);
        this.#resync(event.groups);
        this.#notice(this.#current, lineText(renderEvent(event).text));
        this.#wantHistory(this.#current);
        break;
      case "offline":
        this.#connection = {
          state: "offline",
          retryAtMs: this.#now() + event.retryMs,
          // The line without its last part, which the status bar says with a countdown.
          reason: inert(
            lineText(renderEvent(event).text).replace(/; (?:retrying in|trying) [^;]*$/, ""),
          ),
          ...(event.next === undefined ? {} : { next: inert(event.next) }),
        };
        break;
      case "online":
        this.#connection = { state: "online" };
        break;
      case "queued":
        break;
      case "message":
        this.#receive(event.message);
        break;
      case "refused": {
        // The message's own entry is marked by its send's rejection (see `sending`).
        this.#notice(this.#room(event.group), `not sent: ${event.details}`, true);
        break;
      }
      case "ended":
        this.#connection = { state: "ended", reason: inert(event.details) };
        this.#notice(this.#current, lineText(renderEvent(event).text), true);
        break;
      case "room-event":
        this.#roomEvent(event);
        break;
      case "history-rewound": {
        // What the server no longer has is no longer shown; the numbers will be used again.
        const room = this.#room(event.group);
        room.entries = room.entries.filter((e) => e.kind !== "message" || e.seq <= event.lastSeq);
        room.seqs = new Set([...room.seqs].filter((seq) => seq <= event.lastSeq));
        room.readSeq = Math.min(room.readSeq, event.lastSeq);
        this.#notice(room, lineText(renderEvent(event).text));
        break;
      }
      default:
        this.#notice(this.#current, lineText(renderEvent(event).text));
    }
    this.onChange(false);
  }

  /** Shows the answer to a command, in the current room's pane; follows a change of room. */
  result(result: CommandResult): void {
    switch (result.kind) {
      case "created":
      case "joined": {
        const room = this.#room(result.room.name);
        // A room made now is new, whatever an earlier room of its name showed.
        if (result.kind === "created") room.reset();
        room.member = true;
        this.#switch(room, false);
        break;
      }
      case "current":
        this.#switch(this.#room(result.room), false);
        break;
      case "left": {
        const room = this.#find(result.room);
        if (room) this.#out(room, result.deleted);
        break;
      }
      case "members":
        for (const m of result.members) if (m.handle) this.#handles.add(m.handle);
        break;
      case "room-list":
        break;
    }
    for (const line of renderResult(result)) {
      const error = result.kind === "refused" || result.kind === "unreachable" ||
        result.kind === "failed" || result.kind === "usage" || result.kind === "unknown";
      this.#notice(this.#current, lineText(line.text), error);
    }
    this.onChange(false);
  }

  /**
   * Shows a message typed here at once, marked as on its way until `stored` settles: then as
   * sent (with its sequence, so History will not show it again), or as refused.
   */
  sending(room: string, text: string, stored: Promise<{ seq: number }>): void {
    const view = this.#room(room);
    const entry: MessageEntry = {
      kind: "message",
      seq: 0,
      time: this.#time.format(this.#now()),
      sender: this.#me,
      hue: 0,
      text: inert(text),
      own: "pending",
    };
    this.#pending++;
    view.scroll = 0;
    this.#append(view, entry);
    stored.then(
      ({ seq }) => {
        entry.own = "sent";
        entry.seq = seq;
        view.seqs.add(seq);
      },
      () => {
        entry.own = "refused";
      },
    ).finally(() => {
      this.#pending--;
      entry.rows = undefined;
      this.onChange(false);
    });
    this.onChange(true);
  }

  /**
   * Adds a page of `room`'s History (oldest first), asked for by `request`, above what is shown.
   * A page that no longer fits (the room started afresh, or its oldest entries were dropped
   * meanwhile) is left out: the pane asks again for what it needs.
   */
  historyPage(
    request: { room: string; beforeSeq: number; epoch: number },
    messages: readonly ChatMessage[],
    more: boolean,
  ): void {
    const view = this.#room(request.room);
    if (view.epoch !== request.epoch) return;
    view.loading = false;
    const oldest = view.oldestSeq;
    if (request.beforeSeq !== 0 && request.beforeSeq !== oldest) {
      this.onChange(false);
      return;
    }
    const older = messages.filter((m) => (oldest === 0 || m.seq < oldest) && !view.seqs.has(m.seq));
    const entries = older.map((m) => this.#messageEntry(m));
    for (const m of older) view.seqs.add(m.seq);
    view.entries.unshift(...entries);
    view.more = more;
    if (!more) {
      view.entries.unshift({
        kind: "notice",
        text: `the start of ${inert(view.name)}`,
        error: false,
      });
    }
    this.onChange(false);
  }

  /** A History page could not be read: says why, and stops asking until the next PageUp. */
  historyFailed(request: { room: string; epoch: number }, error: unknown): void {
    const view = this.#room(request.room);
    if (view.epoch !== request.epoch) return;
    view.loading = false;
    view.blocked = true;
    this.#notice(
      view,
      `cannot read earlier messages of ${request.room}: ${messageOf(error)}`,
      true,
    );
    this.onChange(false);
  }

  /** The session is leaving: the status bar says so until the screen closes. */
  leaving(): void {
    this.#connection = { state: "leaving" };
    this.onChange(true);
  }

  /** `room` became current (the front end moved typed lines there); it joins the list if new. */
  entered(room: string): void {
    this.#switch(this.#room(room), false);
    this.onChange(true);
  }

  /** `/history N`: reads N messages of the current room before the oldest shown. */
  older(limit: number): void {
    const room = this.#current;
    room.blocked = false;
    if (!room.more) {
      this.#notice(room, `no earlier messages in ${room.name}`);
    } else if (this.#connection.state !== "online") {
      this.#notice(room, `/history not done: not connected`, true);
    } else if (!room.loading) {
      this.#wantHistory(room, limit);
    }
    this.onChange(true);
  }

  /**
   * Text the terminal marked as pasted (bracketed paste): it goes into the input line as it
   * is, its line breaks as spaces, and is sent only when Enter is pressed.
   */
  paste(text: string): void {
    this.input.insert(text);
    this.onChange(true);
  }

  /** What Tab completes from. */
  candidates(): {
    commands: readonly string[];
    rooms: readonly string[];
    handles: readonly string[];
  } {
    return {
      commands: COMMAND_NAMES,
      // As the server names them, and inert: a completion goes into the input row as it is.
      rooms: this.rooms.map(inert),
      handles: [...this.#handles].map(inert),
    };
  }

  /**
   * A key the person pressed (ink's `useInput`): edits the input line, scrolls, switches
   * rooms, or asks the front end to send or quit (through `onRequest`).
   */
  key(input: string, key: Key): void {
    // deno-lint-ignore no-control-regex
    if (input.length > 1 && !key.ctrl && !key.meta && /[\x00-\x1f\x7f]/.test(input)) {
      // Keys typed faster than they are read (a busy moment, a slow link) come as one chunk,
      // `hi\r\x0e`, which ink passes on whole: each control character in it is its key (Enter,
      // Ctrl-N, ...), in order. A paste comes through {@link paste}, kept one line.
      // deno-lint-ignore no-control-regex
      for (const part of input.split(/([\x00-\x1f\x7f])/)) {
        if (part === "") continue;
        const code = part.length === 1 ? part.charCodeAt(0) : -1;
        if (code === 0x0d || code === 0x0a) this.key("", { return: true });
        else if (code === 0x09) this.key("", { tab: true });
        else if (code === 0x7f || code === 0x08) this.key("", { backspace: true });
        else if (code >= 0x01 && code <= 0x1a) {
          this.key(String.fromCharCode(code + 96), { ctrl: true });
        } else if (code === -1 || code > 0x1f) this.key(part, {});
      }
      return;
    }
    const line = this.input;
    if (key.ctrl && input === "c") {
      const now = this.#now();
      if (now - this.#ctrlCAtMs <= CTRL_C_WINDOW_MS) {
        this.onRequest({ kind: "quit-now" });
        return;
      }
      this.#ctrlCAtMs = now;
      const unsent = this.#pending ? ` (${this.#pending} not yet sent would be lost)` : "";
      this.#notice(
        this.#current,
        `press Ctrl-C again to leave at once${unsent}; Ctrl-D or /quit leaves after sending`,
      );
    } else if (key.ctrl && input === "d") {
      if (line.text === "") this.onRequest({ kind: "quit" });
      else line.deleteForward();
    } else if (key.return) {
      const text = line.submit();
      if (text.trim() !== "") this.onRequest({ kind: "line", text });
    } else if (key.tab) {
      line.complete(this.candidates());
    } else if (key.pageUp) {
      this.#current.blocked = false;
      this.#scrollBy(this.#current, Math.max(1, this.#paneHeight - 1));
    } else if (key.pageDown) {
      this.#scrollBy(this.#current, -Math.max(1, this.#paneHeight - 1));
    } else if (key.upArrow) {
      line.historyUp();
    } else if (key.downArrow) {
      line.historyDown();
    } else if (key.leftArrow) {
      if (key.ctrl || key.meta) line.wordLeft();
      else line.left();
    } else if (key.rightArrow) {
      if (key.ctrl || key.meta) line.wordRight();
      else line.right();
    } else if (key.home) {
      line.home();
    } else if (key.end) {
      line.end();
    } else if (key.backspace) {
      line.backspace();
    } else if (key.delete) {
      // ink reports DEL (0x7f, what Backspace sends) as `backspace`; `delete` is the Delete key.
      line.deleteForward();
    } else if (key.meta && /^[1-9]$/.test(input)) {
      const room = this.rooms[Number(input) - 1];
      if (room) this.onRequest({ kind: "switch", room });
    } else if (key.meta && (input === "b" || input === "f")) {
      if (input === "b") line.wordLeft();
      else line.wordRight();
    } else if (key.ctrl) {
      switch (input) {
        case "n":
        case "p": {
          const rooms = this.rooms;
          const at = rooms.indexOf(this.#current.name);
          const next = rooms[(at + (input === "n" ? 1 : -1) + rooms.length) % rooms.length];
          if (next) this.onRequest({ kind: "switch", room: next });
          break;
        }
        case "a":
          line.home();
          break;
        case "e":
          line.end();
          break;
        case "b":
          line.left();
          break;
        case "f":
          line.right();
          break;
        case "u":
          line.deleteToStart();
          break;
        case "k":
          line.deleteToEnd();
          break;
        case "w":
          line.deleteWordBefore();
          break;
        case "l":
          break; // a redraw: onChange below does it
      }
    } else if (!key.escape && !key.meta && input) {
      line.insert(input);
    }
    this.onChange(true);
  }

  /**
   * The screen for a terminal of `width` × `height`. Laying out the current room marks what
   * it shows at the bottom as read, and asks for an older History page when the pane is
   * scrolled to the top of what is loaded.
   */
  screen(width: number, height: number): Screen {
    width = Math.max(width, 10);
    height = Math.max(height, 3);
    const paneHeight = height - 2;
    this.#paneHeight = paneHeight;
    const names = this.rooms;
    const roomsWidth = width >= MIN_WIDTH_FOR_ROOM_LIST
      ? Math.min(
        24,
        Math.max(12, ...names.map((n) => cellWidth(inert(n)) + 8)),
      )
      : 0;
    const paneWidth = width - (roomsWidth ? roomsWidth + 1 : 0);
    this.#paneWidth = paneWidth;
    const pane = this.#paneRows(this.#current, paneWidth, paneHeight);
    const rooms = roomsWidth ? this.#roomRows(names, roomsWidth, paneHeight) : [];
    const status = this.#statusRow(width);
    const prompt = truncate(`[${inert(this.#current.name)}] `, Math.floor(width / 3));
    const promptWidth = cellWidth(prompt);
    const view = this.input.view(Math.max(2, width - promptWidth));
    return {
      width,
      height,
      roomsWidth,
      rooms,
      pane,
      status,
      input: [{ text: prompt, style: "prompt" }, { text: view.text, style: "plain" }],
      cursorColumn: promptWidth + view.cursorColumn,
    };
  }

  #find(name: string): RoomView | undefined {
    return this.#rooms.get(name.toLowerCase());
  }

  /** The room named `name` (room names are case-insensitive), added to the list if new. */
  #room(name: string): RoomView {
    let room = this.#find(name);
    if (!room) {
      room = new RoomView(name);
      this.#rooms.set(name.toLowerCase(), room);
    }
    return room;
  }

  #switch(room: RoomView, request: boolean): void {
    if (room === this.#current) return;
    if (request) {
      this.onRequest({ kind: "switch", room: room.name });
      return;
    }
    this.#current = room;
    room.scroll = 0;
    this.#wantHistory(room);
  }

  /** Asks for an older page of `room` when there may be one and none is on its way. */
  #wantHistory(room: RoomView, limit = DEFAULT_HISTORY_PAGE): void {
    if (!room.more || room.loading || room.blocked || !room.member) return;
    if (this.#connection.state !== "online") return;
    room.loading = true;
    this.onRequest({
      kind: "history",
      room: room.name,
      beforeSeq: room.oldestSeq,
      limit,
      epoch: room.epoch,
    });
  }

  /** Room events missed while offline: the server's list is what this client is in. */
  #resync(groups: readonly GroupInfo[]): void {
    const member = new Set(groups.filter((g) => g.member).map((g) => g.name.toLowerCase()));
    for (const room of this.#rooms.values()) room.member = member.has(room.name.toLowerCase());
    for (const group of groups) if (group.member) this.#room(group.name).member = true;
  }

  /** This client is out of `room`: nothing of it is unread; a deleted room is forgotten. */
  #out(room: RoomView, deleted: boolean): void {
    room.member = false;
    room.unread = 0;
    if (deleted) room.reset();
  }

  /**
   * Adds `entry` at the end of `room` (a message: in sequence order, which the stream and a
   * History page answered first may not give). A pane scrolled back stays where it is.
   */
  #append(room: RoomView, entry: Entry): void {
    let at = room.entries.length;
    if (entry.kind === "message" && entry.seq > 0) {
      for (let i = room.entries.length - 1; i >= 0; i--) {
        const other = room.entries[i];
        if (other.kind !== "message" || other.seq === 0) continue;
        if (other.seq < entry.seq) break;
        at = i;
      }
    }
    room.entries.splice(at, 0, entry);
    if (room.scroll > 0) room.scroll += this.#rowsOf(entry, this.#paneWidth).length;
    room.trim();
  }

  #scrollBy(room: RoomView, rows: number): void {
    room.scroll = Math.max(0, room.scroll + rows);
  }

  #receive(message: ReceivedMessage): void {
    const room = this.#room(message.group);
    if (room.seqs.has(message.seq)) return;
    if (message.senderHandle) this.#handles.add(message.senderHandle);
    room.seqs.add(message.seq);
    this.#append(room, this.#messageEntry(message));
    // In the room shown, the layout counts what is below the pane (see #paneRows).
    if (room !== this.#current && message.seq > room.readSeq) room.unread++;
  }

  #messageEntry(message: ChatMessage | ReceivedMessage): MessageEntry {
    const own = this.#clientId !== "" && message.senderId === this.#clientId;
    return {
      kind: "message",
      seq: message.seq,
      time: this.#time.format(message.sentAtMs),
      sender: inert(displayName({
        name: message.senderName,
        id: message.senderId,
        handle: message.senderHandle,
      })),
      hue: hueOf(message.senderId),
      text: inert(message.text),
      own: own ? "sent" : undefined,
    };
  }

  #roomEvent(event: Extract<ClientEvent, { type: "room-event" }>): void {
    const room = this.#room(event.group);
    if (event.event.member.handle) this.#handles.add(event.event.member.handle);
    const kind = event.event.kind;
    if (event.self) {
      if (kind === RoomEventKind.JOINED) room.member = true;
      if (kind === RoomEventKind.LEFT || kind === RoomEventKind.REMOVED) this.#out(room, false);
    }
    if (kind === RoomEventKind.DELETED) this.#out(room, true);
    // An invitation is for a room this client is not in: told where the person is.
    const where = kind === RoomEventKind.INVITED && event.self ? this.#current : room;
    this.#notice(where, lineText(renderEvent(event).text), false);
  }

  #notice(room: RoomView, text: string, error = false): void {
    this.#append(room, { kind: "notice", text: inert(text), error });
  }

  /** The rows of `entry` in `width` columns (kept until the width changes). */
  #rowsOf(entry: Entry, width: number): Row[] {
    if (entry.rows && entry.rowsWidth === width) return entry.rows;
    const rows: Row[] = [];
    if (entry.kind === "notice") {
      const style: Style = entry.error ? "error" : "notice";
      // Continuation rows are indented under the text, past the `* `.
      wrap(entry.text, Math.max(1, width - 2)).forEach((text, i) =>
        rows.push([{ text: `${i === 0 ? "* " : "  "}${text}`, style }])
      );
    } else {
      const timeWidth = cellWidth(entry.time) + 1;
      const bodyWidth = Math.max(1, width - timeWidth);
      const senderStyle: Style = entry.own ? "self" : "sender";
      const textStyle: Style = entry.own === "pending"
        ? "pending"
        : entry.own === "refused"
        ? "error"
        : "plain";
      const head = `${entry.sender}: `;
      wrap(`${head}${entry.text}`, bodyWidth).forEach((text, i) => {
        const time = i === 0 ? `${entry.time} ` : " ".repeat(timeWidth);
        const row: Row = [{ text: time, style: "time" }];
        if (i === 0) {
          // The sender keeps its colour; a name too long for one row colours all of the first.
          const name = text.startsWith(head) ? head.length : text.length;
          row.push({ text: text.slice(0, name), style: senderStyle, hue: entry.hue });
          text = text.slice(name);
        }
        if (text) row.push({ text, style: textStyle });
        rows.push(row);
      });
    }
    entry.rows = rows;
    entry.rowsWidth = width;
    return rows;
  }

  /**
   * The `height` rows of `room` ending `room.scroll` rows above its newest, from the bottom up:
   * only what is shown (and what is scrolled past below it) is laid out. In the room shown,
   * what reaches the pane is read, and the messages of others wholly below it are unread.
   */
  #paneRows(room: RoomView, width: number, height: number): Row[] {
    const rows: Row[] = [];
    let skip = room.scroll;
    let below = 0;
    let bottomSeq = 0;
    let i = room.entries.length - 1;
    for (; i >= 0 && rows.length < height; i--) {
      const entry = room.entries[i];
      const entryRows = this.#rowsOf(entry, width);
      let shown = false;
      for (let r = entryRows.length - 1; r >= 0 && rows.length < height; r--) {
        if (skip > 0) {
          skip--;
          continue;
        }
        shown = true;
        rows.push(entryRows[r]);
      }
      if (entry.kind !== "message" || entry.seq === 0) continue;
      if (shown && bottomSeq === 0) bottomSeq = entry.seq;
      else if (!shown && !entry.own && entry.seq > room.readSeq) below++;
    }
    const atTop = i < 0 && rows.length < height;
    if (atTop && room.scroll > 0 && (skip > 0 || !room.more)) {
      // Scrolled past the oldest row (of what is loaded, or of the room): the oldest row stops
      // at the top of the pane, instead of blank rows above it or a blank pane. (Past what is
      // loaded but not past a whole pane, the rows above fill as the older page comes.)
      room.scroll = Math.max(0, room.scroll - skip - (height - rows.length));
      return this.#paneRows(room, width, height);
    }
    if (atTop || (i < 0 && rows.length === height && room.scroll > 0)) this.#wantHistory(room);
    if (room === this.#current) {
      room.readSeq = Math.max(room.readSeq, bottomSeq);
      room.unread = below;
    }
    rows.reverse();
    while (rows.length < height) rows.unshift([]);
    return rows;
  }

  #roomRows(names: string[], width: number, height: number): Row[] {
    const rows: Row[] = [];
    const at = names.indexOf(this.#current.name);
    // The current room stays in sight when there are more rooms than rows.
    const first = Math.max(0, Math.min(at - height + 1, names.length - height));
    for (let i = Math.max(0, first); i < names.length && rows.length < height; i++) {
      const name = names[i];
      const current = i === at;
      const unread = this.unread(name);
      const number = i < 9 ? `${i + 1}` : " ";
      const count = unread > 0 ? ` ${unread > 999 ? "999+" : unread}` : "";
      const label = `${current ? ">" : " "}${number} `;
      const nameWidth = width - cellWidth(label) - cellWidth(count);
      const row: Row = [
        { text: label, style: current ? "current-room" : "room" },
        {
          text: padEnd(inert(name), Math.max(0, nameWidth)),
          style: current ? "current-room" : "room",
        },
      ];
      if (count) row.push({ text: count, style: "unread" });
      rows.push(row);
    }
    while (rows.length < height) rows.push([{ text: " ".repeat(width), style: "room" }]);
    return rows;
  }

  #statusRow(width: number): Row {
    const connection = this.#connection;
    let state: string;
    let alert = false;
    switch (connection.state) {
      case "connecting":
        state = `connecting to ${inert(this.#addresses[0] ?? "")}`;
        break;
      case "online":
        // With several addresses, which one: the session may have moved.
        state = this.#addresses.length > 1 ? `online at ${inert(this.#connectedTo)}` : "online";
        break;
      case "offline": {
        // Told once per outage: after the first retry it goes on retrying, without a count.
        const seconds = Math.ceil((connection.retryAtMs - this.#now()) / 1000);
        const after = seconds > 0 ? ` in ${seconds} s` : "";
        state = connection.next === undefined
          ? `${connection.reason}; retrying${after}`
          : `${connection.reason}; trying ${connection.next}${after}`;
        alert = true;
        break;
      }
      case "ended":
        state = `ended: ${connection.reason}`;
        alert = true;
        break;
      case "leaving":
        state = "leaving";
        break;
    }
    const waiting = this.#pending
      ? ` · ${this.#pending} ${connection.state === "online" ? "sending" : "queued"}`
      : "";
    const unreadElsewhere = [...this.#rooms.values()]
      .filter((r) => r !== this.#current && r.member)
      .reduce((sum, r) => sum + r.unread, 0);
    const elsewhere = unreadElsewhere ? ` · ${unreadElsewhere} unread elsewhere` : "";
    // The connection first: on a narrow terminal the end is what is cut.
    const text = ` ${state}${waiting} · ${this.#me} · ${inert(this.#current.name)}${elsewhere}`;
    return [{ text: padEnd(text, width), style: alert ? "status-alert" : "status" }];
  }
}

/** A line-mode status line without its `* ` prefix. */
function lineText(text: string): string {
  return text.startsWith("* ") ? text.slice(2) : text;
}
