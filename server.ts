/**
 * The grpc-chat server: `deno task server -port 50051 [-members alice,bob,chad]`.
 * Flags, wiring and printing only; the server lives in src/server/.
 *
 * @module
 */
import {
  AdminSecretError,
  BindError,
  GroupConflictError,
  type GroupSpec,
  jsonLog,
  startChatServer,
  textLog,
} from "./src/server/mod.ts";
import { statsLine } from "./src/server/metrics.ts";

import {
  MetricsBindError,
  type MetricsEndpoint,
  serveMetrics,
} from "./src/server/ops/prometheus.ts";
import { messageOf } from "./src/shared/errors.ts";
import { quietGrpcLogs } from "./src/shared/grpc_logs.ts";
import { denoVersionWarning } from "./src/shared/deno_version.ts";
import {
  FlagError,
  type FlagSpec,
  parseChoice,
  parsePort,
  readCommandLine,
} from "./src/shared/flags.ts";
import { DEFAULT_GROUP, MAX_GROUPS } from "./src/shared/limits.ts";
import { StoreOpenError } from "./src/store/mod.ts";
import { checkGroupName, checkHandle } from "./src/shared/validate.ts";
import type { AccountMode } from "./src/server/mod.ts";
import { loadTokenVerifier, TokenKeyError, type TokenVerifier } from "./src/server/auth/jwt.ts";
import {
  plaintextWarning,
  SERVER_TLS_FLAGS,
  serverCredentials,
  serverTlsFromFlags,
  TlsFileError,
} from "./src/shared/tls.ts";

const FLAGS = {
  port: {
    type: "string",
    value: "PORT",
    default: "50051",
    description: "port to listen on; 0 picks a free one",
  },
  host: { type: "string", value: "ADDR", default: "0.0.0.0", description: "address to listen on" },
  db: {
    type: "string",
    value: "PATH|URL",
    default: "chat.db",
    description:
      "SQLite database file (created if missing), or postgres://USER@HOST:PORT/DB: a PostgreSQL database that several nodes share as one service",
  },
  members: {
    type: "string",
    value: "NAMES",
    description:
      `comma-separated names the ${DEFAULT_GROUP} group is closed to (default: open to all)`,
  },
  group: {
    type: "string",
    value: "NAME[=a,b]",
    multiple: true,
    description: `another group: open to every client, or after = closed to those names`,
  },
  quiet: { type: "boolean", description: "log only start, stop and errors, not every call" },
  log: {
    type: "string",
    value: "text|json",
    default: "text",
    description: "log lines for people (text), or one JSON object per line for a log pipeline",
  },
  synchronous: {
    type: "string",
    value: "full|off",
    default: "full",
    description:
      "off skips fsync: faster, but an OS crash loses acknowledged messages (benchmarks only)",
  },
  claim: {
    type: "string",
    value: "first-use|invite",
    description:
      "how a device gets an account: its name claims a free handle on first use (default), or only an operator's invite code does",
  },
  jwt_key: {
    type: "string",
    value: "FILE",
    description:
      "accounts come from an identity provider's JWTs (-token), verified with this HS256 secret, PEM public key or JWKS file",
  },
  jwt_issuer: {
    type: "string",
    value: "ISS",
    description: "with -jwt_key: the iss tokens must have",
  },
  jwt_audience: {
    type: "string",
    value: "AUD",
    description: "with -jwt_key: the aud tokens must have",
  },
  rate_limits: {
    type: "string",
    value: "on|off",
    default: "on",
    description:
      "off lifts the per-address limits on registrations, claims and failed proofs (load tests and benchmarks on one machine only)",
  },
  admin_secret: {
    type: "string",
    value: "FILE",
    description:
      "the operator secret for deno task admin, made at first start (default <db>.admin-secret; chat.admin-secret for a PostgreSQL -db)",
  },
  metrics: {
    type: "string",
    value: "ADDR:PORT",
    description:
      "serve Prometheus metrics at http://ADDR:PORT/metrics (port 0 picks a free one; default: not served)",
  },
  ...SERVER_TLS_FLAGS,
} as const satisfies Record<string, FlagSpec>;
const SYNOPSIS =
  "deno task server [-port PORT] [-host ADDR] [-db PATH|URL] [-members a,b,c] [-group NAME[=a,b]]... [-quiet] [-log text|json] [-synchronous full|off] [-claim first-use|invite | -jwt_key FILE [-jwt_issuer ISS] [-jwt_audience AUD]] [-admin_secret FILE] [-rate_limits on|off] [-metrics ADDR:PORT] [-tls_cert FILE -tls_key FILE [-tls_client_ca FILE]]";

/** Member handles, lower-cased: membership belongs to accounts, never to display names. */
function parseMembers(text: string | undefined, flag = "-members"): string[] | null {
  if (text === undefined) return null;
  const names = text.split(",").map((n) => n.trim()).filter((n) => n !== "");
  if (names.length === 0) throw new FlagError(`flag ${flag} needs at least one name`);
  for (const name of names) {
    const problem = checkHandle(name);
    if (problem) throw new FlagError(`flag ${flag}: "${name}": ${problem}`);
  }
  return names.map((n) => n.toLowerCase());
}

/** `-metrics 127.0.0.1:9464` or `-metrics [::1]:9464`: where to serve metrics, if anywhere. */
function parseMetricsAddress(text: string | undefined): { host: string; port: number } | undefined {
  if (text === undefined) return undefined;
  const m = text.match(/^(?:\[([^\]]+)\]|([^:[\]]+)):(.*)$/);
  if (!m) {
    throw new FlagError(`flag -metrics must be ADDR:PORT, e.g. 127.0.0.1:9464, got '${text}'`);
  }
  const port = Number(m[3]);
  if (!/^\d+$/.test(m[3]) || port > 65535) {
    throw new FlagError(
      `flag -metrics: the port must be a whole number from 0 to 65535, got '${m[3]}'`,
    );
  }
  return { host: m[1] ?? m[2], port };
}

/** One account mode per server: a name's claim, an invite, or a token. */
function parseMode(values: {
  claim: string | undefined;
  jwt_key: string | undefined;
  jwt_issuer: string | undefined;
  jwt_audience: string | undefined;
}): AccountMode {
  if (values.jwt_key !== undefined) {
    if (values.claim !== undefined) {
      throw new FlagError("flags -claim and -jwt_key are two ways to give accounts; give one");
    }
    return "token";
  }
  if (values.jwt_issuer !== undefined || values.jwt_audience !== undefined) {
    throw new FlagError("flags -jwt_issuer and -jwt_audience need -jwt_key");
  }
  return parseChoice(values.claim ?? "first-use", "claim", ["first-use", "invite"]);
}

/** `-group ops` (open) or `-group ops=alice,bob` (closed), each name once. */
function parseGroups(texts: string[]): GroupSpec[] {
  const groups: GroupSpec[] = [];
  const seen = new Set([DEFAULT_GROUP]);
  for (const text of texts) {
    const at = text.indexOf("=");
    const name = (at < 0 ? text : text.slice(0, at)).trim();
    const problem = checkGroupName(name);
    if (problem) throw new FlagError(`flag -group: "${name}": ${problem}`);
    if (seen.has(name)) {
      throw new FlagError(
        name === DEFAULT_GROUP
          ? `flag -group: ${DEFAULT_GROUP} is always there; close it with -members`
          : `flag -group: ${name} is given twice`,
      );
    }
    seen.add(name);
    groups.push({
      name,
      members: at < 0 ? null : parseMembers(text.slice(at + 1), `-group ${name}`),
    });
  }
  if (groups.length + 1 > MAX_GROUPS) {
    throw new FlagError(`flag -group: ${groups.length + 1} groups; the limit is ${MAX_GROUPS}`);
  }
  return groups;
}

async function main(): Promise<number> {
  const cli = readCommandLine("server", SYNOPSIS, FLAGS, Deno.args, (values) => {
    const synchronous = parseChoice(values.synchronous, "synchronous", ["full", "off"]);
    const rateLimits = parseChoice(values.rate_limits, "rate_limits", ["on", "off"]);
    return {
      host: values.host,
      port: parsePort(values.port, "port", 0),
      db: values.db,
      members: parseMembers(values.members),
      groups: parseGroups(values.group),
      quiet: values.quiet,
      logFormat: parseChoice(values.log, "log", ["text", "json"]),
      synchronous: synchronous === "off" ? "OFF" as const : "FULL" as const,
      tls: serverTlsFromFlags(values),
      mode: parseMode(values),
      jwt: { keyFile: values.jwt_key, issuer: values.jwt_issuer, audience: values.jwt_audience },
      adminSecret: values.admin_secret,
      limits: rateLimits === "on" ? undefined : "off" as const,
      metricsAt: parseMetricsAddress(values.metrics),
    };
  });
  if ("exit" in cli) return cli.exit;
  const {
    host,
    port,
    db,
    members,
    groups,
    quiet,
    logFormat,
    synchronous,
    tls,
    mode,
    jwt,
    adminSecret,
    limits,
    metricsAt,
  } = cli.config;
  quietGrpcLogs();
  const warning = denoVersionWarning(Deno.version.deno);
  if (warning) console.error(warning);
  let credentials;
  let tokens: TokenVerifier | undefined;
  try {
    credentials = tls && await serverCredentials(tls);
    if (jwt.keyFile !== undefined) {
      tokens = await loadTokenVerifier({ ...jwt, keyFile: jwt.keyFile });
    }
  } catch (error) {
    if (!(error instanceof TlsFileError) && !(error instanceof TokenKeyError)) throw error;
    console.error(`server: ${error.message}`);
    return 1;
  }

  const log = logFormat === "json" ? jsonLog() : textLog();
  let server;
  try {
    server = await startChatServer({
      host,
      port,
      dbPath: db,
      members,
      groups,
      log: quiet ? undefined : log,
      synchronous,
      credentials,
      accounts: { mode, tokens },
      adminSecretPath: adminSecret,
      limits,
    });
  } catch (error) {
    if (
      error instanceof StoreOpenError || error instanceof AdminSecretError ||
      error instanceof BindError || error instanceof GroupConflictError
    ) {
      console.error(`server: ${error.message}`);
      return 1;
    }
    throw error;
  }
  // `kill -USR2 <pid>` prints how the server is doing, without stopping it. Installed
  // before the "listening" line, so no one can signal a server that would die of it.
  // Not SIGUSR1: since Deno 2.9.2 that opens a debugger on 127.0.0.1:9229 in any process.
  // The second line is the same registry as JSON, for programs (tests, the benchmark).
  const running = server;
  Deno.addSignalListener("SIGUSR2", async () => {
    try {
      const metrics = await running.metrics();
      log(statsLine(metrics), { event: "stats" });
      log(`metrics ${JSON.stringify(metrics)}`, { event: "metrics", metrics });
    } catch (error) {
      // A stats request must never stop the server.
      console.error(`server: the stats could not be collected: ${error}`);
    }
  });
  // After the gRPC port: a scrape reads a running server.
  let endpoint: MetricsEndpoint | undefined;
  if (metricsAt) {
    try {
      endpoint = serveMetrics(
        metricsAt.host,
        metricsAt.port,
        server.registry,
        (error) =>
          log(`metrics could not be collected: ${messageOf(error)}`, {
            event: "error",
            details: messageOf(error),
          }, "warn"),
      );
    } catch (error) {
      if (!(error instanceof MetricsBindError)) throw error;
      console.error(`server: ${error.message}`);
      await server.shutdown();
      return 1;
    }
  }
  const metricsAtUrl = endpoint ? `, metrics at ${endpoint.url}` : "";
  const access = (m: readonly string[] | null) =>
    m ? `closed to ${m.join(", ")}` : "open to every client";
  const others = groups.map((g) => `, group ${g.name} ${access(g.members)}`).join("");
  const transport = !tls
    ? ""
    : tls.clientCa
    ? `, TLS with client certificates signed by the CAs in ${tls.clientCa}`
    : ", TLS";
  const clear = tls ? undefined : plaintextWarning(host);
  if (clear) console.error(clear);
  if (tokens && jwt.audience === undefined) {
    console.error(
      "warning: -jwt_key without -jwt_audience: a token the identity provider made for any other " +
        "application is accepted here too; give -jwt_audience",
    );
  }
  // Installed before the "listening" line too: a SIGTERM sent as soon as it appears
  // (a supervisor, a test) then stops the server cleanly instead of killing it.
  const stopped = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
  const accounts = mode === "first-use"
    ? "claimed by name on first use"
    : mode === "invite"
    ? "by invite"
    : `from tokens verified with ${tokens!.description}`;
  log(
    `listening on ${host}:${server.port}, database ${db}, group ${DEFAULT_GROUP} ${
      access(members)
    }${others}${transport}, accounts ${accounts}${metricsAtUrl}`,
    {
      event: "listening",
      address: `${host}:${server.port}`,
      port: server.port,
      database: db,
      groups: [DEFAULT_GROUP, ...groups.map((g) => g.name)],
      tls: tls ? (tls.clientCa ? "mutual" : "server") : "off",
      accounts: mode,
      metrics: endpoint?.url,
    },
  );

  const outcome = await Promise.race([stopped, server.failed]);
  if (outcome instanceof Error) {
    // Nothing more can be stored: a supervisor's restart is the way back.
    console.error(`server: ${outcome.message}; stopping (exit 1) so that it can be restarted`);
    await endpoint?.close();
    await server.shutdown();
    return 1;
  }
  log(`${outcome}: shutting down`, { event: "shutdown", signal: outcome });
  // The health service turns NOT_SERVING at once, as the drain starts; the endpoint closes
  // meanwhile (a scrape in progress finishes first).
  await Promise.all([server.shutdown(), endpoint?.close()]);
  const { commits, messages } = server.committer.stats;
  log(`stopped after ${messages} sends in ${commits} commits`, {
    event: "stopped",
    sends: messages,
    commits,
  });
  return 0;
}

Deno.exit(await main());
