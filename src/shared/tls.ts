/**
 * Transport security for both programs: the TLS flags, reading and checking the PEM files
 * they name, and turning them into grpc-js credentials, with two workarounds that
 * grpc-js on Deno needs (see README, "TLS"):
 *
 * - A grpc-js TLS server must never be given `ca: null`: `ServerCredentials.createSsl(null,
 *   ...)` then reads `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` (the system bundle on many machines),
 *   and Deno's http2 server then sends a certificate request so large that every handshake
 *   fails (`excessive message size`). The server passes the CAs of `-tls_client_ca`, or
 *   else its own certificate chain.
 * - Deno refuses an IP address as the TLS server name (SNI), which grpc-js sends as it is
 *   when a client connects by IP. The client then sends a placeholder name instead and
 *   checks the certificate against the IP address itself.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { messageOf } from "./errors.ts";
import { FlagError, type FlagSpec } from "./flags.ts";

/** The server's TLS flags, for its flag table. */
export const SERVER_TLS_FLAGS = {
  tls_cert: {
    type: "string",
    value: "FILE",
    description: "serve TLS with this certificate chain (PEM, server's first); needs -tls_key",
  },
  tls_key: { type: "string", value: "FILE", description: "the private key of -tls_cert (PEM)" },
  tls_client_ca: {
    type: "string",
    value: "FILE",
    description: "require client certificates signed by these CAs (PEM); needs -tls_cert",
  },
} as const satisfies Record<string, FlagSpec>;

/** The client's TLS flags, for its flag table. */
export const CLIENT_TLS_FLAGS = {
  tls: { type: "boolean", description: "connect with TLS, trusting the default CAs" },
  tls_ca: {
    type: "string",
    value: "FILE",
    description: "trust only these CAs (PEM); implies -tls",
  },
  tls_server_name: {
    type: "string",
    value: "NAME",
    description: "the name the server's certificate must hold (default: -server_ip); implies -tls",
  },
  tls_cert: {
    type: "string",
    value: "FILE",
    description: "client certificate (PEM) for servers that require one; needs -tls_key",
  },
  tls_key: { type: "string", value: "FILE", description: "the private key of -tls_cert (PEM)" },
} as const satisfies Record<string, FlagSpec>;

/** What a TLS server is given: paths of PEM files. */
export interface ServerTlsFiles {
  /** `-tls_cert`: the server's certificate, then any intermediates. */
  cert: string;
  /** `-tls_key`: the private key of the first certificate of {@link cert}. */
  key: string;
  /** `-tls_client_ca`: when given, only clients with a certificate signed by these CAs get in. */
  clientCa?: string;
}

/** How a client connects with TLS: paths of PEM files, and the name to expect. */
export interface ClientTlsOptions {
  /** `-tls_ca`: the CAs to trust; without it, the default ones (see {@link channelCredentials}). */
  ca?: string;
  /** `-tls_cert`: a client certificate, for servers that require one. */
  cert?: string;
  /** `-tls_key`: the private key of {@link cert}. */
  key?: string;
  /** `-tls_server_name`: the name the certificate must hold; the host connected to by default. */
  serverName?: string;
}

/**
 * A TLS file that cannot be used; the message names the flag, the file and why, e.g.
 * `-tls_cert server.key: no PEM certificate in it; it holds a private key`.
 */
export class TlsFileError extends Error {
  override name = "TlsFileError";
}

/**
 * The SNI a client sends when it connects by IP address. Deno refuses an IP there and
 * grpc-js always sends something; a name under `.invalid` (RFC 2606) can never be a real
 * host, and the certificate is checked against the IP address instead.
 */
export const IP_TARGET_SNI = "ip-address.invalid";

/** Hosts that only this machine can reach. */
const LOOPBACK_NAMES = new Set(["localhost", "localhost."]);

/** A PEM block: its label and the whole block, header and footer included. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The server's TLS files from its flags, or undefined when TLS is off.
 *
 * @throws {FlagError} for `-tls_cert` without `-tls_key` (or the reverse), or
 *   `-tls_client_ca` without them.
 */
export function serverTlsFromFlags(
  flags: { tls_cert?: string; tls_key?: string; tls_client_ca?: string },
): ServerTlsFiles | undefined {
  const { tls_cert: cert, tls_key: key, tls_client_ca: clientCa } = flags;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) {
      throw new FlagError("flag -tls_client_ca needs -tls_cert and -tls_key (the server's own)");
    }
    return undefined;
  }
  if (cert === undefined) throw new FlagError("flag -tls_key needs -tls_cert");
  if (key === undefined) throw new FlagError("flag -tls_cert needs -tls_key");
  return { cert, key, clientCa };
}

/**
 * The client's TLS options from its flags, or undefined when TLS is off. Any TLS flag
 * turns TLS on: none of them means anything over plain TCP.
 *
 * @throws {FlagError} for `-tls_cert` without `-tls_key` (or the reverse), or a
 *   `-tls_server_name` that is neither a host name nor an IP address.
 */
export function clientTlsFromFlags(
  flags: {
    tls: boolean;
    tls_ca?: string;
    tls_server_name?: string;
    tls_cert?: string;
    tls_key?: string;
  },
): ClientTlsOptions | undefined {
  const { tls_ca: ca, tls_server_name: serverName, tls_cert: cert, tls_key: key } = flags;
  if (cert !== undefined && key === undefined) throw new FlagError("flag -tls_cert needs -tls_key");
  if (key !== undefined && cert === undefined) throw new FlagError("flag -tls_key needs -tls_cert");
  if (serverName !== undefined && !isHostName(serverName) && !isIP(unbracket(serverName))) {
    throw new FlagError(
      `flag -tls_server_name must be a host name or an IP address, got '${serverName}'`,
    );
  }
  if (!flags.tls && [ca, serverName, cert].every((v) => v === undefined)) return undefined;
  return { ca, cert, key, serverName };
}

/**
 * Reads and checks the server's PEM files and makes its credentials. The `ca` grpc-js
 * gets is never null (see the module doc): the client CAs when client certificates are
 * required, else the server's own chain. (Deno's server then still asks clients for a
 * certificate, but lets in those without one and checks none: measured.)
 *
 * @throws {TlsFileError} when a file cannot be read, holds no usable PEM certificate or
 *   key, the key is not the certificate's, or the certificate has expired.
 */
export async function serverCredentials(files: ServerTlsFiles): Promise<grpc.ServerCredentials> {
  const identity = await readIdentity("-tls_cert", files.cert, "-tls_key", files.key);
  const clientCa = files.clientCa === undefined
    ? undefined
    : (await readCertificates("-tls_client_ca", files.clientCa)).pem;
  return grpc.ServerCredentials.createSsl(
    clientCa ?? identity.cert,
    [{ cert_chain: identity.cert, private_key: identity.key }],
    clientCa !== undefined,
  );
}

/**
 * Reads and checks the client's PEM files and makes its channel credentials for a
 * server at `host` (as in `-server_ip`). Without `ca`, grpc-js trusts the CAs in
 * `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` when it is set, else Deno's default ones.
 *
 * When the name to check (`serverName`, else `host`) is an IP address, the client sends
 * {@link IP_TARGET_SNI} as the TLS server name, since Deno refuses an IP there, and accepts
 * the certificate only if it is signed by a trusted CA (checked by the TLS stack as
 * always) and names that IP address in its subjectAltName (checked here, by `node:tls`'s
 * `checkServerIdentity`): the same check as for a name.
 *
 * @throws {TlsFileError} when a file cannot be read, holds no usable PEM certificate or
 *   key, the key is not the certificate's, or the certificate has expired.
 */
export async function channelCredentials(
  host: string,
  options: ClientTlsOptions,
): Promise<grpc.ChannelCredentials> {
  const ca = options.ca === undefined ? null : (await readCertificates("-tls_ca", options.ca)).pem;
  const identity = options.cert !== undefined && options.key !== undefined
    ? await readIdentity("-tls_cert", options.cert, "-tls_key", options.key)
    : undefined;
  const expected = unbracket(options.serverName ?? host);
  if (!isIP(expected)) {
    const credentials = grpc.credentials.createSsl(ca, identity?.key, identity?.cert);
    return options.serverName === undefined
      ? credentials
      : new ServerNameCredentials(credentials, options.serverName);
  }
  const credentials = grpc.credentials.createSsl(ca, identity?.key, identity?.cert, {
    // grpc-js hands this the SNI it sent (the placeholder): check the address instead.
    checkServerIdentity: (_sni: string, cert: PeerCertificate) =>
      checkServerIdentity(expected, cert),
  });
  return new ServerNameCredentials(credentials, IP_TARGET_SNI);
}

/**
 * The warning a server listening on `host` without TLS prints at start, or undefined
 * when only this machine can reach it (`127.0.0.0/8`, `::1`, `localhost`).
 */
export function plaintextWarning(host: string): string | undefined {
  if (isLoopback(host)) return undefined;
  return `warning: listening on ${host} without TLS: client keys, tokens and messages ` +
    `travel in clear; give -tls_cert and -tls_key, or -host 127.0.0.1 to serve this machine only`;
}

/** Whether `host` is an address or name that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = unbracket(host).toLowerCase();
  if (LOOPBACK_NAMES.has(bare)) return true;
  switch (isIP(bare)) {
    case 4:
      return bare.startsWith("127.");
    case 6: {
      // The URL parser writes every spelling of an IPv6 address one way; 127.0.0.0/8
      // mapped into IPv6 is ::ffff:7f00:0 to ::ffff:7fff:ffff.
      const canonical = new URL(`http://[${bare}]/`).hostname;
      return canonical === "[::1]" || canonical.startsWith("[::ffff:7f");
    }
    default:
      return false;
  }
}

/**
 * grpc-js credentials that send `sni` as the TLS server name, through the channel option
 * `grpc.ssl_target_name_override`; grpc-js then checks the certificate against `sni` too,
 * unless the wrapped credentials' own `checkServerIdentity` decides. A wrapper because a
 * session's channel options are fixed (`CLIENT_CHANNEL_OPTIONS`).
 */
class ServerNameCredentials extends grpc.ChannelCredentials {
  #inner: grpc.ChannelCredentials;
  #sni: string;

  constructor(inner: grpc.ChannelCredentials, sni: string) {
    super();
    this.#inner = inner;
    this.#sni = sni;
  }

  _isSecure(): boolean {
    return true;
  }

  _equals(other: grpc.ChannelCredentials): boolean {
    return other instanceof ServerNameCredentials && other.#sni === this.#sni &&
      other.#inner._equals(this.#inner);
  }

  _createSecureConnector(
    ...[target, options, callCredentials]: Parameters<
      grpc.ChannelCredentials["_createSecureConnector"]
    >
  ): ReturnType<grpc.ChannelCredentials["_createSecureConnector"]> {
    return this.#inner._createSecureConnector(
      target,
      { ...options, "grpc.ssl_target_name_override": this.#sni },
      callCredentials,
    );
  }
}

/** A certificate chain file and its key, checked to belong together. */
async function readIdentity(
  certFlag: string,
  certPath: string,
  keyFlag: string,
  keyPath: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  const chain = await readCertificates(certFlag, certPath);
  const key = await readPrivateKey(keyFlag, keyPath);
  const leaf = chain.certificates[0];
  if (!leaf.checkPrivateKey(key.object)) {
    throw new TlsFileError(
      `${keyFlag} ${keyPath} is not the private key of the certificate in ${certFlag} ${certPath}`,
    );
  }
  const now = Date.now();
  if (leaf.validToDate.getTime() < now) {
    throw new TlsFileError(
      `${certFlag} ${certPath}: the certificate expired on ${leaf.validToDate.toISOString()}`,
    );
  }
  if (leaf.validFromDate.getTime() > now) {
    throw new TlsFileError(
      `${certFlag} ${certPath}: the certificate is not valid before ${leaf.validFromDate.toISOString()}`,
    );
  }
  return { cert: chain.pem, key: key.pem };
}

/** Every certificate in a PEM file (at least one), parsed, and the PEM of just those. */
async function readCertificates(
  flag: string,
  path: string,
): Promise<{ pem: Buffer; certificates: X509Certificate[] }> {
  const blocks = pemBlocks(await readText(flag, path));
  const pems = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => b.pem);
  if (pems.length === 0) {
    const holdsKey = blocks.some((b) => b.label.endsWith("PRIVATE KEY"));
    throw new TlsFileError(
      `${flag} ${path}: no PEM certificate in it (no "-----BEGIN CERTIFICATE-----" line)` +
        (holdsKey ? "; it holds a private key" : ""),
    );
  }
  const certificates = pems.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new TlsFileError(
        `${flag} ${path}: certificate ${i + 1} is not a valid X.509 certificate (${
          messageOf(error)
        })`,
      );
    }
  });
  return { pem: Buffer.from(pems.join("\n") + "\n"), certificates };
}

/** The one private key in a PEM file, parsed. */
async function readPrivateKey(
  flag: string,
  path: string,
): Promise<{ pem: Buffer; object: KeyObject }> {
  const blocks = pemBlocks(await readText(flag, path));
  const keys = blocks.filter((b) => b.label.endsWith("PRIVATE KEY"));
  if (keys.length !== 1) {
    const holdsCert = blocks.some((b) => b.label === "CERTIFICATE");
    throw new TlsFileError(
      keys.length > 1
        ? `${flag} ${path}: ${keys.length} private keys in it; give a file with one`
        : `${flag} ${path}: no PEM private key in it (no "-----BEGIN ... PRIVATE KEY-----" line)` +
          (holdsCert ? "; it holds a certificate" : ""),
    );
  }
  const [key] = keys;
  if (key.label === "ENCRYPTED PRIVATE KEY") {
    throw new TlsFileError(
      `${flag} ${path}: the private key is encrypted; decrypt it first ` +
        `(openssl pkey -in ${path} -out plain.key)`,
    );
  }
  try {
    return { pem: Buffer.from(key.pem + "\n"), object: createPrivateKey(key.pem) };
  } catch (error) {
    throw new TlsFileError(`${flag} ${path}: not a valid private key (${messageOf(error)})`);
  }
}

async function readText(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "there is no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : messageOf(error);
    throw new TlsFileError(`${flag} ${path}: cannot read it: ${why}`);
  }
}

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: m[0] }));
}

/** `[::1]` as `::1`: the form `-server_ip` may be written in, and the form isIP knows. */
function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** A DNS name: labels of letters, digits, `-` and `_`, joined by dots. */
function isHostName(name: string): boolean {
  return name.length <= 253 &&
    /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/
      .test(name);
}
