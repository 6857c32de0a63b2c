/**
 * A real pseudo-terminal for end-to-end tests of full-screen programs: each {@link Terminal}
 * runs one command in a detached tmux session on a private tmux server (its own socket in a
 * temp dir, no configuration file), so it never touches a user's tmux and tests can run side
 * by side. A test types and presses keys, reads the screen as tmux renders it, resizes the
 * window, and, after the program exits, checks its exit status and that it restored the
 * terminal (primary screen, visible cursor, the `stty` modes it started with).
 *
 * The command runs under a small `sh` wrapper that records, in the terminal's temp dir, `stty`
 * before and after the program, the screen modes and the exit status when it ends. tmux 3.3a
 * itself loses the exit status of about one pane in three (`#{pane_dead_status}` stays empty
 * when the pty closes before tmux reaps the child), and hides a dead pane's cursor.
 *
 * Needs tmux 3.2 or later (`apt-get install -y tmux`). {@link tmuxTest} declares a test that is
 * ignored when `CHAT_SKIP_TMUX=1`, and fails with one line saying what to install when tmux is
 * missing.
 *
 * @example
 * ```ts
 * tmuxTest("tui: the prompt answers", async () => {
 *   await using t = await Terminal.open({ command: ["sh", "-c", "read x; echo got $x"] });
 *   await t.type("hello");
 *   await t.press("Enter");
 *   await t.waitFor("got hello");
 *   assert.equal(await t.waitForExit(), 0);
 *   await t.assertRestored();
 * });
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
const INSTALL = "apt-get install -y tmux";
const SKIP = Deno.env.get("CHAT_SKIP_TMUX") === "1";

/**
 * What the program's environment inherits from the test's, when set; everything else comes
 * from {@link TerminalOptions.env}. Not NO_COLOR (CI exports it; a test that wants it says so),
 * but DENO_DIR, where a `deno run` finds its cached packages (the image sets it).
 */
const INHERITED = [
  "PATH",
  "HOME",
  "TMPDIR",
  "DENO_DIR",
  "XDG_CACHE_HOME",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
];

/** How often a wait looks at the screen. */
const POLL_MS = 25;

/** How long one tmux command may take before the harness gives up on the server. */
const TMUX_TIMEOUT_MS = 10_000;

/**
 * Runs the command and records how it left the terminal, in the terminal's temp dir `$0`:
 * `stty` before and after (`-g` to compare, `-a` to tell a person), the screen modes when it
 * ended (asked of tmux from inside the pane, while it lives), then the exit status (shell
 * style: 128+N for signal N), written last. The inner `sh` writes its pid and execs the
 * program, so `pid` is the program's. The trap (a handler: exec resets it, so the program gets
 * the default) keeps the wrapper alive through the Ctrl-C or Ctrl-\ that the terminal sends to
 * the whole foreground process group. $1 is tmux, $2 its socket, the rest the command.
 */
const WRAPPER = `d=$0 tmux=$1 socket=$2
shift 2
trap : INT QUIT
stty -g >"$d/stty-before" 2>&1
stty -a >"$d/stty-before.txt" 2>&1
sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$d/pid" "$@"
s=$?
stty -g >"$d/stty-after" 2>&1
stty -a >"$d/stty-after.txt" 2>&1
"$tmux" -S "$socket" display-message -p -t "$TMUX_PANE" \\
  '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag} #{mouse_any_flag}' >"$d/modes" 2>&1
echo "$s" >"$d/status.tmp" && mv "$d/status.tmp" "$d/status"
exit "$s"`;

let problem: { text: string | undefined } | undefined;

/**
 * Why the terminal tests cannot run here, in one line (what to install, or to set
 * `CHAT_SKIP_TMUX=1`), or undefined when `tmux -V` runs and says 3.2 or later (the harness
 * uses `new-session -e`). Checked once.
 */
export function tmuxProblem(): string | undefined {
  problem ??= { text: findProblem() };
  return problem.text;
}

function findProblem(): string | undefined {
  const fix = `install it with: ${INSTALL} (or set CHAT_SKIP_TMUX=1 to skip the terminal tests)`;
  let version: string;
  try {
    const out = new Deno.Command("tmux", {
      args: ["-V"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    version = new TextDecoder().decode(out.success ? out.stdout : out.stderr).trim();
    if (!out.success) return `tmux -V exited ${out.code} (${version}): ${fix}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return `no tmux on the PATH: ${fix}`;
    throw error;
  }
  // "tmux 3.3a", "tmux next-3.5", "tmux master": only a number below 3.2 is refused.
  const m = version.match(/(\d+)\.(\d+)/);
  if (m && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 2))) {
    return `${version} is older than tmux 3.2: ${fix}`;
  }
  return undefined;
}

/** Whether `CHAT_SKIP_TMUX=1` (then {@link tmuxTest} tests are ignored). */
export const TMUX_SKIPPED = SKIP;

/**
 * Declares a test that needs tmux: ignored (its name saying so) when `CHAT_SKIP_TMUX=1`;
 * otherwise it fails with {@link tmuxProblem}'s line when tmux is missing, and runs `fn` when
 * it is there.
 */
export function tmuxTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn"> = {},
): void {
  Deno.test({
    ...options,
    name: SKIP ? `${name} (ignored: CHAT_SKIP_TMUX=1)` : name,
    ignore: SKIP || options.ignore,
    async fn(t) {
      const why = tmuxProblem();
      if (why) throw new Error(why);
      await fn(t);
    },
  });
}

/** How to start a {@link Terminal}. */
export interface TerminalOptions {
  /** The program and its arguments, run directly (no shell parses them). */
  command: string[];
  /** Columns; 100 unless told. */
  width?: number;
  /** Rows; 30 unless told (tmux's status line is off: the program gets them all). */
  height?: number;
  /**
   * The program's environment on top of PATH, HOME, TMPDIR, DENO_DIR, XDG_CACHE_HOME, LANG,
   * LC_ALL, LC_CTYPE and TZ taken from the test's (nothing else of it, NO_COLOR included).
   * tmux adds TMUX, TMUX_PANE, TERM_PROGRAM and TERM_PROGRAM_VERSION. A TERM here is the
   * terminal type (see `term`).
   */
  env?: Record<string, string>;
  /** `TERM` in the pane (tmux's `default-terminal`): `env.TERM`, else xterm-256color. */
  term?: string;
  /** The program's working directory: the repository root unless told. */
  cwd?: string | URL;
  /** Lines of scrollback kept above the screen (tmux's `history-limit`); 2,000 unless told. */
  historyLimit?: number;
  /** Names the terminal in failure messages; the command unless told. */
  label?: string;
}

/** What capture and waitFor read. */
export interface CaptureOptions {
  /** With the escape sequences of colours and attributes (`capture-pane -e`). */
  escapes?: boolean;
  /** With the scrollback above the screen, oldest first, then the screen. */
  history?: boolean;
}

/** How the program left the terminal, as the wrapper recorded it the moment it ended. */
export interface ExitState {
  /** Exit code; 128+N when signal N ended it. */
  status: number;
  /** Still on the alternate screen. */
  alternateScreen: boolean;
  cursorVisible: boolean;
  /** Application cursor keys (DECCKM) still on. */
  applicationCursorKeys: boolean;
  /** Some mouse reporting still on. */
  mouse: boolean;
  /** `stty -g` before the program started and after it ended: equal when it restored them. */
  sttyBefore: string;
  sttyAfter: string;
  /** `stty -a` before and after, for people. */
  sttyBeforeText: string;
  sttyAfterText: string;
}

/** One command run in a real terminal (a tmux pane) whose screen a test reads. */
export class Terminal {
  /** Names the terminal in failure messages. */
  readonly label: string;
  /** The private tmux server's socket: `tmux -S SOCKET attach` watches a test live. */
  readonly socket: string;
  /** The temp dir holding the socket and the wrapper's records; removed by close(). */
  readonly dir: string;
  /** The program's process id (not tmux's nor the wrapper's), for signals. */
  readonly pid: number;
  #pane: string;
  #env: Record<string, string>;
  #closed = false;

  private constructor(
    label: string,
    dir: string,
    pane: string,
    pid: number,
    env: Record<string, string>,
  ) {
    this.label = label;
    this.dir = dir;
    this.socket = `${dir}/tmux.sock`;
    this.#pane = pane;
    this.pid = pid;
    this.#env = env;
  }

  /**
   * Starts `command` in a new `width`x`height` terminal and waits (up to 10 s) until it runs.
   * Call {@link Terminal.close} when done (`await using` does).
   */
  static async open(options: TerminalOptions): Promise<Terminal> {
    const { command, width = 100, height = 30, env = {}, historyLimit = 2000 } = options;
    if (command.length === 0) throw new Error("Terminal.open: the command is empty");
    const { TERM, ...programEnv } = env;
    const term = options.term ?? TERM ?? "xterm-256color";
    // Without a trailing slash: the shell's $PWD (and `pwd`) would keep it.
    const cwd = toPath(options.cwd ?? ROOT).replace(/(.)\/+$/, "$1");
    const label = options.label ?? command.join(" ").replace(/\s+/g, " ").slice(0, 60);
    const tmuxEnv: Record<string, string> = {};
    for (const name of INHERITED) {
      const value = Deno.env.get(name);
      if (value !== undefined) tmuxEnv[name] = value;
    }
    const dir = await Deno.makeTempDir({ prefix: "chat-tmux-" });
    const socket = `${dir}/tmux.sock`;
    try {
      // The options go first, in the command list that starts the server, so that a program
      // ending at once still leaves its pane. `window-size manual` is set on the window after
      // it is made: set globally first, tmux 3.3a's server crashes making a detached session.
      const out = await runTmux(socket, tmuxEnv, [
        ["set-option", "-g", "remain-on-exit", "on"],
        // No "Pane is dead" line: writing it scrolls the screen up a row (tmux 3.3 and later).
        ["set-option", "-gq", "remain-on-exit-format", ""],
        ["set-option", "-g", "status", "off"],
        ["set-option", "-g", "history-limit", String(historyLimit)],
        ["set-option", "-g", "default-terminal", term],
        [
          "new-session",
          "-d",
          "-s",
          "test",
          "-x",
          String(width),
          "-y",
          String(height),
          "-c",
          cwd,
          ...Object.entries(programEnv).flatMap(([name, value]) => ["-e", `${name}=${value}`]),
          "-P",
          "-F",
          "#{pane_id}",
          "--",
          // More than one argument: tmux execs them, no shell between.
          "sh",
          "-c",
          WRAPPER,
          dir,
          "tmux",
          socket,
          ...command,
        ],
        // So that no client (a person attaching to watch) resizes it.
        ["set-option", "-w", "window-size", "manual"],
      ]);
      const pane = out.trim();
      const deadline = Date.now() + 10_000;
      let pid: number | undefined;
      while (pid === undefined) {
        pid = Number(await Deno.readTextFile(`${dir}/pid`).catch(() => "")) || undefined;
        if (pid !== undefined) break;
        if (Date.now() > deadline) {
          const screen = await runTmux(socket, tmuxEnv, [["capture-pane", "-p", "-t", pane]])
            .catch((error) => `(${error.message})`);
          throw new Error(`${label}: did not start within 10 s; the screen:\n${screen}`);
        }
        await delay(POLL_MS);
      }
      return new Terminal(label, dir, pane, pid, tmuxEnv);
    } catch (error) {
      await runTmux(socket, tmuxEnv, [["kill-server"]]).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  async #tmux(...commands: string[][]): Promise<string> {
    if (this.#closed) throw new Error(`${this.label}: the terminal is closed`);
    return await runTmux(this.socket, this.#env, commands);
  }

  async #format(format: string): Promise<string> {
    return (await this.#tmux(["display-message", "-p", "-t", this.#pane, format])).trim();
  }

  /**
   * The screen as tmux shows it: one string per row (all of them, blank ones too), trailing
   * blanks cut. A wide character (CJK, most emoji) is one string element or two (a surrogate
   * pair) but two columns.
   */
  async capture({ escapes = false, history = false }: CaptureOptions = {}): Promise<string[]> {
    const args = ["capture-pane", "-p", "-t", this.#pane];
    if (escapes) args.push("-e");
    if (history) args.push("-S", "-");
    const out = await this.#tmux(args);
    const rows = out.split("\n");
    if (rows.at(-1) === "") rows.pop();
    return rows.map((row) => row.trimEnd());
  }

  /**
   * Waits until the screen shows `match` and returns it: a string is looked for in each row, a
   * RegExp is tried on the rows joined by newlines, a function is asked. Fails after
   * `timeoutMs` (10 s unless told), or once the program has exited without showing it, with
   * `what` (else `match`) and the last screen in the message.
   */
  async waitFor(
    match: string | RegExp | ((rows: string[]) => boolean),
    { timeoutMs = 10_000, what, ...capture }: CaptureOptions & {
      timeoutMs?: number;
      what?: string;
    } = {},
  ): Promise<string[]> {
    const test = typeof match === "string"
      ? (rows: string[]) => rows.some((row) => row.includes(match))
      : match instanceof RegExp
      ? (rows: string[]) => match.test(rows.join("\n"))
      : match;
    const wanted = what ??
      (typeof match === "function" ? match.name || "the condition" : String(
        typeof match === "string" ? JSON.stringify(match) : match,
      ));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.capture(capture);
      if (test(rows)) return rows;
      const status = await this.exited();
      if (status !== undefined) {
        // It may have drawn it between the capture and its end.
        const last = await this.capture(capture);
        if (test(last)) return last;
        throw new Error(
          `${this.label} exited (status ${status}) before the screen showed ${wanted}; ` +
            `the screen:\n${showScreen(last)}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `${this.label}: the screen did not show ${wanted} within ${timeoutMs} ms; ` +
            `the screen:\n${showScreen(rows)}`,
        );
      }
      await delay(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
  }

  /** Types `text` as it is (`send-keys -l`): no key names; "\n" is Ctrl-J, not Enter. */
  async type(text: string): Promise<void> {
    if (text) await this.#tmux(["send-keys", "-l", "-t", this.#pane, "--", text]);
  }

  /**
   * Presses keys by tmux's names, in order: `Enter`, `Escape`, `Tab`, `BTab`, `BSpace`, `Up`,
   * `Down`, `Left`, `Right`, `Home`, `End`, `PPage`, `NPage`, `F1`, `C-c`, `C-d`, `M-2`,
   * `C-n`... A string that is no key name is typed as it is.
   */
  async press(...keys: string[]): Promise<void> {
    if (keys.length) await this.#tmux(["send-keys", "-t", this.#pane, "--", ...keys]);
  }

  /** Resizes the terminal; the program gets SIGWINCH. */
  async resize(width: number, height: number): Promise<void> {
    await this.#tmux([
      "resize-window",
      "-t",
      this.#pane,
      "-x",
      String(width),
      "-y",
      String(height),
    ]);
  }

  /** The terminal's size now. */
  async size(): Promise<{ width: number; height: number }> {
    const [width, height] = (await this.#format("#{pane_width} #{pane_height}")).split(" ");
    return { width: Number(width), height: Number(height) };
  }

  /**
   * Whether the program has switched to the alternate screen. While it runs: after it exits,
   * see {@link Terminal.exitState}.
   */
  async alternateScreen(): Promise<boolean> {
    return await this.#format("#{alternate_on}") === "1";
  }

  /**
   * Whether the cursor is shown. While the program runs: tmux hides a dead pane's cursor; see
   * {@link Terminal.exitState}.
   */
  async cursorVisible(): Promise<boolean> {
    return await this.#format("#{cursor_flag}") === "1";
  }

  /**
   * The program's exit status (128+N when signal N ended it), or undefined while it runs. -1
   * when something killed the wrapper and tmux did not learn how.
   */
  async exited(): Promise<number | undefined> {
    const status = await this.#status();
    if (status !== undefined) return status;
    const [dead, code, signal] = (await this.#format(
      "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}",
    )).split(":");
    if (dead !== "1") return undefined;
    // The wrapper may have ended between the two reads; else it was killed.
    return await this.#status() ??
      (code ? Number(code) : signal ? 128 + Number(signal) : -1);
  }

  async #status(): Promise<number | undefined> {
    const text = await Deno.readTextFile(`${this.dir}/status`).catch(() => undefined);
    return text === undefined ? undefined : Number(text.trim());
  }

  /** Waits (10 s unless told) for the program to exit; returns its status (see exited). */
  async waitForExit(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.exited();
      if (status !== undefined) return status;
      if (Date.now() >= deadline) {
        throw new Error(
          `${this.label}: did not exit within ${timeoutMs} ms; the screen:\n` +
            showScreen(await this.capture()),
        );
      }
      await delay(POLL_MS);
    }
  }

  /** How the program left the terminal, or undefined while it runs. */
  async exitState(): Promise<ExitState | undefined> {
    const status = await this.#status();
    if (status === undefined) return undefined;
    const read = (name: string) =>
      Deno.readTextFile(`${this.dir}/${name}`).then((text) => text.trim(), () => "");
    const [alternate, cursor, keys, mouse] = (await read("modes")).split(" ");
    return {
      status,
      alternateScreen: alternate === "1",
      cursorVisible: cursor === "1",
      applicationCursorKeys: keys === "1",
      mouse: mouse === "1",
      sttyBefore: await read("stty-before"),
      sttyAfter: await read("stty-after"),
      sttyBeforeText: await read("stty-before.txt"),
      sttyAfterText: await read("stty-after.txt"),
    };
  }

  /**
   * Fails unless the program, now exited, left the terminal as it found it: the primary
   * screen, the cursor shown, no application cursor keys or mouse reporting, and the `stty`
   * settings it started with (so raw mode off, echo on). The message names each difference.
   */
  async assertRestored(): Promise<void> {
    const state = await this.exitState();
    if (!state) {
      throw new Error(`${this.label}: still running; assertRestored needs it to have exited`);
    }
    const problems: string[] = [];
    if (state.alternateScreen) problems.push("still on the alternate screen");
    if (!state.cursorVisible) problems.push("the cursor is hidden");
    if (state.applicationCursorKeys) problems.push("application cursor keys are on");
    if (state.mouse) problems.push("mouse reporting is on");
    if (!state.sttyBefore || state.sttyBefore !== state.sttyAfter) {
      const { added, removed } = sttyDiff(state.sttyBeforeText, state.sttyAfterText);
      problems.push(
        `stty differs from before it ran: now ${added.join(" ") || "?"} (was ${
          removed.join(" ") || "?"
        }); stty -g before ${state.sttyBefore || "(none)"}, after ${state.sttyAfter || "(none)"}`,
      );
    }
    if (problems.length) {
      throw new Error(
        `${this.label} (exit ${state.status}) did not restore the terminal: ` +
          `${problems.join("; ")}; the screen:\n${showScreen(await this.capture())}`,
      );
    }
  }

  /** Sends `signal` to the program (not the wrapper nor tmux); nothing once it has exited. */
  async kill(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    if (await this.#status() !== undefined) return;
    try {
      Deno.kill(this.pid, signal);
    } catch {
      // Exited in between.
    }
  }

  /**
   * Ends the tmux server (a running program gets SIGHUP, and SIGKILL if it is still there a
   * second later) and removes the temp dir. Idempotent, never throws: for `finally`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const running = await this.#status() === undefined;
    await runTmux(this.socket, this.#env, [["kill-server"]]).catch(() => {});
    this.#closed = true;
    if (running) {
      const deadline = Date.now() + 1_000;
      while (await alive(this.pid) && Date.now() < deadline) await delay(POLL_MS);
      if (await alive(this.pid)) {
        try {
          Deno.kill(this.pid, "SIGKILL");
        } catch {
          // Gone in between.
        }
      }
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** For `await using t = await Terminal.open(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Runs one tmux client command list on `socket`'s server (started by the first one), in
 * exactly `env`. An argument ending in `;` would end a tmux command: its `;` is escaped.
 */
async function runTmux(
  socket: string,
  env: Record<string, string>,
  commands: string[][],
): Promise<string> {
  const args = commands.flatMap((command, i) => [
    ...(i ? [";"] : []),
    ...command.map((arg) => arg.endsWith(";") ? `${arg.slice(0, -1)}\\;` : arg),
  ]);
  const shown = commands.map((c) => c[0]).join("; ");
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("tmux", {
      args: ["-u", "-S", socket, "-f", "/dev/null", ...args],
      clearEnv: true,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(TMUX_TIMEOUT_MS),
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(tmuxProblem() ?? String(error));
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new Error(`tmux ${shown}: no answer within ${TMUX_TIMEOUT_MS} ms (${socket})`);
    }
    throw error;
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`tmux ${shown} exited ${output.code}: ${stderr || "(no message)"}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** The screen for a failure message: numbered rows, up to the last that is not blank. */
function showScreen(rows: string[]): string {
  let end = rows.length;
  while (end > 0 && rows[end - 1] === "") end--;
  const shown = rows.slice(0, end).map((row, i) => `  ${String(i).padStart(2)} |${row}`);
  if (end < rows.length) shown.push(`     (${rows.length - end} blank rows below)`);
  if (rows.length === 0) shown.push("     (nothing)");
  return shown.join("\n");
}

/**
 * The settings of `stty -a` after and not before (`added`), and before and not after
 * (`removed`); the window size (rows, columns) left out.
 */
export function sttyDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const settings = (text: string) =>
    new Set(
      text.split(/[;\n]/).map((part) => part.trim()).filter(Boolean).flatMap((part) =>
        / = /.test(part) || /^(speed|rows|columns|line) /.test(part)
          ? [part.replace(/ = /, "=")]
          : part.split(/\s+/)
      ).filter((s) => !/^(rows|columns) /.test(s)),
    );
  const a = settings(before);
  const b = settings(after);
  return {
    added: [...b].filter((s) => !a.has(s)),
    removed: [...a].filter((s) => !b.has(s)),
  };
}

/**
 * Whether process `pid` still runs (a zombie does not). /proc is read by `cat`: Deno asks for
 * every permission to read it itself, which the tests do not have.
 */
async function alive(pid: number): Promise<boolean> {
  if (Deno.build.os === "linux") {
    const { success, stdout } = await new Deno.Command("cat", {
      args: [`/proc/${pid}/stat`],
      stderr: "null",
    }).output();
    if (!success) return false;
    const stat = new TextDecoder().decode(stdout);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  }
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

function toPath(path: string | URL): string {
  return path instanceof URL ? fileURLToPath(path) : path;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
