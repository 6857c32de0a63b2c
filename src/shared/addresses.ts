/**
 * A list of server addresses as the client's `-server_ip` takes it:
 * `HOST[:PORT][,HOST[:PORT]...]`, where HOST is a DNS name, an IPv4 address or an IPv6
 * address (in brackets when a port follows: `[::1]:50052`; a bare `::1` is a host without a
 * port, since its last group could be read either way), and an entry without a port takes
 * `-port`'s. The nodes of one service, in the order a client tries them.
 *
 * @module
 */
import { isIP } from "node:net";
import { FlagError } from "./flags.ts";
import { hostPort } from "./format.ts";

/** One entry of an address list. */
export interface ServerAddress {
  /** The host as a resolver and a certificate check take it: an IPv6 address without brackets. */
  host: string;
  port: number;
  /** `host:port`, an IPv6 host in brackets: the gRPC target, and how the client names it. */
  address: string;
}

/** A DNS name: labels of letters, digits, `-` and `_`, joined by dots. */
const HOST_NAME =
  /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * Parses `text`, the value of flag `flag`, into its addresses, in order; `defaultPort` is the
 * port of entries that name none.
 *
 * @example
 * ```ts
 * parseAddressList("10.0.0.5,chat-b:7000,[::1]:7001", 50051).map((a) => a.address);
 * // ["10.0.0.5:50051", "chat-b:7000", "[::1]:7001"]
 * ```
 *
 * @throws {FlagError} naming the flag and the entry that is not `HOST[:PORT]` (an empty one, a
 *   bad host, a port outside 1 to 65535) or that is given twice.
 */
export function parseAddressList(
  text: string,
  defaultPort: number,
  flag = "server_ip",
): ServerAddress[] {
  const list: ServerAddress[] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") {
      throw new FlagError(
        `flag -${flag}: '${text}' has an empty entry (write HOST[:PORT],HOST[:PORT]...)`,
      );
    }
    const parsed = parseEntry(entry, defaultPort, flag);
    if (list.some((a) => a.address === parsed.address)) {
      throw new FlagError(`flag -${flag}: '${entry}' is given twice (as ${parsed.address})`);
    }
    list.push(parsed);
  }
  return list;
}

/** One `HOST[:PORT]` entry. */
function parseEntry(entry: string, defaultPort: number, flag: string): ServerAddress {
  const bad = (why: string) => new FlagError(`flag -${flag}: '${entry}' ${why}`);
  let host: string;
  let portText: string | undefined;
  if (entry.startsWith("[")) {
    const match = entry.match(/^\[([^\]]*)\](?::(.*))?$/);
    if (!match || isIP(match[1]) !== 6) {
      throw bad("is not an IPv6 address in brackets ([ADDR] or [ADDR]:PORT)");
    }
    [, host, portText] = match;
  } else if (entry.indexOf(":") !== entry.lastIndexOf(":")) {
    // Two colons or more: a bare IPv6 address, whose last group is not a port.
    if (isIP(entry) !== 6) {
      throw bad("is not an IPv6 address (one with a port is written [ADDR]:PORT)");
    }
    host = entry;
  } else {
    [host, portText] = entry.split(":");
    if (!HOST_NAME.test(host) && isIP(host) !== 4) {
      throw bad("is not HOST[:PORT] (HOST a DNS name, an IPv4 address or [an IPv6 address])");
    }
  }
  let port = defaultPort;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw bad(`has a port '${portText}' that is not a whole number from 1 to 65535`);
    }
  }
  return { host, port, address: hostPort(host, port) };
}
