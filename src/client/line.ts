/**
 * The line-mode front end: every {@link ClientEvent}, and the few things
 * `client.ts` itself has to say, as the one line a person reads. Received
 * messages go to stdout as `[group] Name#id: text`; everything else goes to
 * stderr, prefixed with `* `. These lines are part of the contract (README,
 * "A session"; tests read them), so they change only on purpose.
 *
 * @module
 */
import { displayName, formatMessage } from "../shared/format.ts";
import { messageOf } from "../shared/errors.ts";
import {
  HistoryVisibility,
  type Member,
  Role,
  RoomEventKind,
  type RoomInfo,
  Visibility,
} from "../protocol/proto.ts";
import { RefusedError } from "./calls.ts";
import type { Command, CommandHelp, CommandResult } from "./commands.ts";
import type {
  ClientEvent,
  ConnectedEvent,
  MemberRole,
  OfflineEvent,
  RoomEventEvent,
  RoomMember,
} from "./events.ts";
import type { CloseReport } from "./session.ts";

/** One line of output and where it goes. */
export interface Line {
  stream: "stdout" | "stderr";
  /** The line without its newline. */
  text: string;
}

/** A status line: stderr, prefixed with `* `. */
function status(text: string): Line {
  return { stream: "stderr", text: `* ${text}` };
}

/** `1 message`, `2 messages`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A role by its name; ROLE_UNSPECIFIED (the operator's groups) as an empty string. */
function roleName(role: MemberRole): string {
  switch (role) {
    case Role.OWNER:
      return "owner";
    case Role.ADMIN:
      return "admin";
    case Role.MEMBER:
      return "member";
    default:
      return "";
  }
}

/** `an admin`, `an owner`, `a member`. */
function withArticle(role: MemberRole): string {
  const name = roleName(role) || "member";
  return `${/^[aeiou]/.test(name) ? "an" : "a"} ${name}`;
}

/** An account as `@bob`; a guest device as `~Bob#c0de` (its name proves nothing). */
function memberName(member: Pick<RoomMember, "handle" | "name" | "clientId">): string {
  return member.handle
    ? `@${member.handle}`
    : displayName({ name: member.name, id: member.clientId });
}

function groupsOf(event: ConnectedEvent): string {
  return event.groups.map((g) => {
    if (!g.member) {
      return `not a member of ${g.name} (you will receive nothing from it and cannot send to it)`;
    }
    const role = roleName(g.role);
    return `${count(g.unread, "unread message")} in ${g.name}${role ? ` (${role})` : ""}`;
  }).join("; ");
}

/** The line for something that happened in a room. */
function roomEventText({ group, event, self }: RoomEventEvent): string {
  const who = self ? "you" : memberName(event.member);
  const by = event.by ? `@${event.by}` : "";
  switch (event.kind) {
    case RoomEventKind.JOINED:
      return `${who} joined ${group}`;
    case RoomEventKind.LEFT:
      return `${who} left ${group}`;
    case RoomEventKind.REMOVED:
      return `${who} ${self ? "were" : "was"} removed from ${group}${by ? ` by ${by}` : ""}`;
    case RoomEventKind.ROLE_CHANGED:
      return `${who} ${self ? "are" : "is"} now ${withArticle(event.member.role)} of ${group}` +
        (by ? ` (by ${by})` : "");
    case RoomEventKind.INVITED:
      if (!self) return `${who} was invited to ${group}${by ? ` by ${by}` : ""}`;
      return `${by ? `${by} invited you` : "you were invited"} to ${group}; type /join ${group}`;
    case RoomEventKind.DELETED:
      return `${group} was deleted`;
    default:
      return `${group}: an event this client does not know (kind ${event.kind})`;
  }
}

/** What failed; naming the address when the client moves to another (one address goes without). */
function offlineReason(event: OfflineEvent): string {
  const at = event.next === undefined ? "" : ` ${event.address}`;
  switch (event.call) {
    case "register":
      return `cannot reach ${event.address} (${event.details})`;
    case "subscribe":
      return `the stream${at && ` from${at}`} ended (${event.details})`;
    case "send":
      return `cannot send${at && ` to${at}`} (${event.details})`;
  }
}

/** `retrying in 0.2 s`; `trying HOST:PORT` (at once), or `trying HOST:PORT in 0.2 s`. */
function offlineRetry(event: OfflineEvent): string {
  const seconds = `${(event.retryMs / 1000).toFixed(1)} s`;
  if (event.next === undefined) return `retrying in ${seconds}`;
  return `trying ${event.next}${event.retryMs > 0 ? ` in ${seconds}` : ""}`;
}

/**
 * The line for `event`.
 *
 * @example
 * ```ts
 * renderEvent({ type: "queued", waiting: 2 });
 * // { stream: "stderr", text: "* queued while offline (2 waiting)" }
 * ```
 */
export function renderEvent(event: ClientEvent): Line {
  switch (event.type) {
    case "message":
      return { stream: "stdout", text: formatMessage(event.message.group, event.message) };
    case "connected":
      return status(
        `connected to ${event.address} as ${event.displayName} ` +
          `(${event.resumed ? "resumed" : "new identity"}); ${groupsOf(event)}` +
          (event.handle ? "" : `; a guest, admitted to open groups only: ${event.guestReason}`),
      );
    case "offline":
      return status(`offline: ${offlineReason(event)}; ${offlineRetry(event)}`);
    case "online":
      return status(`back online${event.queued ? `; sending ${event.queued} queued` : ""}`);
    case "queued":
      return status(`queued while offline (${event.waiting} waiting)`);
    case "refused":
      return status(`not sent: ${event.details}`);
    case "identity-rejected":
      return status(
        `the server does not accept the stored identity (${event.details}); ` +
          "registering as a new client",
      );
    case "ended":
      return status(`the server refused this client: ${event.details}`);
    case "identity-revoked":
      return status(
        `the server no longer accepts this client (${event.details}); registering again`,
      );
    case "subscription-refused":
      return status(`the server refused the subscription (${event.details}); checking in again`);
    case "history-rewound":
      return status(
        `${event.group} ends at #${event.lastSeq} on the server, but this client has printed ` +
          `up to #${event.printedSeq} (was its database restored?); ` +
          `reading on from #${event.lastSeq}`,
      );
    case "state-save-failed":
      return status(
        `cannot save the state file (${event.error}); a restart may print some messages again`,
      );
    case "room-event":
      return status(roomEventText(event));
  }
}

/** The line for a session whose start failed with `error`. */
export function renderStartFailure(error: unknown): Line {
  return status(
    error instanceof RefusedError
      ? `the server refused this client: ${error.message}`
      : `cannot start: ${messageOf(error)}`,
  );
}

/** The line for a state dir that cannot be used (not a status line: the client never started). */
export function renderStateDirFailure(dir: string, error: unknown): Line {
  return {
    stream: "stderr",
    text: `client: cannot use the state dir ${dir}: ${
      messageOf(error)
    }; pick another with -state_dir`,
  };
}

/** The lines for what a closed session left unsent: none when everything went out. */
export function renderCloseReport({ unsent, inDoubt }: CloseReport): Line[] {
  const lines: Line[] = [];
  if (unsent > 0) {
    const were = unsent === 1 ? "message was" : "messages were";
    lines.push(status(`${unsent} ${were} not sent: the server did not acknowledge them`));
  }
  if (inDoubt > 0) {
    const [were, it] = inDoubt === 1 ? ["message was", "it"] : ["messages were", "them"];
    lines.push(
      status(
        `${inDoubt} ${were} being sent as the client stopped: the server may or may not have ${it}`,
      ),
    );
  }
  return lines;
}

/** Writes `line` to its stream. */
export function printLine(line: Line): void {
  if (line.stream === "stdout") console.log(line.text);
  else console.error(line.text);
}

/** A link code made with `/link`: what to do with it on the other device. */
export function renderLinkCode(link: { code: string; expiresAtMs: number }): Line {
  return status(
    `link code ${link.code}: on your other device, start the client once with -link ${link.code} ` +
      `(valid once, ${until(link.expiresAtMs)})`,
  );
}

/**
 * `until 10:42 UTC`: when a one-time code stops working; with its date (`until 2026-12-07
 * 10:42 UTC`) for codes that live for days.
 */
function until(expiresAtMs: number, withDate = false): string {
  const iso = new Date(expiresAtMs).toISOString();
  return `until ${withDate ? `${iso.slice(0, 10)} ` : ""}${iso.slice(11, 16)} UTC`;
}

/** How a command is named in the line that says it failed: `/join dev`, `/kick dev @bob`. */
function commandLabel(command: Command): string {
  switch (command.kind) {
    case "send":
      return "sending";
    case "create":
    case "join":
    case "leave":
    case "to":
      return `/${command.kind} ${command.room}`;
    case "invite":
      return `/invite ${command.room}${command.handle ? ` @${command.handle}` : ""}`;
    case "kick":
    case "deop":
      return `/${command.kind} ${command.room} @${command.handle}`;
    case "op":
      return `/op ${command.room} @${command.handle}${command.role === Role.OWNER ? " owner" : ""}`;
    case "who":
      return command.room ? `/who ${command.room}` : "/who";
    case "history":
    case "rooms":
    case "link":
    case "help":
    case "quit":
      return `/${command.kind}`;
  }
}

/** `open; new members see all of its history`, and the like. */
function roomRules(room: RoomInfo): string {
  const who = room.visibility === Visibility.INVITE_ONLY ? "invite only" : "open";
  const what = room.history === HistoryVisibility.HISTORY_SINCE_JOIN
    ? "new members see messages from when they join"
    : "new members see all of its history";
  return `${who}; ${what}`;
}

/** `dev (owner, 2 unread)` for a room this client is in. */
function myRoom(room: RoomInfo): string {
  const role = roleName(room.role);
  return `${room.name} (${role ? `${role}, ` : ""}${room.unread} unread)`;
}

/** `lobby (open, 4 members)` for a room this client can join. */
function joinableRoom(room: RoomInfo): string {
  const how = room.invited
    ? "invited"
    : room.visibility === Visibility.INVITE_ONLY
    ? "invite only"
    : "open";
  return `${room.name} (${how}${room.members ? `, ${count(room.members, "member")}` : ""})`;
}

/** `@alice (owner, 2 devices)`, `@bob (1 device)`, `~Guest#c0de`. */
function onlineMember(member: Member): string {
  if (!member.handle) return memberName(member);
  const role = member.role === Role.OWNER || member.role === Role.ADMIN
    ? `${roleName(member.role)}, `
    : "";
  return `@${member.handle} (${role}${count(member.devicesOnline, "device")})`;
}

function helpLines(commands: readonly CommandHelp[]): Line[] {
  const width = Math.max(...commands.map((c) => c.syntax.length));
  return [
    status("commands:"),
    ...commands.map((c) => status(`  ${c.syntax.padEnd(width)}  ${c.description}`)),
  ];
}

/**
 * The lines for what a typed line did: none for a message on its way (its refusal comes as
 * an event), pages of history on stdout, everything else as status lines.
 *
 * @example
 * ```ts
 * renderResult({ kind: "current", room: "dev" });
 * // [{ stream: "stderr", text: "* your lines now go to dev" }]
 * ```
 */
export function renderResult(result: CommandResult): Line[] {
  switch (result.kind) {
    case "sending":
    case "quit":
      return [];
    case "created":
      return [
        status(
          `created ${result.room.name} (${roomRules(result.room)}); ` +
            `your lines now go to ${result.room.name}`,
        ),
      ];
    case "joined": {
      const { name, members } = result.room;
      const size = members ? ` (${count(members, "member")})` : "";
      return [status(`joined ${name}${size}; your lines now go to ${name}`)];
    }
    case "left": {
      const { room, deleted, current } = result;
      const gone = deleted ? "; you were its last member, so it is deleted with its history" : "";
      const still = current ? `; your lines still go to ${room} (/to ROOM changes that)` : "";
      return [status(`left ${room}${gone}${still}`)];
    }
    case "invited":
      return [status(`invited @${result.handle} to ${result.room}`)];
    case "invite-code": {
      const { room, code } = result;
      const expiry = until(result.expiresAtMs, true);
      return [
        status(
          `invite code ${code} for ${room}: give it to one person with an account, ` +
            `who types /join ${room} ${code} (valid once, ${expiry})`,
        ),
      ];
    }
    case "removed":
      return [status(`removed ${memberName(result.member)} from ${result.room}`)];
    case "role-set": {
      const { member, room } = result;
      return [status(`${memberName(member)} is now ${withArticle(member.role)} of ${room}`)];
    }
    case "history-page": {
      const { room, messages, more } = result;
      if (messages.length === 0) return [status(`no earlier messages in ${room}`)];
      const lines: Line[] = messages.map((m) => ({
        stream: "stdout",
        text: formatMessage(`${room} history`, m),
      }));
      if (!more) lines.push(status(`that is the start of ${room}'s history`));
      return lines;
    }
    case "members": {
      const online = result.members.filter((m) => m.devicesOnline > 0);
      const offline = result.members.length - online.length;
      const names = online.length ? online.map(onlineMember).join(", ") : "nobody";
      const away = offline ? `; ${count(offline, "member")} offline` : "";
      return [status(`online in ${result.room}: ${names}${away}`)];
    }
    case "room-list": {
      const mine = result.rooms.filter((r) => r.member).map(myRoom);
      const joinable = result.rooms.filter((r) => !r.member).map(joinableRoom);
      return [
        status(`your rooms: ${mine.join(", ") || "none"}`),
        status(`rooms you can join: ${joinable.join(", ") || "none"}`),
      ];
    }
    case "current":
      return [status(`your lines now go to ${result.room}`)];
    case "link-code":
      return [renderLinkCode(result)];
    case "help-list":
      return helpLines(result.commands);
    case "refused":
      // Today's line for /link, which drivers read.
      if (result.command.kind === "link") return [status(`no link code: ${result.details}`)];
      return [status(`${commandLabel(result.command)} refused: ${result.details}`)];
    case "unreachable": {
      const label = commandLabel(result.command);
      return [status(`${label} not done: could not reach the server (${result.details})`)];
    }
    case "failed":
      if (result.command.kind === "link") return [status(`no link code: ${result.details}`)];
      return [status(`${commandLabel(result.command)} failed: ${result.details}`)];
    case "usage":
      return [
        status(
          result.problem
            ? `/${result.command}: ${result.problem}; usage: ${result.usage}`
            : `usage: ${result.usage}`,
        ),
      ];
    case "unknown":
      return [status(`unknown command /${result.name}; /help lists the commands`)];
  }
}
