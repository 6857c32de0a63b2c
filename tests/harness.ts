/**
 * Real server and client processes for tests and the driver programs: spawn
 * them (with `deno run`, or compiled binaries when `CHAT_SERVER_BIN` and
 * `CHAT_CLIENT_BIN` point to them), type into them, and wait, with a
 * deadline, for a line of their output.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/**
 * The permission flags of a program's permission set in deno.json (`server`, `client`, `admin`:
 * what its task runs with, `-P=NAME`), so the processes under test run with exactly the least
 * privileges users get.
 */
export function taskPermissions(task: "server" | "client" | "admin"): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  const set: Record<string, true | string[]> = config.permissions[task];
  return Object.entries(set).map(([kind, allowed]) =>
    allowed === true ? `--allow-${kind}` : `--allow-${kind}=${allowed.join(",")}`
  );
}

/** A spawned process whose output is kept line by line. */
export class ChatProcess {
  readonly label: string;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly status: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #waiters = new Set<() => void>();
  #reading: Promise<void>[];
  #exited = false;

  constructor(label: string, command: string, args: string[], env: Record<string, string> = {}) {
    this.label = label;
    this.#child = new Deno.Command(command, {
      args,
      env: { NO_COLOR: "1", ...env },
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#reading = [
      this.#collect(this.#child.stdout, this.stdout),
      this.#collect(this.#child.stderr, this.stderr),
    ];
    this.status = this.#child.status.then(async (status) => {
      this.#exited = true;
      await Promise.allSettled(this.#reading);
      this.#wake();
      return status;
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  async #collect(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      if (parts.length) {
        lines.push(...parts);
        this.#wake();
      }
    }
    if (rest) lines.push(rest);
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /**
   * Resolves with the first line of `stream` matching `pattern`, looking from
   * line `from` on; rejects after `timeoutMs` or if the process exits first,
   * with what it printed.
   */
  waitForLine(
    pattern: RegExp,
    { stream = "stdout", timeoutMs = 10_000, from = 0 }: {
      stream?: "stdout" | "stderr";
      timeoutMs?: number;
      from?: number;
    } = {},
  ): Promise<string> {
    const lines = stream === "stdout" ? this.stdout : this.stderr;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.slice(from).find((line) => pattern.test(line));
        if (found !== undefined || this.#exited) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          if (found !== undefined) resolve(found);
          else {reject(
              new Error(`${this.label} exited before printing ${pattern}\n${this.transcript()}`),
            );}
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `${this.label}: no line ${pattern} within ${timeoutMs} ms\n${this.transcript()}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits until `count` lines of `stream` match `pattern` (same rules as waitForLine). */
  async waitForCount(
    pattern: RegExp,
    count: number,
    { stream = "stdout", timeoutMs = 10_000 }: {
      stream?: "stdout" | "stderr";
      timeoutMs?: number;
    } = {},
  ): Promise<void> {
    const lines = stream === "stdout" ? this.stdout : this.stderr;
    const deadline = Date.now() + timeoutMs;
    let from = 0;
    for (let seen = 0; seen < count; seen++) {
      const line = await this.waitForLine(pattern, {
        stream,
        from,
        timeoutMs: Math.max(1, deadline - Date.now()),
      });
      from = lines.indexOf(line, from) + 1;
    }
  }

  /** Types a line. */
  async type(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes stdin, as Ctrl-D would. */
  async closeInput(): Promise<void> {
    await this.#stdin.close().catch(() => {});
  }

  /** Sends `signal` unless the process has exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Exited in between.
    }
  }

  /** Ends the process (SIGKILL if it has not exited within `graceMs` of SIGTERM). */
  async stop(graceMs = 3_000): Promise<Deno.CommandStatus> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    const status = await this.status;
    clearTimeout(timer);
    await this.closeInput();
    return status;
  }

  /** Everything the process printed, labelled, for failure messages and driver logs. */
  transcript(): string {
    return [
      ...this.stdout.map((l) => `  ${this.label} | ${l}`),
      ...this.stderr.map((l) => `  ${this.label} ! ${l}`),
    ].join("\n");
  }
}

/**
 * Runs a script of this repository that only talks to local servers (a load
 * generator, a test fixture): network on 127.0.0.1, reading, environment.
 */
export function startScript(label: string, script: string, args: string[] = []): ChatProcess {
  return new ChatProcess(label, Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-env",
    script,
    ...args,
  ]);
}

/** The environment variables that point the tests at compiled binaries (admin has none). */
const BINARIES: Record<string, string> = { server: "CHAT_SERVER_BIN", client: "CHAT_CLIENT_BIN" };

function scriptCommand(task: "server" | "client" | "admin", args: string[]): [string, string[]] {
  const bin = BINARIES[task] && Deno.env.get(BINARIES[task]);
  if (bin) return [bin, args];
  return [Deno.execPath(), ["run", ...taskPermissions(task), `${task}.ts`, ...args]];
}

/** What a server reports in the metrics line it prints on SIGUSR2. */
export interface ServerStats {
  rssMb: number;
  /** CPU time of every thread since the server started. */
  cpuS: number;
  sends: number;
  /** Server-side send latency (arrival to answer) of the last 4,096 sends. */
  sendP50Ms: number;
  sendP99Ms: number;
}

/** Asks a running server (ours, or the benchmark's bare one) for its human stats line (SIGUSR2). */
export async function statsLine(proc: ChatProcess): Promise<string> {
  return await signalForLine(proc, /(^| )stats: /);
}

/** Sends SIGUSR2 to a server and waits for the first line matching `pattern` it prints after. */
async function signalForLine(proc: ChatProcess, pattern: RegExp): Promise<string> {
  const from = proc.stdout.length;
  proc.kill("SIGUSR2");
  return await proc.waitForLine(pattern, { from });
}

/**
 * Asks a running server (ours, or the benchmark's bare one) for its metrics registry: the
 * `metrics {...}` JSON line it prints on SIGUSR2 after the human line.
 */
export async function serverMetrics(proc: ChatProcess): Promise<Record<string, number>> {
  const line = await signalForLine(proc, /(^| )metrics \{/);
  return JSON.parse(line.slice(line.indexOf("metrics {") + "metrics ".length));
}

/** The figures of a chat server's metrics. */
export async function serverStats(proc: ChatProcess): Promise<ServerStats> {
  const m = await serverMetrics(proc);
  return {
    rssMb: m.process_resident_memory_bytes / 1024 / 1024,
    cpuS: m.process_cpu_seconds_total,
    sends: m.chat_sends_committed_total,
    // Milliseconds to the microsecond: the seconds' float noise is not a figure.
    sendP50Ms: +(m.chat_send_latency_p50_seconds * 1000).toFixed(3),
    sendP99Ms: +(m.chat_send_latency_p99_seconds * 1000).toFixed(3),
  };
}

/** The server's resident memory in MB. */
export async function serverRssMb(proc: ChatProcess): Promise<number> {
  return (await serverStats(proc)).rssMb;
}

/**
 * The test certificates (made by `tests/fixtures/tls/make.sh`), relative to the repository
 * root, where the programs under test run.
 */
export const TLS_FIXTURES = {
  /** Signs the server's certificate. */
  ca: "tests/fixtures/tls/ca.pem",
  /** The server's: DNS `localhost`, IP `127.0.0.1` and `::1`. */
  serverCert: "tests/fixtures/tls/server.pem",
  serverKey: "tests/fixtures/tls/server.key",
  /** Signs client certificates. */
  clientCa: "tests/fixtures/tls/client-ca.pem",
  clientCert: "tests/fixtures/tls/client.pem",
  clientKey: "tests/fixtures/tls/client.key",
  /** Signed nothing the tests trust. */
  otherCa: "tests/fixtures/tls/other-ca.pem",
  /** Signed by {@link TLS_FIXTURES.otherCa}: a client certificate no test server accepts. */
  otherClientCert: "tests/fixtures/tls/other-client.pem",
  otherClientKey: "tests/fixtures/tls/other-client.key",
  /** For `serverKey`, expired the moment it was made. */
  expired: "tests/fixtures/tls/expired.pem",
} as const;

/**
 * How test processes talk: plain TCP, TLS (the server's certificate checked against
 * {@link TLS_FIXTURES.ca}), or mutual TLS (clients also show {@link TLS_FIXTURES.clientCert}).
 */
export type TlsMode = "off" | "tls" | "mtls";

/** The server's flags for `mode`. */
export function serverTlsFlags(mode: TlsMode): string[] {
  if (mode === "off") return [];
  const flags = ["-tls_cert", TLS_FIXTURES.serverCert, "-tls_key", TLS_FIXTURES.serverKey];
  return mode === "mtls" ? [...flags, "-tls_client_ca", TLS_FIXTURES.clientCa] : flags;
}

/** A client's flags for `mode`. */
export function clientTlsFlags(mode: TlsMode): string[] {
  if (mode === "off") return [];
  const flags = ["-tls_ca", TLS_FIXTURES.ca];
  return mode === "mtls"
    ? [...flags, "-tls_cert", TLS_FIXTURES.clientCert, "-tls_key", TLS_FIXTURES.clientKey]
    : flags;
}

/** A server process and the port it bound. */
export interface ServerProcess {
  proc: ChatProcess;
  port: number;
}

/**
 * Starts `server.ts` on a free port of `host` (127.0.0.1 unless told) and waits until it
 * listens.
 */
export async function startServer(
  { db, members, port = 0, label = "server", extra = [], host = "127.0.0.1", tls = "off", env }: {
    db: string;
    members?: string[];
    port?: number;
    label?: string;
    extra?: string[];
    host?: string;
    tls?: TlsMode;
    /** Set in the server's environment, on top of this process's. */
    env?: Record<string, string>;
  },
): Promise<ServerProcess> {
  const args = ["-host", host, "-port", String(port), "-db", db, ...serverTlsFlags(tls), ...extra];
  if (members) args.push("-members", members.join(","));
  const proc = new ChatProcess(label, ...scriptCommand("server", args), env);
  const line = await proc.waitForLine(/listening on /, { timeoutMs: 30_000 });
  return { proc, port: Number(line.match(/listening on [^ ]*:(\d+),/)![1]) };
}

/** How to start a client. */
export interface ClientOptions {
  name: string;
  port: number;
  stateDir: string;
  label?: string;
  extra?: string[];
  /** `-server_ip`; 127.0.0.1 unless told. */
  serverIp?: string;
  tls?: TlsMode;
  /** Set in the client's environment, on top of this process's. */
  env?: Record<string, string>;
}

/** Starts `client.ts` as `name` against `port`, with its own state dir. */
export function startClient(
  { name, port, stateDir, label = name, extra = [], serverIp = "127.0.0.1", tls = "off", env }:
    ClientOptions,
): ChatProcess {
  const args = [
    "-name",
    name,
    "-server_ip",
    serverIp,
    "-port",
    String(port),
    "-state_dir",
    stateDir,
    ...clientTlsFlags(tls),
    ...extra,
  ];
  return new ChatProcess(label, ...scriptCommand("client", args), env);
}

/** Starts a client and waits for its "connected" line; returns it and its display name. */
export async function connectClient(
  options: ClientOptions,
): Promise<{ proc: ChatProcess; id: string }> {
  return await connected(startClient(options));
}

/** Waits for a started client's "connected" line; returns it and its display name. */
export async function connected(proc: ChatProcess): Promise<{ proc: ChatProcess; id: string }> {
  const line = await proc.waitForLine(CONNECTED, { stream: "stderr", timeoutMs: 30_000 });
  return { proc, id: line.match(CONNECTED)![1] };
}

/** A client's "connected" line; the display name may hold spaces, the id after `#` does not. */
const CONNECTED = /^\* connected to .* as (.+#[0-9a-f]{4}) \(/;

/**
 * A received-message line: `[group] Name#id: text`; the name may hold spaces and colons. A
 * group name holds no space, so a page of `/history` (`[dev history] ...`) is not one.
 */
const RECEIVED = /^\[([^\]\s]+)\] (.+?#[0-9a-f]{4}): (.*)$/;

/** One received-message line parsed, or undefined for any other line. */
export function parseReceived(
  line: string,
): { group: string; from: string; text: string } | undefined {
  const m = line.match(RECEIVED);
  return m ? { group: m[1], from: m[2], text: m[3] } : undefined;
}

/** Received-message lines (`[group] Name#id: text`) of a client, parsed. */
export function receivedMessages(
  proc: ChatProcess,
): { group: string; from: string; text: string }[] {
  return proc.stdout.flatMap((line) => parseReceived(line) ?? []);
}

/** Runs `server.ts` or `client.ts` with `args` to its end (stdin closed); returns code and output. */
export async function runToEnd(
  task: "server" | "client" | "admin",
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, fullArgs] = scriptCommand(task, args);
  const output = await new Deno.Command(command, {
    args: fullArgs,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}
