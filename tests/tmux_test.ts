/**
 * The terminal harness (tests/tmux.ts) against plain programs (sh, printf, od, sleep): what
 * it types and presses arrives, the screen it reads is what was drawn, resizes reach the
 * program, exit statuses and the terminal's restoration are told right, and its waits fail at
 * their deadline showing the screen. Ignored when `CHAT_SKIP_TMUX=1`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { sttyDiff, Terminal, tmuxTest } from "./tmux.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

tmuxTest(
  "tmux: typed text and Enter reach the program; the screen and exit status are read",
  async () => {
    await using t = await Terminal.open({
      command: ["sh", "-c", 'printf "name? "; read x; echo "got [$x]"; exit 3'],
      width: 40,
      height: 6,
    });
    await t.waitFor("name?");
    // Trailing `;` and a leading `-` are tmux syntax unless escaped; #{...} is a tmux format.
    await t.type("-a b;c #{pane_id};");
    await t.press("Enter");
    const rows = await t.waitFor("got [");
    assert.deepEqual(rows, [
      "name? -a b;c #{pane_id};",
      "got [-a b;c #{pane_id};]",
      "",
      "",
      "",
      "",
    ]);
    assert.equal(await t.waitForExit(), 3);
    assert.equal(await t.exited(), 3);
    // The screen stays after the exit, unscrolled.
    assert.deepEqual((await t.capture()).slice(0, 2), rows.slice(0, 2));
  },
);

tmuxTest(
  "tmux: arguments and the environment arrive as given, nothing else inherited",
  async () => {
    await using t = await Terminal.open({
      command: [
        "sh",
        "-c",
        'pwd; printf "%s|" "$@" "[$FOO]" "$TERM"; echo; env | cut -d= -f1 | sort | tr "\\n" " "',
        "sh",
        "-x;",
        "b\\;",
        "$HOME",
        "#S",
      ],
      env: { FOO: "a b; #{pane_id};" },
    });
    assert.equal(await t.waitForExit(), 0);
    const rows = await t.capture();
    assert.equal(rows[0], ROOT);
    assert.equal(rows[1], "-x;|b\\;|$HOME|#S|[a b; #{pane_id};]|xterm-256color|");
    const allowed = new Set([
      ...["PATH", "HOME", "TMPDIR", "DENO_DIR", "XDG_CACHE_HOME", "LANG", "LC_ALL", "LC_CTYPE"],
      ...["TZ", "FOO", "TERM", "TMUX", "TMUX_PANE", "TERM_PROGRAM", "TERM_PROGRAM_VERSION"],
      ...["PWD", "OLDPWD", "SHLVL", "SHELL", "_"],
    ]);
    const names = rows.slice(2).join("").split(" ").filter(Boolean);
    assert.deepEqual(names.filter((name) => !allowed.has(name)), [], rows.join("\n"));
    assert.ok(names.includes("FOO") && names.includes("PATH"), rows.join("\n"));
  },
);

tmuxTest("tmux: press sends tmux's named keys as a terminal would", async () => {
  await using t = await Terminal.open({
    command: ["sh", "-c", "stty raw -echo; echo raw; od -An -tx1 -N 8; stty sane; read x"],
    width: 60,
    height: 5,
  });
  await t.waitFor("raw");
  await t.press("M-2", "C-n", "Tab", "BSpace", "Up");
  await t.waitFor(/1b 32 0e 09 7f 1b 5b 41/);
  await t.press("Enter");
  assert.equal(await t.waitForExit(), 0);
});

tmuxTest("tmux: Ctrl-C and signals end the program; the status says which (128+N)", async () => {
  {
    await using t = await Terminal.open({ command: ["sleep", "30"] });
    await t.press("C-c");
    assert.equal(await t.waitForExit(), 130);
  }
  {
    await using t = await Terminal.open({ command: ["sleep", "30"] });
    const comm = await Deno.readTextFile(`/proc/${t.pid}/comm`).catch(() => "sleep\n");
    assert.equal(comm.trim(), "sleep", "pid is the program's");
    await t.kill("SIGTERM");
    assert.equal(await t.waitForExit(), 143);
  }
  {
    await using t = await Terminal.open({ command: ["no-such-program-here"] });
    assert.equal(await t.waitForExit(), 127);
  }
});

tmuxTest(
  "tmux: the alternate screen and the cursor are read; a program that restores them passes assertRestored",
  async () => {
    await using t = await Terminal.open({
      command: [
        "sh",
        "-c",
        String.raw`echo before; printf '\033[?1049h\033[?25l\033[H'; stty -echo -icanon; ` +
        String.raw`printf 'in alt'; head -c 1 >/dev/null; stty echo icanon; ` +
        String.raw`printf '\033[?25h\033[?1049l'; echo back`,
      ],
      width: 40,
      height: 5,
    });
    await t.waitFor("in alt");
    assert.equal(await t.alternateScreen(), true);
    assert.equal(await t.cursorVisible(), false);
    assert.equal((await t.capture())[0], "in alt");
    await t.press("x");
    assert.equal(await t.waitForExit(), 0);
    assert.deepEqual((await t.capture()).slice(0, 2), ["before", "back"]);
    const state = await t.exitState();
    assert.equal(state?.alternateScreen, false);
    assert.equal(state?.cursorVisible, true);
    assert.equal(state?.sttyAfter, state?.sttyBefore);
    await t.assertRestored();
  },
);

tmuxTest("tmux: assertRestored names what a program left behind", async () => {
  await using t = await Terminal.open({
    command: ["sh", "-c", String.raw`stty raw -echo; printf '\033[?1049h\033[?25l\033[?1hleft'`],
  });
  assert.equal(await t.waitForExit(), 0);
  const error = await t.assertRestored().then(() => undefined, (e: Error) => e);
  assert.ok(error, "assertRestored passed");
  for (
    const part of [
      "still on the alternate screen",
      "the cursor is hidden",
      "application cursor keys are on",
      "stty differs",
      "-echo",
      "-icanon",
      "left",
    ]
  ) {
    assert.ok(error.message.includes(part), `no "${part}" in: ${error.message}`);
  }
  assert.throws(() => {
    throw error;
  }, /did not restore the terminal/);
});

tmuxTest(
  "tmux: resize changes the size the program sees (SIGWINCH) and the rows captured",
  async () => {
    await using t = await Terminal.open({
      command: ["sh", "-c", 'trap "stty size" WINCH; stty size; while :; do sleep 0.02; done'],
      width: 50,
      height: 8,
    });
    await t.waitFor("8 50");
    assert.equal((await t.capture()).length, 8);
    await t.resize(70, 12);
    await t.waitFor("12 70");
    assert.deepEqual(await t.size(), { width: 70, height: 12 });
    assert.equal((await t.capture()).length, 12);
    await t.resize(30, 4);
    await t.waitFor("4 30");
    assert.equal((await t.capture()).length, 4);
  },
);

tmuxTest("tmux: colours show with escapes; wide characters take two columns", async () => {
  await using t = await Terminal.open({
    command: [
      "sh",
      "-c",
      String.raw`printf '\033[31mred\033[0m 日本語🙂|\n日本語日本語日本|\n'; read x`,
    ],
    width: 16,
    height: 4,
  });
  const rows = await t.waitFor("red");
  assert.equal(rows[0], "red 日本語🙂|");
  // 16 columns hold 8 wide characters: the ninth and the bar wrap to the next row.
  assert.equal(rows[1], "日本語日本語日本");
  assert.equal(rows[2], "|");
  const coloured = await t.capture({ escapes: true });
  const ESC = "\x1b";
  assert.ok(
    coloured[0].startsWith(`${ESC}[31mred${ESC}[39m`),
    JSON.stringify(coloured[0]),
  );
});

tmuxTest("tmux: waitFor fails at its deadline with what it waited for and the screen", async () => {
  await using t = await Terminal.open({
    command: ["sh", "-c", "echo on screen; sleep 30"],
    label: "sleeper",
  });
  await t.waitFor("on screen");
  const started = Date.now();
  const error = await t.waitFor("never shown", { timeoutMs: 300, what: "the word never" }).then(
    () => undefined,
    (e: Error) => e,
  );
  const took = Date.now() - started;
  assert.ok(error, "waitFor passed");
  assert.ok(took >= 300 && took < 2_000, `took ${took} ms`);
  assert.match(error.message, /^sleeper: the screen did not show the word never within 300 ms/);
  assert.match(error.message, /\n {3}0 \|on screen\n/);
  await assert.rejects(t.waitForExit(200), /sleeper: did not exit within 200 ms; the screen:/);
});

tmuxTest("tmux: waitFor fails at once when the program exits without showing it", async () => {
  await using t = await Terminal.open({ command: ["sh", "-c", "echo bye; exit 4"] });
  const started = Date.now();
  await assert.rejects(
    t.waitFor(/hello/, { timeoutMs: 5_000 }),
    /exited \(status 4\) before the screen showed \/hello\/; the screen:\n {3}0 \|bye\n/,
  );
  assert.ok(Date.now() - started < 2_000);
});

tmuxTest(
  "tmux: close ends a program that ignores SIGHUP, removes its files, and is idempotent",
  async () => {
    const t = await Terminal.open({
      command: ["sh", "-c", 'trap "" HUP; echo ready; while :; do sleep 0.02; done'],
    });
    await t.waitFor("ready");
    const pid = t.pid;
    await t.close();
    await t.close();
    await assert.rejects(Deno.stat(t.dir), Deno.errors.NotFound);
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "gone");
    assert.ok(stat === "gone" || / Z /.test(stat), `still running: ${stat}`);
    await assert.rejects(t.capture(), /the terminal is closed/);
  },
);

Deno.test("tmux: sttyDiff names the settings that changed, not the window size", () => {
  const before = "speed 38400 baud; rows 30; columns 100; line = 0;\n" +
    "intr = ^C; quit = ^\\; min = 1; time = 0;\n-parenb cs8\nicrnl -inlcr\nisig icanon echo";
  const after = "speed 38400 baud; rows 12; columns 70; line = 0;\n" +
    "intr = ^C; quit = ^\\; min = 1; time = 0;\n-parenb cs8\n-icrnl -inlcr\n-isig -icanon -echo";
  assert.deepEqual(sttyDiff(before, after), {
    added: ["-icrnl", "-isig", "-icanon", "-echo"],
    removed: ["icrnl", "isig", "icanon", "echo"],
  });
});
