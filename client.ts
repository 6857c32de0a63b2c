/**
 * The grpc-chat client: `deno task client -name Luis [-server_ip 127.0.0.1] [-port 50051]`.
 * Lines typed are sent to the group; messages received are printed on stdout
 * as `[general] Bob#1a2b: hello`; status goes to stderr, prefixed with `*`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { ChatSession, SendRefusedError } from "./src/client_core.ts";
import { FlagError, type FlagSpec, parseFlags, parsePort, usage } from "./src/flags.ts";
import { formatMessage } from "./src/format.ts";
import { quietGrpcLogs } from "./src/grpc_logs.ts";
import { defaultStateDir, IdentityFile } from "./src/identity.ts";
import { checkName, checkText } from "./src/validate.ts";

const FLAGS: Record<string, FlagSpec> = {
  name: {
    type: "string",
    value: "NAME",
    description: "your display name (required; need not be unique)",
  },
  server_ip: { type: "string", value: "HOST", default: "127.0.0.1", description: "server address" },
  port: { type: "string", value: "PORT", default: "50051", description: "server port" },
  state_dir: {
    type: "string",
    value: "DIR",
    description: `where your identity and read position are kept (default ${defaultStateDir()})`,
  },
};
const SYNOPSIS = "deno task client -name NAME [-server_ip HOST] [-port PORT] [-state_dir DIR]";

const notice = (text: string) => console.error(`* ${text}`);

async function main(): Promise<number> {
  let name: string, port: number;
  let values;
  try {
    values = parseFlags(Deno.args, FLAGS);
    if (values.help) {
      console.log(usage(SYNOPSIS, FLAGS));
      return 0;
    }
    if (values.name === undefined) throw new FlagError("flag -name is required");
    name = values.name as string;
    const problem = checkName(name);
    if (problem) throw new FlagError(`flag -name: ${problem}`);
    port = parsePort(values.port as string);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(`client: ${error.message}\n${usage(SYNOPSIS, FLAGS)}`);
    return 2;
  }
  quietGrpcLogs();
  const host = values.server_ip as string;
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const identity = await IdentityFile.claim(
    (values.state_dir as string | undefined) ?? defaultStateDir(),
    address,
    name,
  );
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
  try {
    await Promise.race([
      session.start(),
      new Promise((_, reject) =>
        stop.signal.addEventListener("abort", () => reject(stop.signal.reason))
      ),
    ]);
  } catch (error) {
    if (error instanceof SendRefusedError) {
      notice(`the server refused this client: ${error.message}`);
      await session.close(0);
      return 1;
    }
    if (stop.signal.aborted) {
      await session.close(0);
      return 0;
    }
    throw error;
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
    session.send(line).catch((error) => {
      if (error instanceof SendRefusedError) notice(`not sent: ${error.message}`);
    });
  }
  const unsent = await session.close(stop.signal.aborted ? 1_000 : 10_000);
  if (unsent > 0) {
    notice(
      `${unsent} message${
        unsent === 1 ? " was" : "s were"
      } not sent: the server did not acknowledge them`,
    );
    return 1;
  }
  return 0;
}

Deno.exit(await main());
