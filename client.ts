/**
 * The grpc-chat client: `deno task client -name Luis [-server_ip 127.0.0.1] [-port 50051]`.
 * Lines typed are sent to the group (`general`, or `-group NAME`); messages received are printed on stdout
 * as `[general] Bob#1a2b: hello`; status goes to stderr, prefixed with `*`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { ChatSession, RefusedError } from "./src/client/session.ts";
import { FlagError, type FlagSpec, parsePort, readCommandLine } from "./src/shared/flags.ts";
import { formatMessage, hostPort } from "./src/shared/format.ts";
import { quietGrpcLogs } from "./src/shared/grpc_logs.ts";
import { defaultStateDir, IdentityFile } from "./src/client/identity.ts";
import { DEFAULT_GROUP } from "./src/shared/limits.ts";
import { checkGroupName, checkName, checkText } from "./src/shared/validate.ts";

const FLAGS: Record<string, FlagSpec> = {
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
};
const SYNOPSIS =
  "deno task client -name NAME [-server_ip HOST] [-port PORT] [-group NAME] [-state_dir DIR]";

const notice = (text: string) => console.error(`* ${text}`);
const messageOf = (error: unknown) => error instanceof Error ? error.message : String(error);

async function main(): Promise<number> {
  const cli = readCommandLine("client", SYNOPSIS, FLAGS, Deno.args, (values) => {
    if (values.name === undefined) throw new FlagError("flag -name is required");
    const name = values.name as string;
    const problem = checkName(name);
    if (problem) throw new FlagError(`flag -name: ${problem}`);
    const group = values.group as string;
    const groupProblem = checkGroupName(group);
    if (groupProblem) throw new FlagError(`flag -group: ${groupProblem}`);
    return { name, group, port: parsePort(values.port as string), values };
  });
  if ("exit" in cli) return cli.exit;
  const { name, group, port, values } = cli.config;
  quietGrpcLogs();
  const address = hostPort(values.server_ip as string, port);
  const stateDir = (values.state_dir as string | undefined) ?? defaultStateDir();
  let identity;
  try {
    identity = await IdentityFile.claim(stateDir, address, name);
  } catch (error) {
    console.error(
      `client: cannot use the state dir ${stateDir}: ${
        messageOf(error)
      }; pick another with -state_dir`,
    );
    return 1;
  }
  const session = new ChatSession({
    name,
    address,
    identity,
    onMessage: (m) => console.log(formatMessage(m.group, m)),
    onNotice: notice,
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
    notice(
      error instanceof RefusedError
        ? `the server refused this client: ${error.message}`
        : `cannot start: ${messageOf(error)}`,
    );
    return 1;
  }

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  stop.signal.addEventListener("abort", () => lines.close());
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const problem = checkText(line);
    if (problem) {
      notice(`not sent: ${problem}`);
      continue;
    }
    session.send(line, group).catch((error) => {
      if (error instanceof RefusedError) notice(`not sent: ${error.message}`);
    });
  }
  const { unsent, inDoubt } = await session.close(stop.signal.aborted ? 1_000 : 10_000);
  if (unsent > 0) {
    const were = unsent === 1 ? "message was" : "messages were";
    notice(`${unsent} ${were} not sent: the server did not acknowledge them`);
  }
  if (inDoubt > 0) {
    notice("1 message was being sent as the client stopped: the server may or may not have it");
  }
  return unsent + inDoubt > 0 ? 1 : 0;
}

Deno.exit(await main());
