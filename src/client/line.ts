/**
 * The line-mode front end: every {@link ClientEvent}, and the few things
 * `client.ts` itself has to say, as the one line a person reads. Received
 * messages go to stdout as `[group] Name#id: text`; everything else goes to
 * stderr, prefixed with `* `. These lines are part of the contract (README,
 * "A session"; tests read them), so they change only on purpose.
 *
 * @module
 */
import { formatMessage } from "../shared/format.ts";
import { messageOf } from "../shared/errors.ts";
import { RefusedError } from "./calls.ts";
import type { ClientEvent, ConnectedEvent, OfflineEvent } from "./events.ts";
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

function groupsOf(event: ConnectedEvent): string {
  return event.groups.map((g) =>
    g.member
      ? `${g.unread} unread message${g.unread === 1 ? "" : "s"} in ${g.name}`
      : `not a member of ${g.name} (you will receive nothing from it and cannot send to it)`
  ).join("; ");
}

function offlineReason(event: OfflineEvent): string {
  switch (event.call) {
    case "register":
      return `cannot reach ${event.address} (${event.details})`;
    case "subscribe":
      return `the stream ended (${event.details})`;
    case "send":
      return `cannot send (${event.details})`;
  }
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
      return status(
        `offline: ${offlineReason(event)}; retrying in ${(event.retryMs / 1000).toFixed(1)} s`,
      );
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
    lines.push(
      status("1 message was being sent as the client stopped: the server may or may not have it"),
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
  const until = new Date(link.expiresAtMs).toISOString().slice(11, 16);
  return status(
    `link code ${link.code}: on your other device, start the client once with -link ${link.code} ` +
      `(valid once, until ${until} UTC)`,
  );
}

/** `/link` failed: the server refused (a guest has no account) or could not be reached. */
export function renderLinkCodeFailure(error: unknown): Line {
  return status(`no link code: ${messageOf(error)}`);
}
