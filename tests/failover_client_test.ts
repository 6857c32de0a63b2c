/**
 * The client given several addresses (`-server_ip HOST:PORT,HOST:PORT`), as real processes
 * over real gRPC: the first address where nothing listens, and the server in use killed (the
 * client moves to the next), in line mode and in the full-screen view (a real terminal,
 * tests/tmux.ts; ignored when `CHAT_SKIP_TMUX=1`). The servers here are separate SQLite
 * servers, each with its own server id, so at the next one the client registers anew; the
 * same identity and cursor across nodes of one service is for nodes on one PostgreSQL
 * database (and, with fake nodes of one service, src/client/failover_test.ts).
 */
import assert from "node:assert/strict";
import {
  type ChatProcess,
  connectClient,
  receivedMessages,
  runToEnd,
  startServer,
  taskPermissions,
} from "./harness.ts";
import { Terminal, tmuxTest } from "./tmux.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "chat-failover-" });
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A client's status lines (stderr) from line `from` on. */
function status(proc: ChatProcess, from = 0): string[] {
  return proc.stderr.slice(from);
}

/** The server id a state dir's hints give `address`. */
async function hintOf(stateDir: string, address: string): Promise<string> {
  const hints = JSON.parse(await Deno.readTextFile(`${stateDir}/addresses.json`));
  return hints[address];
}

Deno.test("failover client: the first address refuses; the client connects at the second and talks there", async () => {
  const dir = await tempDir();
  const server = await startServer({ db: `${dir}/chat.db` });
  const dead = `127.0.0.1:${closedPort()}`;
  const live = `127.0.0.1:${server.port}`;
  const alice = await connectClient({
    name: "Alice",
    port: server.port,
    serverIp: `${dead},${live}`,
    stateDir: `${dir}/alice`,
  });
  const bob = await connectClient({ name: "Bob", port: server.port, stateDir: `${dir}/bob` });
  const lines = status(alice.proc);
  assert.equal(lines.length, 3, alice.proc.transcript());
  assert.equal(
    lines[0],
    `* offline: cannot reach ${dead} (connection refused); trying ${live}`,
  );
  assert.equal(lines[1], "* back online");
  assert.match(
    lines[2],
    new RegExp(`^\\* connected to ${live} as @alice Alice#[0-9a-f]{4} \\(new identity\\); `),
  );
  await alice.proc.type("hello from the second address");
  await bob.proc.waitForLine(/: hello from the second address$/);
  await bob.proc.type("hi Alice");
  await alice.proc.waitForLine(/: hi Alice$/);
  assert.deepEqual(receivedMessages(alice.proc), [
    { group: "general", from: bob.id, text: "hi Alice" },
  ]);
  assert.deepEqual(receivedMessages(bob.proc), [
    { group: "general", from: alice.id, text: "hello from the second address" },
  ]);
  assert.equal(await hintOf(`${dir}/alice`, dead), undefined, "nothing is known of the first");
  assert.ok(await hintOf(`${dir}/alice`, live));
  for (const proc of [alice.proc, bob.proc, server.proc]) await proc.stop();
});

Deno.test("failover client: a bad entry in the list is refused at start, by name, with the usage", async () => {
  for (
    const [list, problem] of [
      ["127.0.0.1:50051,127.0.0.1:0", "'127.0.0.1:0' has a port '0' that is not a whole number"],
      ["a,,b", "'a,,b' has an empty entry"],
      ["localhost:1,localhost:1", "'localhost:1' is given twice"],
      ["::1:50051x", "'::1:50051x' is not an IPv6 address"],
    ]
  ) {
    const { code, stdout, stderr } = await runToEnd("client", [
      "-name",
      "Alice",
      "-server_ip",
      list,
      "-ui",
      "line",
    ]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    const [first, second] = stderr.split("\n");
    assert.ok(first.startsWith(`client: flag -server_ip: ${problem}`), first);
    assert.match(second, /^usage: deno task client -name NAME \[-server_ip HOST\[:PORT\]/);
  }
});

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  Deno.test(`failover client: the server in use stops (${signal}); the client moves to the next address, registers there and talks`, async () => {
    const dir = await tempDir();
    const first = await startServer({ db: `${dir}/a.db`, label: "server-a" });
    const second = await startServer({ db: `${dir}/b.db`, label: "server-b" });
    const a = `127.0.0.1:${first.port}`;
    const b = `127.0.0.1:${second.port}`;
    const stateDir = `${dir}/alice`;
    const alice = await connectClient({
      name: "Alice",
      port: first.port,
      serverIp: `${a},${b}`,
      stateDir,
    });
    assert.match(alice.proc.stderr[0], new RegExp(`^\\* connected to ${a} as `));
    // Bob on the first server, Carol on the second: whom Alice talks to, before and after.
    const bob = await connectClient({ name: "Bob", port: first.port, stateDir: `${dir}/bob` });
    const carol = await connectClient({
      name: "Carol",
      port: second.port,
      stateDir: `${dir}/carol`,
    });
    await alice.proc.type("on the first");
    await bob.proc.waitForLine(/: on the first$/);
    // A command waits for the lines typed before it to be answered: once /who has answered,
    // nothing is left to send again after the kill.
    await alice.proc.type("/who");
    await alice.proc.waitForLine(/^\* online in general: /, { stream: "stderr" });

    const from = alice.proc.stderr.length;
    first.proc.kill(signal);
    await first.proc.status;
    const moved = await alice.proc.waitForLine(
      new RegExp(`^\\* connected to ${b} as `),
      { stream: "stderr", timeoutMs: 20_000 },
    );
    const id = moved.match(/ as (.+#[0-9a-f]{4}) \(/)![1];
    assert.match(moved, /^\* connected to \S+ as @alice Alice#[0-9a-f]{4} \(new identity\); /);
    assert.notEqual(id, alice.id, "another server: another identity");
    const after = status(alice.proc, from);
    // Said once, naming both addresses; then the second server's refusal of the first's key.
    assert.match(
      after[0],
      new RegExp(
        `^\\* offline: (the stream from ${a} ended|cannot send to ${a}) \\(.+\\); trying ${b}$`,
      ),
      alice.proc.transcript(),
    );
    assert.match(
      after[1],
      /^\* the server does not accept the stored identity \(.+\); registering as a new client$/,
    );
    assert.deepEqual(after.slice(2), ["* back online", moved], alice.proc.transcript());

    await alice.proc.type("on the second");
    await carol.proc.waitForLine(/: on the second$/);
    await carol.proc.type("hi Alice");
    await alice.proc.waitForLine(/: hi Alice$/);
    assert.deepEqual(receivedMessages(carol.proc), [
      { group: "general", from: id, text: "on the second" },
    ]);
    assert.deepEqual(receivedMessages(alice.proc), [
      { group: "general", from: carol.id, text: "hi Alice" },
    ]);
    assert.deepEqual(receivedMessages(bob.proc), [
      { group: "general", from: alice.id, text: "on the first" },
    ]);
    // Each server's identity is kept under its own id, and each address hinted to its server.
    const [idA, idB] = [await hintOf(stateDir, a), await hintOf(stateDir, b)];
    assert.ok(idA && idB && idA !== idB, `${idA} ${idB}`);
    for (const serverId of [idA, idB]) {
      await Deno.stat(`${stateDir}/servers/${serverId}/Alice.json`);
    }
    for (const proc of [alice.proc, bob.proc, carol.proc, second.proc]) await proc.stop();
  });
}

tmuxTest(
  "failover client: the full-screen status bar says which address it is on, and moves",
  async () => {
    const dir = await tempDir();
    const first = await startServer({ db: `${dir}/a.db`, label: "server-a" });
    const second = await startServer({ db: `${dir}/b.db`, label: "server-b" });
    const dead = `127.0.0.1:${closedPort()}`;
    const a = `127.0.0.1:${first.port}`;
    const b = `127.0.0.1:${second.port}`;
    await using t = await Terminal.open({
      command: [
        Deno.execPath(),
        "run",
        "-q",
        ...taskPermissions("client"),
        "client.ts",
        "-name",
        "Luis",
        "-server_ip",
        `${dead},${a},${b}`,
        "-state_dir",
        `${dir}/luis`,
      ],
      label: "full Luis",
    });
    const statusRow = (rows: string[]) => rows.at(-2) ?? "";
    const onA = await t.waitFor((rows) => statusRow(rows).startsWith(` online at ${a} · `), {
      what: `online at ${a}`,
      timeoutMs: 30_000,
    });
    assert.match(
      statusRow(onA),
      new RegExp(`^ online at ${a} · @luis Luis#[0-9a-f]{4} · general$`),
    );
    assert.ok(
      onA.some((row) => row.includes(`* connected to ${a} as @luis Luis#`)),
      onA.join("\n"),
    );
    first.proc.kill("SIGKILL");
    await first.proc.status;
    const onB = await t.waitFor((rows) => statusRow(rows).startsWith(` online at ${b} · `), {
      what: `online at ${b}`,
      timeoutMs: 20_000,
    });
    // The pane tells of the move (the offline moment is the status bar's alone).
    assert.ok(
      onB.some((row) => row.includes(`* connected to ${b} as @luis Luis#`)),
      onB.join("\n"),
    );
    await t.press("C-d");
    assert.equal(await t.waitForExit(), 0);
    await second.proc.stop();
  },
);
