/**
 * The two programs as a user meets them: flag errors, a busy port, a bad
 * database, signals, and the client's own refusals.
 */
import assert from "node:assert/strict";
import {
  connectClient,
  receivedMessages,
  runToEnd,
  serverMetrics,
  startServer,
  statsLine,
  taskPermissions,
} from "./harness.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "chat-cli-" });
}

/** The first line of stderr, and that the usage follows it. */
function firstLine(stderr: string): string {
  return stderr.split("\n")[0];
}

Deno.test("cli: bad flags exit 2 with a line naming the problem, then the usage", async () => {
  const cases: ["server" | "client", string[], RegExp][] = [
    ["server", ["-bogus"], /^server: unknown flag -bogus$/],
    ["server", ["-port"], /^server: flag -port needs a value$/],
    [
      "server",
      ["-port", "70000"],
      /^server: flag -port must be a whole number from 0 to 65535, got '70000'$/,
    ],
    ["server", ["-port", "http"], /^server: flag -port must be a whole number/],
    ["server", ["-members", ","], /^server: flag -members needs at least one name$/],
    ["server", ["extra"], /^server: unexpected argument 'extra'/],
    [
      "server",
      ["-synchronous", "normal"],
      /^server: flag -synchronous must be full or off, got 'normal'$/,
    ],
    ["server", ["-group", "general"], /^server: flag -group: general is always there; close/],
    ["server", ["-group", "a b"], /^server: flag -group: "a b": a group name may have only/],
    ["server", ["-group", "ops", "-group", "ops"], /^server: flag -group: ops is given twice$/],
    ["server", ["-group", "ops="], /^server: flag -group ops needs at least one name$/],
    [
      "server",
      Array.from({ length: 100 }, (_, i) => `-group=g${i}`),
      /^server: flag -group: 101 groups; the limit is 100$/,
    ],
    ["client", [], /^client: flag -name is required$/],
    [
      "client",
      ["-name", "Luis", "-group", "a/b"],
      /^client: flag -group: a group name may have only letters/,
    ],
    ["client", ["-name", "Luis", "-nmae", "x"], /^client: unknown flag -nmae$/],
    [
      "client",
      ["-name", "Luis", "-port", "0"],
      /^client: flag -port must be a whole number from 1 to 65535, got '0'$/,
    ],
    ["client", ["--name="], /^client: flag -name needs a value$/],
    [
      "client",
      ["-name", "x".repeat(65)],
      /^client: flag -name: the name is 65 characters long; the limit is 64$/,
    ],
  ];
  for (const [task, args, expected] of cases) {
    const { code, stderr } = await runToEnd(task, args);
    assert.equal(code, 2, `${task} ${args.join(" ")}: ${stderr}`);
    assert.match(firstLine(stderr), expected, `${task} ${args.join(" ")}`);
    assert.match(stderr, /\nusage: deno task /, `${task} ${args.join(" ")}: usage follows`);
  }
});

Deno.test("cli: -help prints the usage and exits 0", async () => {
  for (const task of ["server", "client"] as const) {
    const { code, stdout } = await runToEnd(task, ["-help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^usage: deno task /);
  }
});

Deno.test("cli: deno task starts each program with its permission set: one short line before it, no warning; the compile task grants the same", async () => {
  const root = new URL("../", import.meta.url);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  for (const task of ["server", "client", "admin"] as const) {
    assert.equal(config.tasks[task], `deno run -q -P=${task} ${task}.ts`);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", task, "-help"],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    // deno task says which command it runs; Deno's own warnings (the permission set's) are quiet.
    assert.equal(stderr.split("\n")[0], `Task ${task} deno run -q -P=${task} ${task}.ts '-help'`);
    assert.doesNotMatch(stderr, /warning/i);
  }
  // deno compile is given the same permissions as flags (the binary cannot read deno.json).
  for (const part of String(config.tasks.compile).split("&&")) {
    const words = part.trim().split(/\s+/);
    const task = words.at(-1)!.replace(/\.ts$/, "") as "server" | "client";
    const flags = words.filter((w) => w.startsWith("--allow-"));
    assert.deepEqual(flags.sort(), taskPermissions(task).sort(), `deno compile of ${task}.ts`);
  }
});

Deno.test("cli: a port in use and an unusable database stop the server with one line and exit 1", async () => {
  const dir = await tempDir();
  const running = await startServer({ db: `${dir}/chat.db` });
  const base = ["-host", "127.0.0.1"];
  await Deno.writeTextFile(`${dir}/corrupt.db`, "not a database ".repeat(500));
  await Deno.mkdir(`${dir}/a-directory.db`);
  const cases: [string, string[], RegExp][] = [
    [
      "port in use",
      [...base, "-port", String(running.port), "-db", `${dir}/other.db`],
      /^server: port \d+ on 127\.0\.0\.1 is in use; stop what holds it or pick another with -port$/,
    ],
    [
      "database in use",
      [...base, "-port", "0", "-db", `${dir}/chat.db`],
      /^server: database .*chat\.db is in use by another process \(is another server running on it\?\)$/,
    ],
    [
      "corrupt database",
      [...base, "-port", "0", "-db", `${dir}/corrupt.db`],
      /^server: database .*corrupt\.db is not a grpc-chat database or is corrupt .*pick another with -db$/,
    ],
    [
      "database is a directory",
      [...base, "-port", "0", "-db", `${dir}/a-directory.db`],
      /^server: .*a-directory\.db/,
    ],
    [
      "database in a missing folder",
      [...base, "-port", "0", "-db", `${dir}/no/such/dir/chat.db`],
      /^server: .*no\/such\/dir\/chat\.db/,
    ],
  ];
  for (const [label, args, expected] of cases) {
    const { code, stderr } = await runToEnd("server", args);
    assert.equal(code, 1, `${label}: ${stderr}`);
    assert.equal(stderr.trim().split("\n").length, 1, `${label}: one line, got:\n${stderr}`);
    assert.match(stderr.trim(), expected, label);
  }
  // The corrupt file was left as it was.
  assert.equal(await Deno.readTextFile(`${dir}/corrupt.db`), "not a database ".repeat(500));
  await running.proc.stop();
});

Deno.test("cli: SIGINT and SIGTERM stop the server cleanly with exit 0", async () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const dir = await tempDir();
    const server = await startServer({ db: `${dir}/chat.db` });
    const alice = await connectClient({ name: "Alice", port: server.port, stateDir: `${dir}/s` });
    await alice.proc.type("before the signal");
    await server.proc.waitForLine(/ -> general #1$/);
    server.proc.kill(signal);
    const status = await server.proc.status;
    assert.equal(status.code, 0, signal);
    assert.ok(server.proc.stdout.some((l) => l.endsWith(`${signal}: shutting down`)));
    assert.ok(server.proc.stdout.some((l) => / stopped after 1 sends in \d+ commits$/.test(l)));
    // The client saw the stream end and says it is offline, then leaves on Ctrl-D.
    await alice.proc.waitForLine(/^\* offline: .*shutting down/, { stream: "stderr" });
    await alice.proc.stop();
  }
});

Deno.test("cli: SIGUSR2 logs one stats line and the same metrics as JSON", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const alice = await connectClient({ name: "Alice", port: server.port, stateDir: `${dir}/s` });
  await alice.proc.type("counted");
  await server.proc.waitForLine(/ -> general #1$/);
  const line = await statsLine(server.proc);
  assert.match(line, / 1 open streams, 1 sends in \d+ commits, /);
  const metrics = await serverMetrics(server.proc);
  assert.equal(metrics.chat_open_streams, 1);
  assert.equal(metrics.chat_messages_stored_total, 1);
  assert.equal(metrics.chat_sends_committed_total, 1);
  assert.equal(metrics.chat_deliveries_total, 0, "Alice is not sent her own message");
  assert.ok(metrics.process_resident_memory_bytes > 1e6);
  await alice.proc.stop();
  await server.proc.stop();
});

Deno.test("cli: the client refuses an over-long line itself and goes on", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const bob = await connectClient({ name: "Bob", port: server.port, stateDir: `${dir}/s` });
  const alice = await connectClient({ name: "Alice", port: server.port, stateDir: `${dir}/s` });
  await alice.proc.type("x".repeat(5000));
  await alice.proc.waitForLine(
    /^\* not sent: the message is 5000 bytes long; the limit is 4096 bytes$/,
    {
      stream: "stderr",
    },
  );
  await alice.proc.type("short one");
  await bob.proc.waitForLine(/: short one$/);
  assert.deepEqual(bob.proc.stdout, [`[general] ${alice.id}: short one`]);
  assert.ok(!server.proc.stdout.some((l) => l.includes("refused")), "it never reached the server");
  await alice.proc.stop();
  await bob.proc.stop();
  await server.proc.stop();
});

Deno.test("cli: a client leaving with unsent messages says how many", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const alice = await connectClient({ name: "Alice", port: server.port, stateDir: `${dir}/s` });
  await server.proc.stop();
  await alice.proc.waitForLine(/^\* offline: /, { stream: "stderr" });
  await alice.proc.type("lost one");
  await alice.proc.type("lost two");
  await alice.proc.waitForLine(/^\* queued while offline \(2 waiting\)$/, { stream: "stderr" });
  alice.proc.kill("SIGINT");
  const status = await alice.proc.status;
  assert.equal(status.code, 1);
  assert.ok(
    alice.proc.stderr.some((l) =>
      l === "* 2 messages were not sent: the server did not acknowledge them"
    ),
    alice.proc.transcript(),
  );
});

Deno.test("cli: display names with spaces are printed whole and parsed whole", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const mary = await connectClient({ name: "Mary Ann", port: server.port, stateDir: `${dir}/s` });
  const bob = await connectClient({ name: "Bob Jr", port: server.port, stateDir: `${dir}/s` });
  // Not a handle: a guest, whose line says so before the name.
  assert.match(mary.id, /^~Mary Ann#[0-9a-f]{4}$/);
  await mary.proc.type("hello: from Mary");
  await bob.proc.waitForLine(/: hello: from Mary$/);
  assert.deepEqual(receivedMessages(bob.proc), [
    { group: "general", from: mary.id, text: "hello: from Mary" },
  ]);
  assert.deepEqual(receivedMessages(mary.proc), [], "Mary is not sent her own");
  await mary.proc.stop();
  await bob.proc.stop();
  await server.proc.stop();
});

Deno.test("cli: deno task admin says what is wrong with its command line, and helps", async () => {
  const help = await runToEnd("admin", ["-help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: deno task admin invite\|release\|revoke /);
  assert.match(help.stdout, /\n {7}deno task admin health \[-service NAME\] /);
  const cases: [string[], string][] = [
    [[], "admin: a command is required: invite, release, revoke, health, migrate"],
    [
      ["promote"],
      "admin: unknown command 'promote'; the commands are invite, release, revoke, health, migrate",
    ],
    [["release"], "admin: release needs -handle"],
    [["revoke", "-handle", "x"], "admin: revoke needs -client_id"],
  ];
  for (const [args, first] of cases) {
    const { code, stderr } = await runToEnd("admin", args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stderr.split("\n")[0], first);
  }
});
