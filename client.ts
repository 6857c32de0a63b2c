/**
 * The grpc-chat client: `deno task client -name Luis [-server_ip 127.0.0.1] [-port 50051]`;
 * `-server_ip a,b:7000` names the nodes of one service, tried in order (src/client/routes.ts).
 * Lines typed are sent to the current room (`general`, or `-group ROOM`, until `/to`, `/join`
 * or `/create` changes it); a line starting with `/` is a command (`/help` lists them,
 * src/client/commands.ts runs them). At a terminal the client is full-screen
 * (src/client/full/); otherwise, or with `-ui line`, messages received are printed on stdout as
 * `[general] Bob#1a2b: hello` and status goes to stderr, prefixed with `*`.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import process from "node:process";
import { createInterface } from "node:readline";
import {
  ChatSession,
  CommandRunner,
  defaultStateDir,
  IdentityStore,
  parseLine,
  printLine,
  renderCloseReport,
  renderEvent,
  renderResult,
  renderStartFailure,
  renderStateDirFailure,
} from "./src/client/mod.ts";
import { parseAddressList } from "./src/shared/addresses.ts";
import { FlagError, type FlagSpec, parsePort, readCommandLine } from "./src/shared/flags.ts";
import { quietGrpcLogs } from "./src/shared/grpc_logs.ts";
import { DEFAULT_GROUP } from "./src/shared/limits.ts";
import { checkGroupName, checkName } from "./src/shared/validate.ts";
import {
  channelCredentials,
  CLIENT_TLS_FLAGS,
  clientTlsFromFlags,
  TlsFileError,
} from "./src/shared/tls.ts";

const FLAGS = {
  name: {
    type: "string",
    value: "NAME",
    description: "your display name (required; need not be unique)",
  },
  server_ip: {
    type: "string",
    value: "ADDR[,...]",
    default: "127.0.0.1",
    description: "server address, HOST or HOST:PORT ([IPv6]:PORT); several, comma-separated, " +
      "are the nodes of one service, tried in order",
  },
  port: {
    type: "string",
    value: "PORT",
    default: "50051",
    description: "server port, for addresses without one",
  },
  group: {
    type: "string",
    value: "ROOM",
    default: DEFAULT_GROUP,
    description:
      "the room your lines go to at start; /to changes it (you receive every room you are in)",
  },
  state_dir: {
    type: "string",
    value: "DIR",
    description: `where your identity and read position are kept (default ${defaultStateDir()})`,
  },
  invite: {
    type: "string",
    value: "CODE",
    description:
      "an operator's one-time invite code: claims your account (servers with -claim invite)",
  },
  link: {
    type: "string",
    value: "CODE",
    description: "a one-time code from another device of your account (typed /link there)",
  },
  token: {
    type: "string",
    value: "TOKEN",
    description: "a JWT from the identity provider (servers with -jwt_key); default $CHAT_TOKEN",
  },
  ui: {
    type: "string",
    value: "line|full",
    description:
      "full: the full-screen view (the default when stdin and stdout are a terminal); line: one line per message, for pipes and programs",
  },
  ...CLIENT_TLS_FLAGS,
} as const satisfies Record<string, FlagSpec>;
const SYNOPSIS =
  "deno task client -name NAME [-server_ip HOST[:PORT][,HOST[:PORT]...]] [-port PORT] [-group ROOM] [-state_dir DIR] [-invite CODE | -link CODE | -token TOKEN] [-tls | -tls_ca FILE] [-tls_server_name NAME] [-tls_cert FILE -tls_key FILE] [-ui line|full]\n" +
  "  then type lines to send them to the current room, or commands: /help lists them";

/** `promise`'s value, or undefined as soon as `signal` aborts (a command under way is left). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    // Removed once settled: one listener per typed line would pile up over a long session.
    const abort = () => resolve(undefined);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

async function main(): Promise<number> {
  const cli = readCommandLine("client", SYNOPSIS, FLAGS, Deno.args, (values) => {
    if (values.name === undefined) throw new FlagError("flag -name is required");
    const name = values.name;
    const problem = checkName(name);
    if (problem) throw new FlagError(`flag -name: ${problem}`);
    const group = values.group;
    const groupProblem = checkGroupName(group);
    if (groupProblem) throw new FlagError(`flag -group: ${groupProblem}`);
    const terminal = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
    // A terminal that cannot move its cursor (TERM=dumb), and Windows, where the full view is
    // not tested (its libraries ask there for permissions the client does not have), get lines.
    const fullByDefault = terminal && Deno.env.get("TERM") !== "dumb" &&
      Deno.build.os !== "windows";
    const ui = values.ui ?? (fullByDefault ? "full" : "line");
    if (ui !== "line" && ui !== "full") {
      throw new FlagError(`flag -ui: "${ui}" is neither line nor full`);
    }
    if (ui === "full" && !terminal) {
      throw new FlagError("flag -ui full: stdin and stdout must be a terminal");
    }
    const tls = clientTlsFromFlags(values);
    const servers = parseAddressList(values.server_ip, parsePort(values.port));
    return { name, group, servers, tls, ui, values };
  });
  if ("exit" in cli) return cli.exit;
  const { name, group, servers, tls, ui, values } = cli.config;
  quietGrpcLogs();
  const addresses = servers.map((server) => server.address);
  // Each address's own: a certificate is checked against the host connected to.
  const secure = new Map<string, grpc.ChannelCredentials>();
  try {
    if (tls) {
      for (const { host, address } of servers) {
        secure.set(address, await channelCredentials(host, tls));
      }
    }
  } catch (error) {
    if (!(error instanceof TlsFileError)) throw error;
    console.error(`client: ${error.message}`);
    return 1;
  }
  const credentials = tls ? (to: string) => secure.get(to)! : undefined;
  const stateDir = values.state_dir ?? defaultStateDir();
  let identity;
  try {
    identity = await IdentityStore.open(stateDir, addresses, name);
  } catch (error) {
    printLine(renderStateDirFailure(stateDir, error));
    return 1;
  }
  const options = {
    name,
    address: addresses,
    identity,
    credentials,
    proof: {
      invite: values.invite,
      linkCode: values.link,
      token: values.token ?? Deno.env.get("CHAT_TOKEN"),
    },
  };
  if (ui === "full") {
    // React's development build checks every render; the production one is what people run.
    if (!Deno.env.get("NODE_ENV")) Deno.env.set("NODE_ENV", "production");
    // chalk, which ink draws with, drops even bold and inverse when it sees CI=true or an
    // unknown TERM; the view picks its colours itself (none with NO_COLOR), from the basic 16.
    if (!Deno.env.get("FORCE_COLOR")) Deno.env.set("FORCE_COLOR", "1");
    // Loaded only here, so that line mode starts without React and ink.
    const { runFullScreen } = await import("./src/client/full/mod.ts");
    return await runFullScreen({
      name,
      room: group,
      address: addresses,
      session: (onEvent) => new ChatSession({ ...options, onEvent }),
    });
  }
  const session = new ChatSession({
    ...options,
    onEvent: (event) => printLine(renderEvent(event)),
  });
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop.abort());
  }
  const stopped = new Promise<never>((_, reject) =>
    stop.signal.addEventListener("abort", () => reject(stop.signal.reason))
  );
  try {
    await Promise.race([session.start(), stopped]);
  } catch (error) {
    await session.close(0);
    if (stop.signal.aborted) return 0;
    printLine(renderStartFailure(error));
    return 1;
  }

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  stop.signal.addEventListener("abort", () => lines.close());
  // Refused for good after starting (an expired token): the "ended" event said why.
  let ended = false;
  session.ended.then(() => {
    ended = true;
    stop.abort();
  });
  const runner = new CommandRunner(session, group);
  for await (const line of lines) {
    const parsed = parseLine(line);
    if (!parsed) continue;
    // One line at a time, so that a line typed after /join goes to the room joined.
    const result = await unlessAborted(runner.run(parsed), stop.signal);
    if (!result) break;
    renderResult(result).forEach(printLine);
    if (result.kind === "quit") break;
  }
  const report = await session.close(stop.signal.aborted || ended ? 1_000 : 10_000);
  renderCloseReport(report).forEach(printLine);
  return ended || report.unsent + report.inDoubt > 0 ? 1 : 0;
}

Deno.exit(await main());
