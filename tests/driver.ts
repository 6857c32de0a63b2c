/**
 * What the driver programs (`run_test_1.ts`, `run_test_2.ts`) share: a
 * readable log of steps and checks, every process's transcript at the end,
 * and an exit code that says whether every check held.
 *
 * @module
 */
import {
  type ChatProcess,
  connected,
  receivedMessages,
  startClient,
  startServer,
} from "./harness.ts";
import { messageOf } from "../src/shared/errors.ts";

/** One scenario run: steps, checks, processes to show and stop. */
export class DriverRun {
  readonly title: string;
  readonly dir: string;
  #started = performance.now();
  #failures: string[] = [];
  #processes: ChatProcess[] = [];
  #server: { port: number; stateDir: string } | undefined;

  constructor(title: string) {
    this.title = title;
    this.dir = Deno.makeTempDirSync({ prefix: "chat-driver-" });
    console.log(`== ${title}`);
  }

  /** Registers a process so its transcript is printed and it is stopped at the end. */
  track<T extends ChatProcess>(proc: T): T {
    this.#processes.push(proc);
    return proc;
  }

  /** Starts the server both scenarios use: group general closed to alice, bob and chad. */
  async startServer(): Promise<{ port: number; stateDir: string; proc: ChatProcess }> {
    this.step("start the server, group general closed to alice, bob, chad");
    const server = await startServer({
      db: `${this.dir}/chat.db`,
      members: ["alice", "bob", "chad"],
    });
    this.track(server.proc);
    this.#server = { port: server.port, stateDir: `${this.dir}/state` };
    return { ...this.#server, proc: server.proc };
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

  /** Runs `scenario` as a driver program: logs it, always stops everything, exits 0 or 1. */
  static async main(title: string, scenario: (run: DriverRun) => Promise<void>): Promise<never> {
    const run = new DriverRun(title);
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
