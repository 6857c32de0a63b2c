/**
 * The operator's command: `deno task admin COMMAND [flags]` against a running server.
 *
 *   invite [-handle alice]     a one-time invite code (servers started with -claim invite)
 *   release -handle alice      delete an account (a lost device); its devices become guests
 *   revoke -client_id ID       forget one device; its streams end at once
 *   health [-service NAME]     is the server (or one service) SERVING? exit 0 if so, else 1
 *   migrate -from FILE -to URL copy a stopped server's SQLite database into PostgreSQL
 *
 * The operator secret is read from the file the server made (`<db>.admin-secret`); `health`
 * needs none (it is the standard grpc.health.v1 Check, open to anyone), so that probes such as
 * Docker's HEALTHCHECK can run it.
 *
 * `migrate` talks to no server: it reads the SQLite file (refused while a server holds it) and
 * writes the PostgreSQL database (refused unless empty; `-force` replaces what it holds), all
 * in one transaction, keeping the file's server id so that clients resume on the new nodes as
 * themselves. What it copies and checks: src/store/migrate/mod.ts.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { ADMIN_SECRET_HEADER, chatProto } from "./src/protocol/proto.ts";
import { checkHealth, healthClient } from "./src/server/ops/mod.ts";
import { messageOf } from "./src/shared/errors.ts";
import { FlagError, type FlagSpec, parsePort, readCommandLine } from "./src/shared/flags.ts";
import { hostPort } from "./src/shared/format.ts";
import { quietGrpcLogs } from "./src/shared/grpc_logs.ts";
import type { MigrateEvent, MigrateSummary } from "./src/store/migrate/mod.ts";
import {
  channelCredentials,
  CLIENT_TLS_FLAGS,
  clientTlsFromFlags,
  TlsFileError,
} from "./src/shared/tls.ts";

const FLAGS = {
  server_ip: { type: "string", value: "HOST", default: "127.0.0.1", description: "server address" },
  port: { type: "string", value: "PORT", default: "50051", description: "server port" },
  secret_file: {
    type: "string",
    value: "FILE",
    default: "chat.db.admin-secret",
    description:
      "the operator secret the server made, next to its database (invite, release, revoke)",
  },
  handle: { type: "string", value: "HANDLE", description: "the account (invite, release)" },
  client_id: { type: "string", value: "ID", description: "the device (revoke)" },
  service: {
    type: "string",
    value: "NAME",
    description:
      "the service to ask about (health): chat.Chat or chat.Admin; default the whole server",
  },
  from: {
    type: "string",
    value: "FILE",
    description: "the SQLite database to copy, as the server's -db named it (migrate)",
  },
  to: {
    type: "string",
    value: "URL",
    description: "the PostgreSQL database to copy into, postgres://USER@HOST:PORT/DB (migrate)",
  },
  force: {
    type: "boolean",
    description:
      "replace what the PostgreSQL database holds instead of refusing it, in the copy's transaction (migrate)",
  },
  ...CLIENT_TLS_FLAGS,
} as const satisfies Record<string, FlagSpec>;
const COMMANDS = ["invite", "release", "revoke", "health", "migrate"] as const;
const TLS_SYNOPSIS = "[-tls | -tls_ca FILE] [-tls_server_name NAME] [-tls_cert FILE -tls_key FILE]";
const SYNOPSIS =
  `deno task admin invite|release|revoke [-handle HANDLE] [-client_id ID] [-server_ip HOST] [-port PORT] [-secret_file FILE] ${TLS_SYNOPSIS}\n` +
  `       deno task admin health [-service NAME] [-server_ip HOST] [-port PORT] ${TLS_SYNOPSIS}\n` +
  `       deno task admin migrate -from FILE -to postgres://USER[:PASSWORD]@HOST[:PORT]/DB [-force]`;
/**
 * How long `health` waits for the answer: a server that takes longer is as good as down to a
 * probe, and Docker's HEALTHCHECK --timeout must cover this plus Deno's start.
 */
const HEALTH_DEADLINE_MS = 3_000;

async function main(): Promise<number> {
  // The command comes first; flags alone (`-help`) are read as flags.
  const command = Deno.args[0]?.startsWith("-") ? undefined : Deno.args[0];
  const rest = command === undefined ? Deno.args : Deno.args.slice(1);
  const cli = readCommandLine("admin", SYNOPSIS, FLAGS, rest, (values) => {
    if (!COMMANDS.includes(command as typeof COMMANDS[number])) {
      throw new FlagError(
        command === undefined
          ? `a command is required: ${COMMANDS.join(", ")}`
          : `unknown command '${command}'; the commands are ${COMMANDS.join(", ")}`,
      );
    }
    if (command === "release" && !values.handle) throw new FlagError("release needs -handle");
    if (command === "revoke" && !values.client_id) throw new FlagError("revoke needs -client_id");
    if (command === "migrate") checkMigrateFlags(values.from, values.to);
    return { ...values, port: parsePort(values.port), tls: clientTlsFromFlags(values) };
  });
  if ("exit" in cli) return cli.exit;
  const config = cli.config;
  quietGrpcLogs();
  if (command === "health") return await health(config);
  if (command === "migrate") return await migrateCommand(config.from!, config.to!, config.force);
  let secret: string;
  try {
    secret = (await Deno.readTextFile(config.secret_file)).trim();
  } catch (error) {
    console.error(
      `admin: cannot read the operator secret ${config.secret_file}: ${messageOf(error)}`,
    );
    return 1;
  }
  const metadata = new grpc.Metadata();
  metadata.set(ADMIN_SECRET_HEADER, secret);
  const address = hostPort(config.server_ip, config.port);
  // The secret must not cross a network in clear: use the server's TLS when it has it.
  const credentials = await credentialsFor(config);
  if (!credentials) return 1;
  const admin = new chatProto.chat.Admin(address, credentials);
  const options = { deadline: Date.now() + 10_000 };
  const unary = <T>(
    start: (done: (error: grpc.ServiceError | null, value?: T) => void) => void,
  ) =>
    new Promise<T>((resolve, reject) =>
      start((error, value) => error ? reject(error) : resolve(value!))
    );
  try {
    if (command === "invite") {
      const reply = await unary<{ code: string; expiresAtMs: number }>((done) =>
        admin.CreateInvite({ handle: config.handle ?? "" }, metadata, options, done)
      );
      const until = new Date(Number(reply.expiresAtMs)).toISOString();
      console.log(reply.code);
      console.error(
        `admin: invite${
          config.handle ? ` for ${config.handle}` : ""
        }, valid once, until ${until}: ` +
          `deno task client -name ${config.handle ?? "NAME"} -invite ${reply.code}`,
      );
    } else if (command === "release") {
      const reply = await unary<{ devices: number }>((done) =>
        admin.ReleaseHandle({ handle: config.handle! }, metadata, options, done)
      );
      console.log(`released ${config.handle}: its ${reply.devices} device(s) are guests now`);
    } else {
      await unary((done) =>
        admin.RevokeDevice({ clientId: config.client_id! }, metadata, options, done)
      );
      console.log(`revoked device ${config.client_id}`);
    }
    return 0;
  } catch (error) {
    const e = error as grpc.ServiceError;
    console.error(`admin: ${grpc.status[e.code] ?? "error"}: ${e.details ?? messageOf(error)}`);
    return 1;
  } finally {
    admin.close();
  }
}

/** The channel's credentials: TLS as the flags say, or plaintext; undefined (said) if unusable. */
async function credentialsFor(
  config: { server_ip: string; tls: ReturnType<typeof clientTlsFromFlags> },
): Promise<grpc.ChannelCredentials | undefined> {
  try {
    return config.tls
      ? await channelCredentials(config.server_ip, config.tls)
      : grpc.credentials.createInsecure();
  } catch (error) {
    if (!(error instanceof TlsFileError)) throw error;
    console.error(`admin: ${error.message}`);
    return undefined;
  }
}

/**
 * `health`: one Check, one line (`chat.Chat: SERVING` on stdout, or why not on stderr), and the
 * exit status a probe reads: 0 when SERVING, 1 for anything else.
 */
async function health(
  config: {
    server_ip: string;
    port: number;
    service: string | undefined;
    tls: ReturnType<typeof clientTlsFromFlags>;
  },
): Promise<number> {
  const credentials = await credentialsFor(config);
  if (!credentials) return 1;
  const address = hostPort(config.server_ip, config.port);
  const service = config.service ?? "";
  const label = service === "" ? "server" : service;
  const client = healthClient(address, credentials);
  try {
    const status = await checkHealth(client, service, HEALTH_DEADLINE_MS);
    console.log(`${label}: ${status}`);
    return status === "SERVING" ? 0 : 1;
  } catch (error) {
    const e = error as grpc.ServiceError;
    console.error(
      `admin: health of ${label} at ${address}: ${grpc.status[e.code] ?? "error"}: ${
        e.details ?? messageOf(error)
      }`,
    );
    return 1;
  } finally {
    client.close();
  }
}

/**
 * The command line of `migrate`: both ends given, the source a file and the target a
 * PostgreSQL URL.
 *
 * @throws {FlagError} naming the flag and the value that cannot be.
 */
function checkMigrateFlags(from: string | undefined, to: string | undefined): void {
  if (!from || !to) throw new FlagError("migrate needs -from FILE and -to URL");
  if (POSTGRES_URL.test(from)) {
    throw new FlagError(
      `flag -from names the SQLite file to copy, got the URL '${withoutPassword(from)}' ` +
        "(the PostgreSQL database goes in -to)",
    );
  }
  if (!POSTGRES_URL.test(to) || !URL.canParse(to)) {
    throw new FlagError(
      `flag -to must be a PostgreSQL URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB, got '${
        withoutPassword(to)
      }'`,
    );
  }
}

/** What the server's -db takes as a PostgreSQL database rather than a file. */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** `text` as given, or, if it is a URL with a password, with `***` for it. */
function withoutPassword(text: string): string {
  if (!URL.canParse(text)) return text;
  const url = new URL(text);
  if (!url.password) return text;
  url.password = "***";
  return url.href;
}

/**
 * `migrate`: the copy, with a line on stderr per step (at most one a second while a table is
 * copied) and the summary on stdout. Exit 0 once committed, 1 if refused or failed (nothing
 * copied).
 */
async function migrateCommand(from: string, to: string, force: boolean): Promise<number> {
  // Loaded here: the other commands, health probes above all, need not load the pg driver.
  const { describeCounts, migrate, MigrateError } = await import("./src/store/migrate/mod.ts");
  let lastLine = 0;
  const progress = (event: MigrateEvent) => {
    if (event.kind === "start") {
      const { source } = event;
      console.error(
        `admin: migrate ${from} (server id ${source.serverId}: ${
          describeCounts(source.counts)
        }) to ${event.target}`,
      );
      if (event.replacing) {
        console.error(
          `admin: -force: deleting what ${event.target} holds (${
            describeCounts(event.replacing)
          }); kept if the copy fails`,
        );
      }
    } else if (event.kind === "copied") {
      const done = event.rows === event.total;
      if (!done && Date.now() - lastLine < 1_000) return;
      lastLine = Date.now();
      const share = event.total > 0 ? ` (${Math.floor(event.rows / event.total * 100)}%)` : "";
      console.error(`admin: ${event.table}: ${event.rows} of ${event.total}${share}`);
    } else {
      console.error(
        "admin: checked: every table's rows, each group's messages and last sequence; committing",
      );
    }
  };
  let summary: MigrateSummary;
  try {
    summary = await migrate({ from, to, force, onProgress: progress });
  } catch (error) {
    const prefix = error instanceof MigrateError
      ? ""
      : error instanceof Deno.errors.NotCapable
      ? "not permitted (the admin task's permissions): "
      : "the copy failed, nothing was copied: ";
    console.error(`admin: migrate: ${prefix}${messageOf(error)}`);
    return 1;
  }
  console.log(formatSummary(summary, describeCounts));
  return 0;
}

/** The summary of a migrate: where from and to, the server id, then rows per table. */
function formatSummary(
  s: MigrateSummary,
  describeCounts: (counts: MigrateSummary["counts"]) => string,
): string {
  const seconds = s.ms / 1000;
  const rate = Math.round(s.counts.messages / seconds);
  const tables = Object.keys(s.counts) as (keyof MigrateSummary["counts"])[];
  const notes: Partial<Record<keyof MigrateSummary["counts"], string>> = {
    codes: s.codesLeftBehind > 0 ? `(${s.codesLeftBehind} used or expired left behind)` : "",
    groups: "(each set to its group's highest sequence)",
    messages: `(${rate} messages/s)`,
  };
  const width = Math.max(...tables.map((t) => String(s.counts[t]).length));
  return [
    `migrated ${s.from} to ${s.to} in ${seconds.toFixed(1)} s; server id ${s.serverId} kept` +
    (s.replaced ? `; replaced ${describeCounts(s.replaced)}` : ""),
    ...tables.map((t) =>
      `  ${t.padEnd(13)} ${String(s.counts[t]).padStart(width)} ${notes[t] ?? ""}`.trimEnd()
    ),
  ].join("\n");
}

Deno.exit(await main());
