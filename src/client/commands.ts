/**
 * The commands a person types (`/join dev`, `/history 50`, ...), for any front end: a typed
 * line becomes a typed {@link Command} (or a {@link UsageError} naming what is wrong), and a
 * {@link CommandRunner} carries it out against a session and answers with a typed
 * {@link CommandResult}. How a result looks is the front end's business (`line.ts`).
 *
 * A line that does not start with `/` is a message for the current room; `//` at the start
 * sends a line that starts with `/`.
 *
 * @example
 * ```ts ignore
 * const runner = new CommandRunner(session, "general");
 * const parsed = parseLine("/join dev");
 * if (parsed) renderResult(await runner.run(parsed)).forEach(printLine);
 * runner.room; // "dev"
 * ```
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  type ChatMessage,
  HistoryVisibility,
  type Member,
  Role,
  type RoomInfo,
  Visibility,
} from "../protocol/proto.ts";
import { messageOf } from "../shared/errors.ts";
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from "../shared/limits.ts";
import { checkGroupName, checkHandle } from "../shared/validate.ts";
import { detailsOf, RefusedError } from "./calls.ts";
import type { RoomHistory, RoomVisibility } from "./events.ts";
import type { ChatSession } from "./session.ts";

/** A line that is not a command: a message for the current room. */
export interface SendCommand {
  kind: "send";
  text: string;
}

/** `/create ROOM [invite] [since-join]`: make a room, which becomes the current one. */
export interface CreateCommand {
  kind: "create";
  room: string;
  visibility: RoomVisibility;
  history: RoomHistory;
}

/** `/invite ROOM [HANDLE]`: invite an account, or (no handle) make a one-time code. */
export interface InviteCommand {
  kind: "invite";
  room: string;
  /** Without its `@`; empty for a one-time code. */
  handle: string;
}

/** `/join ROOM [CODE]`: join a room, which becomes the current one. */
export interface JoinCommand {
  kind: "join";
  room: string;
  /** A one-time invite code; empty for none. */
  code: string;
}

/** `/leave ROOM`. */
export interface LeaveCommand {
  kind: "leave";
  room: string;
}

/** `/kick ROOM HANDLE`: remove a member. */
export interface KickCommand {
  kind: "kick";
  room: string;
  handle: string;
}

/** `/op ROOM HANDLE [owner]`: make a member an admin, or an owner. */
export interface OpCommand {
  kind: "op";
  room: string;
  handle: string;
  role: typeof Role.ADMIN | typeof Role.OWNER;
}

/** `/deop ROOM HANDLE`: make an admin or an owner a plain member. */
export interface DeopCommand {
  kind: "deop";
  room: string;
  handle: string;
}

/** `/history [N]`: the page of the current room before what `/history` showed last. */
export interface HistoryCommand {
  kind: "history";
  /** 1 to {@link MAX_HISTORY_PAGE}. */
  count: number;
}

/** `/who [ROOM]`: who is online in a room. */
export interface WhoCommand {
  kind: "who";
  /** Undefined for the current room. */
  room?: string;
}

/** `/rooms`: the rooms this client is in, and those it can join. */
export interface RoomsCommand {
  kind: "rooms";
}

/** `/to ROOM`: the room typed lines go to. */
export interface ToCommand {
  kind: "to";
  room: string;
}

/** `/link`, `/help` or `/quit`: commands without arguments. */
export interface PlainCommand {
  kind: "link" | "help" | "quit";
}

/** Everything a typed line can ask for. */
export type Command =
  | SendCommand
  | CreateCommand
  | InviteCommand
  | JoinCommand
  | LeaveCommand
  | KickCommand
  | OpCommand
  | DeopCommand
  | HistoryCommand
  | WhoCommand
  | RoomsCommand
  | ToCommand
  | PlainCommand;

/** The name of a command, as typed after `/`. */
export type CommandName = Exclude<Command["kind"], "send">;

/** A known command with arguments it does not take. */
export interface UsageError {
  kind: "usage";
  command: CommandName;
  /** The command's syntax, e.g. `/join ROOM [CODE]`. */
  usage: string;
  /** What is wrong with an argument, naming it; undefined when their number is wrong. */
  problem?: string;
}

/** A line that starts with `/` but names no command. */
export interface UnknownCommand {
  kind: "unknown";
  /** What was typed after the `/`, up to the first blank. */
  name: string;
}

/** What {@link parseLine} makes of a line. */
export type ParsedLine = Command | UsageError | UnknownCommand;

/** One command's syntax and what it does, for `/help`. */
export interface CommandHelp {
  syntax: string;
  description: string;
}

/** Every command, in the order `/help` lists them. */
export const COMMAND_HELP: readonly CommandHelp[] = [
  {
    syntax: "/create ROOM [invite] [since-join]",
    description:
      "make a room and write to it (invite: invited accounts only; since-join: newcomers see no earlier messages)",
  },
  {
    syntax: "/join ROOM [CODE]",
    description: "join a room (CODE: a one-time invite code) and write to it",
  },
  { syntax: "/leave ROOM", description: "leave a room (its last member deletes it)" },
  { syntax: "/invite ROOM HANDLE", description: "invite an account to a room (owners and admins)" },
  {
    syntax: "/invite ROOM",
    description: "make a one-time invite code for a room (owners and admins)",
  },
  {
    syntax: "/kick ROOM HANDLE",
    description: "remove a member from a room (owners; admins remove members)",
  },
  {
    syntax: "/op ROOM HANDLE [owner]",
    description: "make a member an admin, or an owner (owners)",
  },
  { syntax: "/deop ROOM HANDLE", description: "make an admin or an owner a plain member (owners)" },
  {
    syntax: "/history [N]",
    description:
      `earlier messages of the current room, N at a time (default ${DEFAULT_HISTORY_PAGE}, at most ${MAX_HISTORY_PAGE}); again for more`,
  },
  { syntax: "/who [ROOM]", description: "who is online in a room (the current one by default)" },
  { syntax: "/rooms", description: "the rooms you are in, then those you can join" },
  { syntax: "/to ROOM", description: "write your lines to ROOM" },
  { syntax: "/link", description: "a code that links another device to your account" },
  { syntax: "/help", description: "this list" },
  { syntax: "/quit", description: "leave once what you typed is sent, as end of input does" },
  { syntax: "//TEXT", description: "send a line that starts with /" },
];

const USAGE: Record<CommandName, string> = {
  create: "/create ROOM [invite] [since-join]",
  invite: "/invite ROOM [HANDLE]",
  join: "/join ROOM [CODE]",
  leave: "/leave ROOM",
  kick: "/kick ROOM HANDLE",
  op: "/op ROOM HANDLE [owner]",
  deop: "/deop ROOM HANDLE",
  history: "/history [N]",
  who: "/who [ROOM]",
  rooms: "/rooms",
  to: "/to ROOM",
  link: "/link",
  help: "/help",
  quit: "/quit",
};

/** Raised inside the parser for an argument that cannot be; becomes a {@link UsageError}. */
class BadArgument extends Error {}

function room(value: string): string {
  const problem = checkGroupName(value);
  if (problem) throw new BadArgument(`room ${JSON.stringify(value)}: ${problem}`);
  return value;
}

/** A handle as typed, with or without its `@`. */
function handle(value: string): string {
  const bare = value.startsWith("@") ? value.slice(1) : value;
  const problem = checkHandle(bare);
  if (problem) throw new BadArgument(`handle ${JSON.stringify(value)}: ${problem}`);
  return bare;
}

function count(value: string): number {
  const n = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_HISTORY_PAGE)) {
    throw new BadArgument(`${JSON.stringify(value)} is not a number from 1 to ${MAX_HISTORY_PAGE}`);
  }
  return n;
}

/** The command `name` with `args`, or undefined when their number is wrong. */
function commandOf(name: CommandName, args: string[]): Command | undefined {
  const [first, second, third] = args;
  const n = args.length;
  switch (name) {
    case "create": {
      if (n < 1 || n > 3) return undefined;
      const options = new Set<string>();
      for (const option of args.slice(1)) {
        if ((option !== "invite" && option !== "since-join") || options.has(option)) {
          const why = options.has(option) ? "given twice" : "not invite or since-join";
          throw new BadArgument(`option ${JSON.stringify(option)} is ${why}`);
        }
        options.add(option);
      }
      return {
        kind: "create",
        room: room(first),
        visibility: options.has("invite") ? Visibility.INVITE_ONLY : Visibility.OPEN,
        history: options.has("since-join")
          ? HistoryVisibility.HISTORY_SINCE_JOIN
          : HistoryVisibility.HISTORY_ALL,
      };
    }
    case "invite":
      if (n < 1 || n > 2) return undefined;
      return { kind: "invite", room: room(first), handle: n === 2 ? handle(second) : "" };
    case "join":
      if (n < 1 || n > 2) return undefined;
      return { kind: "join", room: room(first), code: second ?? "" };
    case "leave":
      return n === 1 ? { kind: "leave", room: room(first) } : undefined;
    case "kick":
      return n === 2 ? { kind: "kick", room: room(first), handle: handle(second) } : undefined;
    case "op":
      if (n < 2 || n > 3) return undefined;
      if (n === 3 && third !== "owner") {
        throw new BadArgument(`${JSON.stringify(third)} is not owner`);
      }
      return {
        kind: "op",
        room: room(first),
        handle: handle(second),
        role: n === 3 ? Role.OWNER : Role.ADMIN,
      };
    case "deop":
      return n === 2 ? { kind: "deop", room: room(first), handle: handle(second) } : undefined;
    case "history":
      if (n > 1) return undefined;
      return { kind: "history", count: n === 1 ? count(first) : DEFAULT_HISTORY_PAGE };
    case "who":
      if (n > 1) return undefined;
      return n === 1 ? { kind: "who", room: room(first) } : { kind: "who" };
    case "to":
      return n === 1 ? { kind: "to", room: room(first) } : undefined;
    case "rooms":
    case "link":
    case "help":
    case "quit":
      return n === 0 ? { kind: name } : undefined;
  }
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(USAGE, name);
}

/**
 * What `line` asks for: a command, a usage error, an unknown command, or a message to send;
 * undefined for a blank line. Command names are matched without case; arguments are
 * separated by blanks.
 *
 * @example
 * ```ts
 * parseLine("/join dev"); // { kind: "join", room: "dev", code: "" }
 * parseLine("//shrug"); // { kind: "send", text: "/shrug" }
 * parseLine("/kick dev"); // { kind: "usage", command: "kick", usage: "/kick ROOM HANDLE" }
 * ```
 */
export function parseLine(line: string): ParsedLine | undefined {
  const trimmed = line.trim();
  if (trimmed === "") return undefined;
  if (!trimmed.startsWith("/")) return { kind: "send", text: line };
  // Only the first slash goes: the rest of the line is sent as typed.
  if (trimmed.startsWith("//")) return { kind: "send", text: line.replace("/", "") };
  const [head, ...args] = trimmed.split(/\s+/);
  const name = head.slice(1).toLowerCase();
  if (!isCommandName(name)) return { kind: "unknown", name: head.slice(1) };
  const usage = USAGE[name];
  try {
    return commandOf(name, args) ?? { kind: "usage", command: name, usage };
  } catch (error) {
    if (!(error instanceof BadArgument)) throw error;
    return { kind: "usage", command: name, usage, problem: error.message };
  }
}

/** The session calls the runner makes: a {@link ChatSession}, or a test's stand-in. */
export type CommandSession = Pick<
  ChatSession,
  | "send"
  | "settled"
  | "createRoom"
  | "joinRoom"
  | "leaveRoom"
  | "inviteToRoom"
  | "removeMember"
  | "setRole"
  | "history"
  | "listRooms"
  | "listMembers"
  | "createLinkCode"
>;

/** What a carried-out command answers; see {@link CommandResult}. */
export type CommandOutcome =
  /** A message was queued for `room`; its refusal, if any, comes as a `refused` event. */
  | { kind: "sending"; room: string; text: string }
  /** The room was made and is now the current one. */
  | { kind: "created"; room: RoomInfo }
  /** The room was joined and is now the current one. */
  | { kind: "joined"; room: RoomInfo }
  /** `deleted`: this was its last member. `current`: it is still the room lines go to. */
  | { kind: "left"; room: string; deleted: boolean; current: boolean }
  | { kind: "invited"; room: string; handle: string }
  | { kind: "invite-code"; room: string; code: string; expiresAtMs: number }
  | { kind: "removed"; room: string; member: Member }
  /** The member with its role now. */
  | { kind: "role-set"; room: string; member: Member }
  /**
   * A page of history, oldest first; empty when nothing earlier is left. `more`: older
   * messages remain.
   */
  | { kind: "history-page"; room: string; messages: ChatMessage[]; more: boolean }
  | { kind: "members"; room: string; members: Member[] }
  | { kind: "room-list"; rooms: RoomInfo[] }
  /** `/to`: lines now go to `room`. */
  | { kind: "current"; room: string }
  | { kind: "link-code"; code: string; expiresAtMs: number }
  | { kind: "help-list"; commands: readonly CommandHelp[] }
  /** `/quit`: the front end leaves as at the end of input. */
  | { kind: "quit" }
  /** The server refused the command (or a bound of the server's stopped it). */
  | { kind: "refused"; command: Command; code: grpc.status; details: string }
  /** The server could not be reached; the command was not done, and is not queued. */
  | { kind: "unreachable"; command: Command; details: string }
  /** Anything else that went wrong (the session closed; a server that breaks chat.proto). */
  | { kind: "failed"; command: Command; details: string };

/** What {@link CommandRunner.run} answers: an outcome, or the parser's error passed on. */
export type CommandResult = CommandOutcome | UsageError | UnknownCommand;

/** Statuses that mean the server was not reached, or did not answer in time. */
const AWAY: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
]);

/**
 * Commands that need not wait for the lines typed before them: a message queues behind them
 * in the outbox, which sends in order, and the others do not call the server.
 */
const UNORDERED: ReadonlySet<Command["kind"]> = new Set(["send", "to", "help", "quit"]);

/** The failure of `command` as a result. */
function failureOf(command: Command, error: unknown): CommandOutcome {
  if (error instanceof RefusedError) {
    return { kind: "refused", command, code: error.code, details: error.message };
  }
  const code = (error as grpc.ServiceError)?.code;
  if (typeof code !== "number") return { kind: "failed", command, details: messageOf(error) };
  if (AWAY.has(code)) return { kind: "unreachable", command, details: detailsOf(error) };
  // A bound (too many rooms) or a rate limit: the server's words say which, and when to retry.
  if (code === grpc.status.RESOURCE_EXHAUSTED) {
    return { kind: "refused", command, code, details: detailsOf(error) };
  }
  return { kind: "failed", command, details: detailsOf(error) };
}

/**
 * Carries out commands for one session, and keeps what they change: the room typed lines
 * go to, and how far back `/history` has shown each room.
 *
 * Commands take effect in the order they are run: a message is queued at once (the outbox
 * sends in order), and a command that calls the server first waits until the server has
 * answered every message queued before it ({@link ChatSession.settled}, bounded by the
 * call timeout).
 */
export class CommandRunner {
  #session: CommandSession;
  #room: string;
  /** Per room, the oldest sequence `/history` has shown; the next page ends before it. */
  #oldestShown = new Map<string, number>();

  /** A runner for `session`, whose typed lines go to `room` until a command changes it. */
  constructor(session: CommandSession, room: string) {
    this.#session = session;
    this.#room = room;
  }

  /** The current room: where typed lines go, and what `/history` shows. */
  get room(): string {
    return this.#room;
  }

  /**
   * Carries out `parsed` and says how it went; a usage error or an unknown command is
   * answered as it is. Never rejects: a failure is a result (`refused`, `unreachable`,
   * `failed`).
   */
  async run(parsed: ParsedLine): Promise<CommandResult> {
    if (parsed.kind === "usage" || parsed.kind === "unknown") return parsed;
    try {
      return await this.#execute(parsed);
    } catch (error) {
      return failureOf(parsed, error);
    }
  }

  async #execute(command: Command): Promise<CommandOutcome> {
    const session = this.#session;
    // Commands run in the order typed: first the server answers every line typed before this
    // one (or the wait's bound passes: a server away is then reported by this command's call).
    if (!UNORDERED.has(command.kind)) await session.settled();
    switch (command.kind) {
      case "send": {
        // A refusal is reported as a `refused` event; the rejection needs no more handling.
        session.send(command.text, this.#room).catch(() => {});
        return { kind: "sending", room: this.#room, text: command.text };
      }
      case "create": {
        const { visibility, history } = command;
        const room = await session.createRoom(command.room, { visibility, history });
        this.#enter(room.name);
        return { kind: "created", room };
      }
      case "join": {
        const room = await session.joinRoom(command.room, command.code);
        this.#enter(room.name);
        return { kind: "joined", room };
      }
      case "leave": {
        const { deleted } = await session.leaveRoom(command.room);
        this.#oldestShown.delete(command.room);
        const current = command.room.toLowerCase() === this.#room.toLowerCase();
        return { kind: "left", room: command.room, deleted, current };
      }
      case "invite": {
        const { room, handle } = command;
        const { code, expiresAtMs } = await session.inviteToRoom(room, handle);
        return handle
          ? { kind: "invited", room, handle }
          : { kind: "invite-code", room, code, expiresAtMs };
      }
      case "kick": {
        const member = await session.removeMember(command.room, command.handle);
        return { kind: "removed", room: command.room, member };
      }
      case "op":
      case "deop": {
        const role = command.kind === "op" ? command.role : Role.MEMBER;
        const member = await session.setRole(command.room, command.handle, role);
        return { kind: "role-set", room: command.room, member };
      }
      case "history":
        return await this.#history(command.count);
      case "who": {
        const room = command.room ?? this.#room;
        return { kind: "members", room, members: await session.listMembers(room) };
      }
      case "rooms":
        return { kind: "room-list", rooms: await session.listRooms() };
      case "to":
        this.#room = command.room;
        return { kind: "current", room: command.room };
      case "link":
        return { kind: "link-code", ...await session.createLinkCode() };
      case "help":
        return { kind: "help-list", commands: COMMAND_HELP };
      case "quit":
        return { kind: "quit" };
    }
  }

  async #history(count: number): Promise<CommandOutcome> {
    const room = this.#room;
    // 0 asks for the newest page; after that, each page ends before the last one began.
    const before = this.#oldestShown.get(room) ?? 0;
    const { messages, more } = await this.#session.history(room, before, count);
    if (messages.length > 0) this.#oldestShown.set(room, messages[0].seq);
    return { kind: "history-page", room, messages, more };
  }

  /** `room` (as the server names it) becomes current; its history is shown afresh. */
  #enter(room: string): void {
    this.#room = room;
    this.#oldestShown.delete(room);
  }
}
