/**
 * What the driver programs (`run_test_1.ts`, `run_test_2.ts`) share: a
 * readable log of steps and checks, every process's transcript at the end,
 * and an exit code that says whether every check held.
 *
 * `CHAT_TLS` runs a scenario over TLS with the test certificates
 * (`tests/fixtures/tls/`): `CHAT_TLS=tls` (or `1`) checks the server's
 * certificate, `CHAT_TLS=mtls` also has every client show one. Unset, empty
 * or `0`: plain TCP.
 *
 * @module
 */
import {
  type ChatProcess,
  connected,
  receivedMessages,
  startClient,
  startServer,
  type TlsMode,
} from "./harness.ts";
import { messageOf } from "../src/shared/errors.ts";

/**
 * The transport `CHAT_TLS` asks for (see the module doc).
 *
 * @throws {Error} for a value it does not know, naming it.
 */
export function tlsModeFromEnv(value = Deno.env.get("CHAT_TLS") ?? ""): TlsMode {
  switch (value) {
    case "":
    case "0":
      return "off";
    case "1":
    case "tls":
      return "tls";
    case "mtls":
      return "mtls";
    default:
      throw new Error(`CHAT_TLS must be 0, 1, tls or mtls, got '${value}'`);
  }
}

const TRANSPORT: Record<TlsMode, string> = {
  off: "plain TCP",
  tls: "TLS",
  mtls: "mutual TLS (clients show certificates)",
};

/** One scenario run: steps, checks, processes to show and stop. */
export class DriverRun {
  readonly title: string;
  readonly dir: string;
  #started = performance.now();
  #failures: string[] = [];
  #processes: ChatProcess[] = [];
  #server: { port: number; stateDir: string; tls: TlsMode } | undefined;
  /** How the server and clients talk (`CHAT_TLS`). */
  readonly tls: TlsMode;

  /** @throws {Error} when `CHAT_TLS` holds a value it does not know. */
  constructor(title: string, tls: TlsMode = tlsModeFromEnv()) {
    this.tls = tls;
    this.title = tls === "off" ? title : `${title} [over ${TRANSPORT[tls]}]`;
    this.dir = Deno.makeTempDirSync({ prefix: "chat-driver-" });
    console.log(`== ${this.title}`);
  }

  /** Registers a process so its transcript is printed and it is stopped at the end. */
  track<T extends ChatProcess>(proc: T): T {
    this.#processes.push(proc);
    return proc;
  }

  /**
   * Starts the server both scenarios use: group general closed to alice, bob and chad,
   * over the run's transport.
   */
  async startServer(): Promise<{ port: number; stateDir: string; proc: ChatProcess }> {
    this.step(
      `start the server over ${TRANSPORT[this.tls]}, group general closed to alice, bob, chad`,
    );
    const server = await startServer({
      db: `${this.dir}/chat.db`,
      members: ["alice", "bob", "chad"],
      tls: this.tls,
    });
    this.track(server.proc);
    if (this.tls !== "off") {
      // The server says how it listens: proof that the run is not plain TCP after all.
      const listening = server.proc.stdout.find((l) => l.includes("listening on ")) ?? "";
      const expected = this.tls === "mtls"
        ? /, TLS with client certificates signed by /
        : /, TLS, accounts /;
      this.check(expected.test(listening), `the server listens with ${TRANSPORT[this.tls]}`);
    }
    this.#server = { port: server.port, stateDir: `${this.dir}/state`, tls: this.tls };
    return { port: server.port, stateDir: this.#server.stateDir, proc: server.proc };
  }

  /**
   * Starts a client of the run's server, tracked from the start (so it is stopped even if it
   * never connects), and waits until it is connected.
   */
  async connect(name: string): Promise<{ proc: ChatProcess; id: string }> {
    if (!this.#server) throw new Error("start the server before its clients");
    return await connected(this.track(startClient({ name, ...this.#server })));
  }

  /** Logs a step of the scenario. */
  step(text: string): void {
    const t = ((performance.now() - this.#started) / 1000).toFixed(2).padStart(6);
    console.log(`[${t}s] ${text}`);
  }

  /** Records a check; a failed one fails the run but the scenario goes on. */
  check(ok: boolean, text: string): void {
    console.log(`        ${ok ? "PASS" : "FAIL"} ${text}`);
    if (!ok) this.#failures.push(text);
  }

  /** Checks that `proc` printed exactly `expected` received messages, in order. */
  checkReceived(proc: ChatProcess, expected: { from: string; text: string }[]): void {
    const got = receivedMessages(proc).map((m) => `${m.from}: ${m.text}`);
    const want = expected.map((m) => `${m.from}: ${m.text}`);
    const same = got.length === want.length && got.every((line, i) => line === want[i]);
    this.check(
      same,
      `${proc.label} printed exactly ${want.length} message(s)${
        want.length ? `: ${want.join(" | ")}` : ""
      }` +
        (same ? "" : ` (got ${got.length}: ${got.join(" | ") || "nothing"})`),
    );
  }

  /**
   * Runs `scenario` as a driver program: logs it, always stops everything, exits 0 or 1
   * (2 when `CHAT_TLS` holds a value it does not know).
   */
  static async main(title: string, scenario: (run: DriverRun) => Promise<void>): Promise<never> {
    let tls: TlsMode;
    try {
      tls = tlsModeFromEnv();
    } catch (error) {
      console.error(messageOf(error));
      Deno.exit(2);
    }
    const run = new DriverRun(title, tls);
    let failure: unknown;
    try {
      await scenario(run);
    } catch (error) {
      failure = error;
    }
    Deno.exit(await run.finish(failure));
  }

  /** Stops every process, prints transcripts, and returns the exit code. */
  async finish(error?: unknown): Promise<number> {
    if (error) {
      this.#failures.push(messageOf(error));
      console.log(`        FAIL ${messageOf(error)}`);
    }
    // Clients first (they were tracked after the server), so they leave cleanly.
    for (const p of [...this.#processes].reverse()) await p.stop();
    console.log("-- what each process printed (| stdout, ! stderr)");
    for (const p of this.#processes) console.log(p.transcript());
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    const verdict = this.#failures.length === 0
      ? "PASSED"
      : `FAILED (${this.#failures.length} check(s))`;
    console.log(`== ${this.title}: ${verdict}`);
    return this.#failures.length === 0 ? 0 : 1;
  }
}
