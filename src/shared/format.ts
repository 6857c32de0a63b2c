/**
 * How people and senders are shown: a display name plus a short id, so two
 * clients called "Luis" are never confused.
 *
 * @module
 */

/** Hex digits of the client id shown after the name. */
export const SHORT_ID_LENGTH = 4;

/** `Luis#7f3a` for a client named Luis whose id starts with 7f3a. */
export function displayName(client: { name: string; id: string }): string {
  return `${client.name}#${client.id.slice(0, SHORT_ID_LENGTH)}`;
}

/** One received message as the client prints it: `[general] Luis#7f3a: hello`. */
export function formatMessage(
  group: string,
  message: { senderName: string; senderId: string; text: string },
): string {
  return `[${group}] ${
    displayName({ name: message.senderName, id: message.senderId })
  }: ${message.text}`;
}

/** `host:port`, with an IPv6 host in brackets (`[::1]:50051`), as gRPC targets and listeners take it. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
