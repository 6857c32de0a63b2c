/**
 * The full-screen client end to end: the real `client.ts` (with the task's permission set) in a
 * real pseudo-terminal (tests/tmux.ts), against a real server process (or, for what a real
 * server refuses to carry, an in-process fake), read off the screen as tmux renders it: who got
 * which message, how often and in which order, the room list, the status bar, the input line,
 * History pages, resizes, escape sequences made inert, the styling (with CI=true, NO_COLOR),
 * and the terminal given back at the end.
 * Ignored when `CHAT_SKIP_TMUX=1`.
 */
import assert from "node:assert/strict";
import type { ChatHandlers } from "../src/protocol/proto.ts";
import { fakeHandlers, startFake } from "../src/client/testing.ts";
import {
  type ChatProcess,
  connected,
  receivedMessages,
  startClient,
  startServer,
  taskPermissions,
} from "./harness.ts";
import { Terminal, tmuxTest } from "./tmux.ts";

/** The client as `deno task client` runs it. */
const CLIENT = [Deno.execPath(), "run", "-q", ...taskPermissions("client"), "client.ts"];

/** How long a client or the server may take to start, connect, or reconnect. */
const START_MS = 30_000;

/** The screen of the full client taken apart. */
interface Layout {
  /** The room list's rows (the text left of `│`, trailing blanks cut). */
  rooms: string[];
  /** The pane's rows (right of `│`, or the whole row without a room list). */
  pane: string[];
  /** The second-to-last row. */
  status: string;
  /** The last row: the prompt and what is typed. */
  input: string;
}

function layout(rows: string[]): Layout {
  const body = rows.slice(0, -2);
  const split = body.map((row) => {
    const at = row.indexOf("│");
    return at < 0 ? ["", row] : [row.slice(0, at).trimEnd(), row.slice(at + 1)];
  });
  return {
    rooms: split.map(([rooms]) => rooms).filter((row) => row !== ""),
    pane: split.map(([, pane]) => pane),
    status: rows.at(-2) ?? "",
    input: rows.at(-1) ?? "",
  };
}

/**
 * The pane's entries, each wrapped one joined back into one line: a message as
 * `Sender: text` (its time cut), a notice as `* text`.
 */
function entries(pane: string[]): string[] {
  const out: string[] = [];
  for (const row of pane) {
    if (/^\d\d:\d\d /.test(row)) out.push(row.slice(6));
    else if (row.startsWith("* ")) out.push(row);
    else if (row.startsWith("  ") && out.length > 0) out[out.length - 1] += ` ${row.trimStart()}`;
    else assert.equal(row, "", `a pane row that is no entry: ${JSON.stringify(row)}`);
  }
  return out;
}

/** The messages of a pane, as `Sender: text`, in order. */
function messages(pane: string[]): string[] {
  return entries(pane).filter((entry) => !entry.startsWith("* "));
}

/** How many of `list` equal `item`. */
function count<T>(list: readonly T[], item: T): number {
  return list.filter((x) => x === item).length;
}

/**
 * The codes of the SGR sequences (`ESC [ ... m`) in `text`, in order: `ESC [ m` is 0, and a
 * 256-colour or RGB one is its 38 or 48 alone (the colour after it left out).
 */
function sgrCodes(text: string): number[] {
  const codes: number[] = [];
  // deno-lint-ignore no-control-regex -- the escape sequences are what is read
  for (const [, params] of text.matchAll(/\x1b\[([0-9;]*)m/g)) {
    const list = params === "" ? [0] : params.split(";").map(Number);
    for (let i = 0; i < list.length; i++) {
      codes.push(list[i]);
      // 38 and 48 carry their colour in the parameters after them: 5;N or 2;R;G;B.
      if (list[i] === 38 || list[i] === 48) i += list[i + 1] === 5 ? 2 : 4;
    }
  }
  return codes;
}

/** The foreground colours `text` sets: 30-37, 90-97, and 38 (a 256-colour or RGB one). */
function foregrounds(text: string): number[] {
  return sgrCodes(text).filter((c) => (c >= 30 && c <= 38) || (c >= 90 && c <= 97));
}

/** A port of 127.0.0.1 where nothing listens (bound, then let go). */
function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A full-screen client in its terminal. */
interface Full {
  t: Terminal;
  /** As others see it: `@luis Luis#1a2b`. */
  id: string;
  /** The screen, taken apart, once `test` holds of it. */
  until(test: (screen: Layout) => boolean, what: string, timeoutMs?: number): Promise<Layout>;
  /** Types `line` and presses Enter. */
  enter(line: string): Promise<void>;
}

/** Starts `client.ts -name NAME -port PORT -state_dir DIR` in a terminal; waits until online. */
async function openFull(
  { name, port, stateDir, width = 100, height = 30, env }: {
    name: string;
    port: number;
    stateDir: string;
    width?: number;
    height?: number;
    /** The client's environment (see {@link Terminal.open}). */
    env?: Record<string, string>;
  },
): Promise<Full> {
  const t = await Terminal.open({
    command: [...CLIENT, "-name", name, "-port", String(port), "-state_dir", stateDir],
    width,
    height,
    env,
    label: `full ${name}`,
  });
  try {
    const until = async (test: (screen: Layout) => boolean, what: string, timeoutMs = 10_000) =>
      layout(await t.waitFor((rows) => test(layout(rows)), { what, timeoutMs }));
    // The status bar: ` online · @luis Luis#1a2b · general`.
    const screen = await until((s) => s.status.startsWith(" online · "), "online", START_MS);
    const id = screen.status.split(" · ")[1];
    return {
      t,
      id,
      until,
      enter: async (line) => {
        await t.type(line);
        await t.press("Enter");
      },
    };
  } catch (error) {
    await t.close();
    throw error;
  }
}

/**
 * Pastes `text` into the terminal as tmux does (`paste-buffer -p`): line breaks as CR, inside
 * the bracketed-paste markers if the program turned that mode on.
 */
async function paste(t: Terminal, text: string): Promise<void> {
  const out = await new Deno.Command("tmux", {
    args: [
      "-S",
      t.socket,
      "set-buffer",
      "-b",
      "test",
      "--",
      text,
      ";",
      "paste-buffer",
      "-p",
      "-d",
      "-b",
      "test",
      "-t",
      "test",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** One test's server (a process, restartable on its port and database) and its clients. */
class Rig {
  readonly dir: string;
  readonly db: string;
  port = 0;
  server!: ChatProcess;
  #procs: ChatProcess[] = [];
  #terminals: Terminal[] = [];

  private constructor(dir: string) {
    this.dir = dir;
    this.db = `${dir}/chat.db`;
  }

  static async start(): Promise<Rig> {
    const rig = new Rig(await Deno.makeTempDir({ prefix: "chat-full-" }));
    try {
      await rig.restart();
    } catch (error) {
      await rig[Symbol.asyncDispose]();
      throw error;
    }
    return rig;
  }

  /** Starts the server (again, on the same port and database). */
  async restart(): Promise<void> {
    const { proc, port } = await startServer({ db: this.db, port: this.port });
    this.#procs.push(proc);
    this.server = proc;
    this.port = port;
  }

  /** SIGKILLs the server and waits until it is gone. */
  async kill(): Promise<void> {
    this.server.kill("SIGKILL");
    await this.server.status;
  }

  /** A line-mode client, connected; its state dir is its name's. */
  async line(name: string): Promise<{ proc: ChatProcess; id: string }> {
    const proc = startClient({ name, port: this.port, stateDir: this.stateDir(name) });
    this.#procs.push(proc);
    return await connected(proc);
  }

  /** Stops `proc` with the rest. */
  track(proc: ChatProcess): ChatProcess {
    this.#procs.push(proc);
    return proc;
  }

  stateDir(name: string): string {
    return `${this.dir}/state-${name}`;
  }

  /** A full-screen client whose state dir is its name's. */
  async full(
    name: string,
    options: { width?: number; height?: number; env?: Record<string, string> } = {},
  ): Promise<Full> {
    const full = await openFull({
      name,
      port: this.port,
      stateDir: this.stateDir(name),
      ...options,
    });
    this.#terminals.push(full.t);
    return full;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const t of this.#terminals) await t.close();
    await Promise.all(this.#procs.map((p) => p.stop()));
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A full client whose server was killed, with one line, "never sent", queued. */
async function oneQueuedOffline(rig: Rig) {
  const luis = await rig.full("Luis");
  await rig.kill();
  await luis.until((s) => s.status.startsWith(" offline: "), "offline");
  await luis.enter("never sent");
  await luis.until((s) => s.status.includes(" · 1 queued · "), "1 queued");
  return luis;
}

/**
 * The client left within `withinMs` of `since`, with status 1, the terminal restored, and the
 * one line saying that the one queued message was not sent.
 */
async function leftAtOnceWithOneUnsent(t: Terminal, since: number, withinMs: number) {
  assert.equal(await t.waitForExit(), 1);
  const took = Date.now() - since;
  assert.ok(took < withinMs, `left after ${took} ms`);
  await t.assertRestored();
  assert.deepEqual((await t.capture()).filter((row) => row !== ""), [
    "* 1 message was not sent: the server did not acknowledge them",
  ]);
}

tmuxTest(
  "full-screen: a line typed is sent once, to a line-mode client, and shown in its pane",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    const luis = await rig.full("Luis");
    await luis.enter("hello from the full screen");
    await bob.proc.waitForLine(/hello from the full screen/);
    await bob.proc.type("hi Luis");
    await luis.until((s) => messages(s.pane).includes(`${bob.id}: hi Luis`), "Bob's answer");
    // A later message proves that everything before it has arrived.
    await luis.enter("the end");
    await bob.proc.waitForLine(/the end/);
    assert.deepEqual(receivedMessages(bob.proc), [
      { group: "general", from: luis.id, text: "hello from the full screen" },
      { group: "general", from: luis.id, text: "the end" },
    ]);
    assert.equal(count(bob.proc.stdout, `[general] ${luis.id}: hello from the full screen`), 1);
    const screen = await luis.until(
      (s) => messages(s.pane).includes(`${luis.id}: the end`) && !s.status.includes("sending"),
      "the end, sent",
    );
    assert.deepEqual(messages(screen.pane), [
      `${luis.id}: hello from the full screen`,
      `${bob.id}: hi Luis`,
      `${luis.id}: the end`,
    ]);
    assert.equal(screen.input, "[general]");
    assert.deepEqual(screen.rooms, [">1 general"]);
  },
);

tmuxTest(
  "full-screen: lines typed ahead in one burst are each sent; a bracketed paste stays one line",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    const luis = await rig.full("Luis");
    // One write: the client reads it as one chunk.
    await luis.t.type("one\rtwo\r");
    await bob.proc.waitForLine(/: two$/);
    await paste(luis.t, "three\nfour");
    await luis.until((s) => s.input === "[general] three four", "the paste on the input line");
    await luis.t.press("Enter");
    await bob.proc.waitForLine(/: three four$/);
    assert.deepEqual(receivedMessages(bob.proc), [
      { group: "general", from: luis.id, text: "one" },
      { group: "general", from: luis.id, text: "two" },
      { group: "general", from: luis.id, text: "three four" },
    ]);
  },
);

tmuxTest("full-screen: messages of two rooms land in their own panes", async () => {
  await using rig = await Rig.start();
  const bob = await rig.line("Bob");
  await bob.proc.type("/create dev");
  await bob.proc.waitForLine(/^\* created dev /, { stream: "stderr" });
  const luis = await rig.full("Luis");
  await luis.enter("/join dev");
  await luis.until((s) => s.input === "[dev]", "the prompt [dev]");
  await bob.proc.waitForLine(/^\* @luis joined dev$/, { stream: "stderr" });
  await bob.proc.type("in dev 1");
  await bob.proc.type("/to general");
  await bob.proc.type("in general 1");
  await bob.proc.type("/to dev");
  await bob.proc.type("in dev 2");
  let screen = await luis.until(
    (s) => messages(s.pane).includes(`${bob.id}: in dev 2`) && s.rooms[0].endsWith(" 1"),
    "in dev 2, and 1 unread in general",
  );
  assert.deepEqual(messages(screen.pane), [`${bob.id}: in dev 1`, `${bob.id}: in dev 2`]);
  assert.deepEqual(screen.rooms, [" 1 general    1", ">2 dev"]);
  await luis.t.press("M-1");
  screen = await luis.until((s) => s.input === "[general]", "the prompt [general]");
  screen = await luis.until((s) => messages(s.pane).length > 0, "general's messages");
  assert.deepEqual(messages(screen.pane), [`${bob.id}: in general 1`]);
  assert.deepEqual(screen.rooms, [">1 general", " 2 dev"]);
});

tmuxTest("full-screen: Alt+number, Ctrl-N, Ctrl-P and /to switch rooms", async () => {
  await using rig = await Rig.start();
  const bob = await rig.line("Bob");
  await bob.proc.type("/create dev");
  await bob.proc.type("/create ops");
  await bob.proc.waitForLine(/^\* created ops /, { stream: "stderr" });
  const luis = await rig.full("Luis");
  await luis.enter("/join dev");
  await luis.until((s) => s.input === "[dev]", "the prompt [dev]");
  await luis.enter("/join ops");
  const at = async (room: string, list: string[]) => {
    const screen = await luis.until(
      (s) => s.input === `[${room}]` && s.status.endsWith(` · ${room}`),
      `the prompt [${room}]`,
    );
    assert.deepEqual(screen.rooms, list);
  };
  await at("ops", [" 1 general", " 2 dev", ">3 ops"]);
  await luis.t.press("M-2");
  await at("dev", [" 1 general", ">2 dev", " 3 ops"]);
  await luis.t.press("C-n");
  await at("ops", [" 1 general", " 2 dev", ">3 ops"]);
  await luis.t.press("C-n");
  await at("general", [">1 general", " 2 dev", " 3 ops"]);
  await luis.t.press("C-p");
  await at("ops", [" 1 general", " 2 dev", ">3 ops"]);
  await luis.t.press("M-1");
  await at("general", [">1 general", " 2 dev", " 3 ops"]);
  await luis.enter("/to dev");
  await at("dev", [" 1 general", ">2 dev", " 3 ops"]);
  // A line typed now goes to dev.
  await luis.enter("to dev");
  await bob.proc.waitForLine(/^\[dev\] @luis Luis#[0-9a-f]{4}: to dev$/);
  assert.deepEqual(receivedMessages(bob.proc), [{ group: "dev", from: luis.id, text: "to dev" }]);
});

tmuxTest(
  "full-screen: unread counts rise in the room list and clear when the room is shown",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    await bob.proc.type("/create dev");
    await bob.proc.waitForLine(/^\* created dev /, { stream: "stderr" });
    const luis = await rig.full("Luis");
    await luis.enter("/join dev");
    await luis.until((s) => s.input === "[dev]", "the prompt [dev]");
    await luis.t.press("M-1");
    await luis.until((s) => s.input === "[general]", "the prompt [general]");
    for (let i = 1; i <= 3; i++) await bob.proc.type(`dev ${i}`);
    let screen = await luis.until((s) => s.rooms[1] === " 2 dev        3", "3 unread in dev");
    assert.deepEqual(screen.rooms, [">1 general", " 2 dev        3"]);
    assert.match(screen.status, / · 3 unread elsewhere$/);
    assert.deepEqual(messages(screen.pane), []);
    await luis.t.press("M-2");
    screen = await luis.until((s) => s.input === "[dev]", "the prompt [dev]");
    assert.deepEqual(screen.rooms, [" 1 general", ">2 dev"]);
    assert.doesNotMatch(screen.status, /unread/);
    assert.deepEqual(messages(screen.pane), [
      `${bob.id}: dev 1`,
      `${bob.id}: dev 2`,
      `${bob.id}: dev 3`,
    ]);
    await luis.t.press("M-1");
    screen = await luis.until((s) => s.input === "[general]", "the prompt [general]");
    assert.deepEqual(screen.rooms, [">1 general", " 2 dev"]);
  },
);

tmuxTest(
  "full-screen: PageUp reads History page by page back to the start of the room",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    const numbered = (i: number) => `${bob.id}: m${String(i).padStart(2, "0")}`;
    // The first session receives the 60 messages live, and leaves having read them.
    const first = await rig.full("Luis", { height: 12 });
    for (let i = 1; i <= 60; i++) await bob.proc.type(`m${String(i).padStart(2, "0")}`);
    await first.until((s) => messages(s.pane).at(-1) === numbered(60), "m60");
    await first.t.press("C-d");
    assert.equal(await first.t.waitForExit(), 0);
    await first.t.assertRestored();

    // The second starts with the newest History page (20) above its "connected" line.
    const luis = await rig.full("Luis", { height: 12 });
    let screen = await luis.until((s) => messages(s.pane).includes(numbered(60)), "m60");
    const plain = (pane: string[]) => pane.map((row) => row.replace(/^\d\d:\d\d /, ""));
    const bottom = plain(screen.pane);
    const notice = bottom.slice(bottom.indexOf(numbered(60)) + 1);
    assert.match(
      entries(notice).join(),
      /^\* connected to .* \(resumed\); 0 unread messages in general$/,
    );
    // Every row there is, oldest first; the pane (10 rows) shows 10 of them, PageUp moves 9.
    const all = [
      "* the start of general",
      ...Array.from({ length: 60 }, (_, i) => numbered(i + 1)),
      ...notice,
    ];
    const window = (scroll: number) => all.slice(all.length - 10 - scroll, all.length - scroll);
    assert.deepEqual(plain(screen.pane), window(0));
    let scroll = 0;
    const expect = async (what: string) => {
      const want = window(scroll);
      screen = await luis.until(
        (s) => JSON.stringify(plain(s.pane)) === JSON.stringify(want),
        `${what}: ${want.join(" | ")}`,
      );
    };
    for (let press = 1; scroll < all.length - 10; press++) {
      await luis.t.press("PPage");
      scroll = Math.min(scroll + 9, all.length - 10);
      await expect(`PageUp ${press}`);
    }
    assert.deepEqual(plain(screen.pane), [
      "* the start of general",
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map(numbered),
    ]);
    // At the top PageUp stays there; PageDown goes back down.
    await luis.t.press("PPage");
    await expect("PageUp at the top");
    await luis.t.press("NPage");
    scroll -= 9;
    await expect("PageDown");
    // Nothing was read twice: each message is in the list once.
    assert.equal(new Set(all).size, all.length);
  },
);

tmuxTest(
  "full-screen: a refused command says why in the pane, as line mode does, and the client goes on",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    await bob.proc.type("/create secret invite");
    await bob.proc.waitForLine(/^\* created secret /, { stream: "stderr" });
    const chad = await rig.line("Chad");
    const luis = await rig.full("Luis", { width: 200 });
    const refusals: string[] = [];
    for (const command of ["/join secret", "/kick general @nobody"]) {
      const from = chad.proc.stderr.length;
      await chad.proc.type(command);
      const line = await chad.proc.waitForLine(/./, { stream: "stderr", from });
      refusals.push(line);
      await luis.enter(command);
      await luis.until((s) => entries(s.pane).includes(line), line);
    }
    assert.match(refusals[0], /^\* \/join secret refused: .+$/);
    assert.match(refusals[1], /^\* \/kick general @nobody refused: .+$/);
    let screen = await luis.until((s) => s.input === "[general]", "the prompt [general]");
    assert.deepEqual(entries(screen.pane).slice(-2), refusals);
    // Still in general, still working.
    await luis.enter("still here");
    await bob.proc.waitForLine(/still here$/);
    assert.deepEqual(receivedMessages(bob.proc), [
      { group: "general", from: luis.id, text: "still here" },
    ]);
    screen = await luis.until((s) => messages(s.pane).length === 1, "still here");
    assert.deepEqual(messages(screen.pane), [`${luis.id}: still here`]);
    assert.deepEqual(screen.rooms, [">1 general"]);
  },
);

tmuxTest(
  "full-screen: the server killed and back: offline, a line queued, then sent once",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    const luis = await rig.full("Luis", { width: 120 });
    await luis.enter("before the kill");
    await bob.proc.waitForLine(/before the kill$/);
    // Acknowledged to Luis too (Bob may have it first): else it would be queued with the next.
    await luis.until(
      (s) => s.status === ` online · ${luis.id} · general`,
      "before the kill, sent",
    );
    await rig.kill();
    // The count to the next retry is shown until the first retry, then only "retrying".
    let screen = await luis.until(
      (s) => /^ offline: .*; retrying( in \d+ s)? · /.test(s.status),
      "offline in the status bar",
    );
    await luis.enter("sent while down");
    screen = await luis.until((s) => s.status.includes(" · 1 queued · "), "1 queued");
    assert.match(
      screen.status,
      /^ offline: .+; retrying( in \d+ s)? · 1 queued · @luis Luis#[0-9a-f]{4} · general$/,
    );
    assert.deepEqual(messages(screen.pane), [
      `${luis.id}: before the kill`,
      `${luis.id}: sent while down`,
    ]);
    await rig.restart();
    await luis.until((s) => s.status === ` online · ${luis.id} · general`, "online", START_MS);
    await bob.proc.waitForLine(/sent while down$/, { timeoutMs: START_MS });
    await luis.enter("after the restart");
    await bob.proc.waitForLine(/after the restart$/, { timeoutMs: START_MS });
    assert.deepEqual(receivedMessages(bob.proc), [
      { group: "general", from: luis.id, text: "before the kill" },
      { group: "general", from: luis.id, text: "sent while down" },
      { group: "general", from: luis.id, text: "after the restart" },
    ]);
    // Bob has it: the pane shows it once drawn, as sent (nothing waits in the status bar).
    screen = await luis.until(
      (s) =>
        s.status === ` online · ${luis.id} · general` &&
        messages(s.pane).at(-1) === `${luis.id}: after the restart`,
      "after the restart, sent",
    );
    assert.deepEqual(messages(screen.pane), [
      `${luis.id}: before the kill`,
      `${luis.id}: sent while down`,
      `${luis.id}: after the restart`,
    ]);
  },
);

tmuxTest(
  "full-screen: a resize redraws the layout at the new size, long lines wrapped within it",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    const luis = await rig.full("Luis");
    const long = Array.from({ length: 40 }, (_, i) => `w${String(i + 1).padStart(2, "0")}`).join(
      " ",
    );
    await bob.proc.type(long);
    const first = await luis.until((s) => messages(s.pane).length === 1, "the long message");
    const shown = entries(first.pane);
    assert.equal(shown.length, 3);
    assert.equal(shown[0], "* the start of general");
    assert.match(shown[1], /^\* connected to /);
    assert.equal(shown[2], `${bob.id}: ${long}`);
    const check = async (width: number, height: number) => {
      const rows = await luis.t.waitFor(
        (rows) =>
          rows.length === height && layout(rows).status.startsWith(" online · ") &&
          JSON.stringify(entries(layout(rows).pane)) === JSON.stringify(shown),
        { what: `the layout at ${width}x${height}` },
      );
      const too = rows.filter((row) => [...row].length > width);
      assert.deepEqual(too, [], `rows wider than ${width}`);
      const screen = layout(rows);
      assert.equal(screen.input, "[general]");
      assert.equal(screen.status, ` online · ${luis.id} · general`);
      assert.deepEqual(screen.rooms, [">1 general"]);
      // The entries at the bottom of the pane, no blank row between them.
      const top = screen.pane.findIndex((row) => row !== "");
      assert.deepEqual(screen.pane.slice(top).filter((row) => row === ""), []);
      assert.equal(screen.pane.slice(0, top).join(""), "");
      // The separator in the same column on every row above the status bar.
      for (const row of rows.slice(0, -2)) assert.equal([...row].indexOf("│"), 15, row);
      // The long message: one row with its time, the rest indented under it.
      const at = screen.pane.findIndex((row) => row.includes(`${bob.id}: w01`));
      const rest = screen.pane.slice(at + 1);
      assert.ok(rest.every((row) => row.startsWith("      w")), rest.join("\n"));
      return rest.length + 1;
    };
    const wide = await check(100, 30);
    await luis.t.resize(60, 15);
    const narrow = await check(60, 15);
    await luis.t.resize(120, 40);
    const wider = await check(120, 40);
    assert.ok(narrow > wide && wide >= wider && wider > 1, `${narrow} > ${wide} >= ${wider} > 1`);
    // Typing after the resizes lands on the last row.
    await luis.t.type("abc");
    const screen = await luis.until((s) => s.input === "[general] abc", "the typed text");
    assert.equal(screen.pane.length, 38);
  },
);

tmuxTest("full-screen: escape sequences in a sender's name and text are shown inert", async () => {
  // The real server refuses control characters in names and texts: a fake one sends them.
  let histories = 0;
  const history: ChatHandlers["History"] = (_call, cb) => {
    histories++;
    cb(null, {
      messages: histories === 1
        ? [{
          seq: 1,
          senderId: "ab".repeat(16),
          senderName: "\x1b[31mEvil\x1b]0;pwned\x07",
          senderHandle: "",
          text: "\x1b[2Jcleared \x1b[31mred \x9b31m c1 \u202eevil \x1b[?1049l",
          sentAtMs: Date.now(),
        }]
        : [],
      more: false,
    });
  };
  // As a real server does, it says this client is in general: the view reads the History only
  // of rooms it is in.
  const register: ChatHandlers["Register"] = (_call, cb) =>
    cb(null, {
      clientId: "ef".repeat(16),
      key: "k",
      resumed: false,
      groups: [{ name: "general", member: true }],
    });
  const { fake, port } = await startFake(fakeHandlers({ Register: register, History: history }));
  const dir = await Deno.makeTempDir({ prefix: "chat-full-" });
  try {
    const luis = await openFull({ name: "Luis", port, stateDir: dir, width: 160 });
    try {
      const title = async () => {
        const out = await new Deno.Command("tmux", {
          args: ["-S", luis.t.socket, "display-message", "-p", "-t", "test", "#{pane_title}"],
          stdin: "null",
          stdout: "piped",
        }).output();
        return new TextDecoder().decode(out.stdout).trim();
      };
      const shown = "~␛[31mEvil␛]0;pwned␇#abab: ␛[2Jcleared ␛[31mred �31m c1 �evil ␛[?1049l";
      const screen = await luis.until((s) => messages(s.pane).length === 1, "the message");
      assert.deepEqual(messages(screen.pane), [shown]);
      // Nothing was cleared: the room list, the notices, the status bar and prompt are there.
      const shownEntries = entries(screen.pane);
      assert.equal(shownEntries.length, 3);
      assert.equal(shownEntries[0], "* the start of general");
      assert.equal(shownEntries[1], shown);
      assert.match(shownEntries[2], /^\* connected to 127\.0\.0\.1:\d+ as ~Luis#efef /);
      assert.deepEqual(screen.rooms, [">1 general"]);
      assert.equal(screen.status, " online · ~Luis#efef · general");
      assert.equal(screen.input, "[general]");
      // Not coloured red, still on the alternate screen, the title not set.
      const drawn = (await luis.t.capture({ escapes: true })).join("\n");
      assert.ok(
        drawn.includes("\x1b[7m"),
        "the capture holds the attributes (the status bar inverse)",
      );
      // deno-lint-ignore no-control-regex -- looking for the SGR of red is the point
      assert.doesNotMatch(drawn, /\x1b\[(?:[0-9;]*;)?31(?:;[0-9;]*)?m/, JSON.stringify(drawn));
      assert.equal(await luis.t.alternateScreen(), true);
      assert.notEqual(await title(), "pwned");
      assert.equal(histories, 1);
      await luis.t.press("C-d");
      assert.equal(await luis.t.waitForExit(), 0);
      await luis.t.assertRestored();
      assert.notEqual(await title(), "pwned");
    } finally {
      await luis.t.close();
    }
  } finally {
    fake.forceShutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

tmuxTest(
  "full-screen: /quit, Ctrl-D, Ctrl-C twice and SIGTERM leave, giving the terminal back",
  async () => {
    await using rig = await Rig.start();
    const ways: [string, (full: Full) => Promise<void>][] = [
      ["Quinn", (full) => full.enter("/quit")],
      ["Dora", async (full) => {
        // Ctrl-D on a line with text deletes under the cursor; on an empty one it leaves.
        await full.t.type("abc");
        await full.until((s) => s.input === "[general] abc", "abc typed");
        await full.t.press("Home");
        await full.t.press("C-d");
        await full.until((s) => s.input === "[general] bc", "Ctrl-D deleting the a");
        await full.t.press("C-k");
        await full.until((s) => s.input === "[general]", "the line emptied");
        await full.t.press("C-d");
      }],
      ["Cole", (full) => full.t.press("C-c", "C-c")],
      ["Sid", (full) => full.t.kill("SIGTERM")],
    ];
    await Promise.all(ways.map(async ([name, leave]) => {
      const full = await rig.full(name);
      await leave(full);
      assert.equal(await full.t.waitForExit(), 0, name);
      await full.t.assertRestored();
      // Nothing was left unsent: the primary screen is as blank as it was.
      assert.deepEqual((await full.t.capture()).filter((row) => row !== ""), [], name);
    }));
  },
);

tmuxTest(
  "full-screen: Ctrl-C twice leaves at once with a line queued, and says so after",
  async () => {
    await using rig = await Rig.start();
    const luis = await oneQueuedOffline(rig);
    await luis.t.press("C-c");
    const warning = "* press Ctrl-C again to leave at once (1 not yet sent would be lost); " +
      "Ctrl-D or /quit leaves after sending";
    const screen = await luis.until((s) => entries(s.pane).at(-1) === warning, "the warning");
    assert.deepEqual(messages(screen.pane), [`${luis.id}: never sent`]);
    const pressed = Date.now();
    await luis.t.press("C-c");
    // At once: /quit or Ctrl-D would wait up to 10 s for the server.
    await leftAtOnceWithOneUnsent(luis.t, pressed, 5_000);
  },
);

tmuxTest(
  "full-screen: -ui line at a terminal stays line mode; -ui full without one is refused",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    {
      await using t = await Terminal.open({
        command: [
          ...CLIENT,
          ...["-name", "Luis", "-port", String(rig.port), "-state_dir", rig.stateDir("Luis")],
          ...["-ui", "line"],
        ],
        width: 120,
        height: 10,
      });
      await t.waitFor(/^\* connected to /m, { timeoutMs: START_MS });
      assert.equal(await t.alternateScreen(), false);
      await bob.proc.type("hello line mode");
      await t.waitFor(`[general] ${bob.id}: hello line mode`);
      await t.type("from the terminal");
      await t.press("Enter");
      await bob.proc.waitForLine(/from the terminal$/);
      await t.press("C-d");
      assert.equal(await t.waitForExit(), 0);
      await t.assertRestored();
      const rows = (await t.capture()).filter((row) => row !== "");
      assert.equal(rows.length, 3, rows.join("\n"));
      assert.match(
        rows[0],
        /^\* connected to 127\.0\.0\.1:\d+ as @luis Luis#[0-9a-f]{4} \(new identity\); 0 unread messages in general$/,
      );
      assert.equal(rows[1], `[general] ${bob.id}: hello line mode`);
      assert.equal(rows[2], "from the terminal");
    }
    const piped = rig.track(
      startClient({
        name: "Pipe",
        port: rig.port,
        stateDir: rig.stateDir("Pipe"),
        extra: ["-ui", "full"],
      }),
    );
    assert.equal((await piped.status).code, 2);
    assert.equal(piped.stderr[0], "client: flag -ui full: stdin and stdout must be a terminal");
    assert.deepEqual(piped.stdout, []);
  },
);

tmuxTest(
  "full-screen: lines typed behind a slow command keep their order and room; Ctrl-D waits for them",
  async () => {
    await using rig = await Rig.start();
    const bob = await rig.line("Bob");
    await bob.proc.type("/create dev");
    await bob.proc.waitForLine(/^\* created dev /, { stream: "stderr" });
    // Carl's line at the end proves that everything before it in general has reached Bob.
    const [luis, carl] = await Promise.all([rig.full("Luis"), rig.line("Carl")]);
    await luis.enter("/join dev");
    await luis.until((s) => s.input === "[dev]", "the prompt [dev]");
    await bob.proc.waitForLine(/^\* @luis joined dev$/, { stream: "stderr" });
    await luis.t.press("M-1");
    await luis.until(
      (s) => s.input === "[general]" && s.status === ` online · ${luis.id} · general`,
      "the prompt [general]",
    );
    // Each key is pressed once the one before it has shown, so that each step is seen to be
    // read before the next (keys read in one chunk are carried out too: see model_test.ts). A
    // paste starts with an escape sequence, which is read as a key of its own: its text
    // showing proves that the key pressed before it was read.
    const shown = async (what: string) => {
      await luis.until((s) => s.input === `[general] ${what}`.trimEnd(), `the input ${what}`);
    };
    const typed = async (text: string) => {
      await luis.t.type(text);
      await shown(text);
      await luis.t.press("Enter");
      await shown("");
    };
    const pressed = async (key: string) => {
      await luis.t.press(key);
      await paste(luis.t, "x");
      await shown("x");
      await luis.t.press("BSpace");
      await shown("");
    };
    // A server that does not answer: /rooms waits for it, and what is typed after waits behind.
    const server = rig.server.pid;
    Deno.kill(server, "SIGSTOP");
    try {
      await typed("/rooms");
      await typed("typed in general");
      // A switch, then leaving, each asked for after the line.
      await pressed("C-n");
      await pressed("C-d");
      const screen = await luis.until((s) => s.input === "[general]", "the empty input");
      // None of it is done: still in general, nothing sent, not leaving.
      assert.equal(screen.status, ` online · ${luis.id} · general`);
      assert.deepEqual(messages(screen.pane), []);
      assert.deepEqual(screen.rooms, [">1 general", " 2 dev"]);
      assert.equal(await luis.t.exited(), undefined, "left before what was typed was done");
    } finally {
      Deno.kill(server, "SIGCONT");
    }
    // Ctrl-D left after sending the line: nothing is reported unsent.
    assert.equal(await luis.t.waitForExit(), 0);
    await luis.t.assertRestored();
    assert.deepEqual((await luis.t.capture()).filter((row) => row !== ""), []);
    await bob.proc.waitForLine(/: typed in general$/);
    await carl.proc.type("the end");
    await bob.proc.waitForLine(/: the end$/);
    assert.deepEqual(receivedMessages(bob.proc), [
      { group: "general", from: luis.id, text: "typed in general" },
      { group: "general", from: carl.id, text: "the end" },
    ]);
    assert.equal(count(bob.proc.stdout, `[general] ${luis.id}: typed in general`), 1);
  },
);

tmuxTest(
  "full-screen: Ctrl-C twice while Ctrl-D waits to send leaves at once, and says what was lost",
  async () => {
    await using rig = await Rig.start();
    const luis = await oneQueuedOffline(rig);
    // Ctrl-D waits up to 10 s for the server to take the line.
    await luis.t.press("C-d");
    const screen = await luis.until((s) => s.status.startsWith(" leaving"), "leaving");
    assert.equal(screen.status, ` leaving · 1 queued · ${luis.id} · general`);
    const pressed = Date.now();
    await luis.t.press("C-c", "C-c");
    // At once, not after the 10 s that Ctrl-D would wait.
    await leftAtOnceWithOneUnsent(luis.t, pressed, 3_000);
  },
);

tmuxTest(
  "full-screen: leaving before the server ever answered: quietly, unless a line was typed",
  async () => {
    const port = deadPort();
    const dir = await Deno.makeTempDir({ prefix: "chat-full-" });
    try {
      const notSent = "* 1 message was not sent: the server did not acknowledge them";
      const ways: {
        name: string;
        leave: (
          t: Terminal,
          until: (test: (s: Layout) => boolean, what: string) => Promise<Layout>,
        ) => Promise<void>;
        status: number;
        after: string[];
      }[] = [
        { name: "Dora", leave: (t) => t.press("C-d"), status: 0, after: [] },
        { name: "Sid", leave: (t) => t.kill("SIGTERM"), status: 0, after: [] },
        {
          name: "Quinn",
          leave: async (t) => {
            await t.type("/quit");
            await t.press("Enter");
          },
          status: 0,
          after: [],
        },
        {
          name: "Lena",
          leave: async (t, until) => {
            await t.type("never sent");
            await until((s) => s.input === "[general] never sent", "the line typed");
            await t.press("Enter");
            const screen = await until((s) => s.input === "[general]", "the line entered");
            // Nothing can be sent before the server answers.
            assert.deepEqual(messages(screen.pane), []);
            await t.press("C-d");
          },
          status: 1,
          after: [notSent],
        },
      ];
      await Promise.all(ways.map(async ({ name, leave, status, after }) => {
        await using t = await Terminal.open({
          command: [
            ...CLIENT,
            "-name",
            name,
            "-port",
            String(port),
            "-state_dir",
            `${dir}/${name}`,
          ],
          label: `full ${name}`,
        });
        const until = async (test: (s: Layout) => boolean, what: string) =>
          layout(await t.waitFor((rows) => test(layout(rows)), { what, timeoutMs: START_MS }));
        const screen = await until((s) => s.status.startsWith(" offline: "), "offline");
        assert.match(screen.status, /^ offline: .+; retrying( in \d+ s)? · .* · general$/);
        await leave(t, until);
        assert.equal(await t.waitForExit(), status, name);
        await t.assertRestored();
        // No "cannot start": leaving is no failure to start.
        assert.deepEqual((await t.capture()).filter((row) => row !== ""), after, name);
      }));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

tmuxTest(
  "full-screen: with CI=true the status bar is still inverse; with NO_COLOR too, nothing coloured",
  async () => {
    await using rig = await Rig.start();
    // chalk, which ink draws with, turns all styling off when it sees CI=true.
    const [ci, noColour] = await Promise.all([
      rig.full("Cy", { env: { CI: "true" } }),
      rig.full("Nora", { env: { CI: "true", NO_COLOR: "1" } }),
    ]);
    for (const [full, coloured] of [[ci, true], [noColour, false]] as const) {
      const rows = await full.t.capture({ escapes: true });
      const status = rows.at(-2)!;
      assert.ok(
        sgrCodes(status).includes(7),
        `${full.t.label}: the status bar is not inverse: ${JSON.stringify(status)}`,
      );
      const drawn = rows.join("\n");
      if (coloured) {
        assert.notDeepEqual(foregrounds(drawn), [], `${full.t.label}: nothing coloured`);
      } else {
        assert.deepEqual(foregrounds(drawn), [], JSON.stringify(drawn));
      }
      // The same screen, read without escapes.
      const screen = layout(await full.t.capture());
      assert.equal(screen.status, ` online · ${full.id} · general`);
      assert.equal(screen.input, "[general]");
    }
  },
);

tmuxTest(
  "full-screen: Delete deletes the character at the cursor, Backspace the one before",
  async () => {
    await using rig = await Rig.start();
    const luis = await rig.full("Luis");
    await luis.t.type("abcd");
    await luis.until((s) => s.input === "[general] abcd", "abcd typed");
    await luis.t.press("Left", "Left", "DC");
    await luis.until((s) => s.input === "[general] abd", "Delete taking the c");
    await luis.t.press("BSpace");
    await luis.until((s) => s.input === "[general] ad", "Backspace taking the b");
    // The cursor stayed between the a and the d.
    await luis.t.type("X");
    await luis.until((s) => s.input === "[general] aXd", "X typed between a and d");
    await luis.t.press("Enter");
    const screen = await luis.until(
      (s) => messages(s.pane).length > 0 && !s.status.includes("sending"),
      "the line sent",
    );
    assert.deepEqual(messages(screen.pane), [`${luis.id}: aXd`]);
    assert.equal(screen.input, "[general]");
  },
);
