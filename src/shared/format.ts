/**
 * How people and senders are shown, so that nobody can pass for somebody else:
 * a device of an account is `@alice Alice#7f3a` (its proven handle first, then
 * its display name and the short device id); a guest, whose name proves
 * nothing, is `~Alice#7f3a`. The first character after the group tells which,
 * and a display name (which comes after it) cannot change it. Handles are
 * ASCII, so no lookalike letter can imitate one; display names may not hold
 * invisible or direction-changing characters (src/shared/validate.ts).
 *
 * @module
 */

/** Hex digits of the client id shown after the name. */
export const SHORT_ID_LENGTH = 4;

/** Who a sender or client is: display name, device id, and the account it proves if any. */
export interface Shown {
  name: string;
  id: string;
  /** The account's handle; empty or null for a guest. */
  handle?: string | null;
}

/**
 * `@alice Alice#7f3a` for a device of account alice, `~Alice#7f3a` for a guest named Alice.
 *
 * @example
 * ```ts
 * displayName({ name: "Alice", id: "7f3a09", handle: "alice" }); // "@alice Alice#7f3a"
 * displayName({ name: "Alice", id: "c0de11" }); // "~Alice#c0de"
 * ```
 */
export function displayName(who: Shown): string {
  const tag = `${who.name}#${who.id.slice(0, SHORT_ID_LENGTH)}`;
  return who.handle ? `@${who.handle} ${tag}` : `~${tag}`;
}

/** One received message as the client prints it: `[general] @luis Luis#7f3a: hello`. */
export function formatMessage(
  group: string,
  message: { senderName: string; senderId: string; senderHandle?: string; text: string },
): string {
  return `[${group}] ${
    displayName({ name: message.senderName, id: message.senderId, handle: message.senderHandle })
  }: ${message.text}`;
}

/** `host:port`, with an IPv6 host in brackets (`[::1]:50051`), as gRPC targets and listeners take it. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
