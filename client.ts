/**
 * The grpc-chat client: `deno task client -name Luis [-server_ip 127.0.0.1] [-port 50051]`.
 * Lines typed are sent to the group (`general`, or `-group NAME`); messages received are printed on stdout
 * as `[general] Bob#1a2b: hello`; status goes to stderr, prefixed with `*`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import {
  ChatSession,
  defaultStateDir,
  IdentityStore,
  printLine,
  renderCloseReport,
  renderEvent,
  renderStartFailure,
  renderStateDirFailure,
} from "./src/client/mod.ts";
import { FlagError, type FlagSpec, parsePort, readCommandLine } from "./src/shared/flags.ts";
import { hostPort } from "./src/shared/format.ts";
import { quietGrpcLogs } from "./src/shared/grpc_logs.ts";
import { DEFAULT_GROUP } from "./src/shared/limits.ts";
import { checkGroupName, checkName } from "./src/shared/validate.ts";

const FLAGS = {
  name: {
    type: "string",
    value: "NAME",
    description: "your display name (required; need not be unique)",
  },
  server_ip: { type: "string", value: "HOST", default: "127.0.0.1", description: "server address" },
  port: { type: "string", value: "PORT", default: "50051", description: "server port" },
  group: {
    type: "string",
    value: "NAME",
    default: DEFAULT_GROUP,
    description: "the group your lines go to (you receive every group you are a member of)",
  },
  state_dir: {
    type: "string",
    value: "DIR",
    description: `where your identity and read position are kept (default ${defaultStateDir()})`,
  },
} as const satisfies Record<string, FlagSpec>;
const SYNOPSIS =
  "deno task client -name NAME [-server_ip HOST] [-port PORT] [-group NAME] [-state_dir DIR]";

async function main(): Promise<number> {
  const cli = readCommandLine("client", SYNOPSIS, FLAGS, Deno.args, (values) => {
    if (values.name === undefined) throw new FlagError("flag -name is required");
    const name = values.name;
    const problem = checkName(name);
    if (problem) throw new FlagError(`flag -name: ${problem}`);
    const group = values.group;
    const groupProblem = checkGroupName(group);
    if (groupProblem) throw new FlagError(`flag -group: ${groupProblem}`);
    return { name, group, port: parsePort(values.port), values };
  });
  if ("exit" in cli) return cli.exit;
  const { name, group, port, values } = cli.config;
  quietGrpcLogs();
  const address = hostPort(values.server_ip, port);
  const stateDir = values.state_dir ?? defaultStateDir();
  let identity;
  try {
    identity = await IdentityStore.open(stateDir, address, name);
  } catch (error) {
    printLine(renderStateDirFailure(stateDir, error));
    return 1;
  }
  const session = new ChatSession({
    name,
    address,
    identity,
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
  for await (const line of lines) {
    if (line.trim() === "") continue;
    // A refusal is reported as an event; the rejection needs no more handling here.
    session.send(line, group).catch(() => {});
  }
  const report = await session.close(stop.signal.aborted ? 1_000 : 10_000);
  renderCloseReport(report).forEach(printLine);
  return report.unsent + report.inDoubt > 0 ? 1 : 0;
}

Deno.exit(await main());
