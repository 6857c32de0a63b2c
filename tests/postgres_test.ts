/**
 * The PostgreSQL harness (tests/postgres.ts) itself: a private cluster starts and answers as
 * `chat`, over TCP and its Unix socket; it keeps committed rows through a restart, a stop and
 * start, and a SIGKILL; a frozen server hangs until thawed; errors name the statement; close()
 * leaves no process, temp dir or database behind; a cluster whose test process died is
 * removed by the next start; and the existing-server mode makes and drops a database of its
 * own. Ignored when `CHAT_SKIP_POSTGRES=1`; all but the first when `CHAT_TEST_POSTGRES_URL` is
 * set.
 */
import assert from "node:assert/strict";
import { PostgresCluster, postgresTest, processesNaming } from "./postgres.ts";

/** Whether `pid` runs (a zombie does not: it only waits for its parent to reap it). */
async function running(pid: number): Promise<boolean> {
  // /proc needs --allow-all: ask sh.
  const out = await new Deno.Command("sh", {
    args: ["-c", 'cat "/proc/$0/stat" 2>/dev/null', String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(out.stdout);
  return stat !== "" && !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Fails unless close() left nothing of `pg`: no process of it, no temp dir. */
async function assertGone(pg: PostgresCluster, pids: number[]): Promise<void> {
  assert.ok(pids.length >= 4, `the server and its helpers ran: ${pids.join(", ")}`);
  const still: number[] = [];
  for (const pid of pids) if (await running(pid)) still.push(pid);
  assert.deepEqual(still, [], `processes of ${pg.dataDir} after close()`);
  assert.deepEqual(await processesNaming(pg.dataDir!), [], `a process naming ${pg.dataDir}`);
  assert.equal(await exists(pg.dir!), false, `${pg.dir} after close()`);
}

postgresTest(
  "postgres: start gives an empty database that the url names; close removes it",
  async () => {
    const pg = await PostgresCluster.start();
    try {
      assert.equal(await pg.psql("select current_database()"), pg.database);
      assert.equal(
        await pg.psql("select count(*) from pg_tables where schemaname = 'public'"),
        "0",
      );
      assert.match(pg.url, new RegExp(`^postgres://[^/]+:${pg.port}/${pg.database}$`));
    } finally {
      await pg.close();
    }
    await assert.rejects(pg.psql("select 1"), /psql: the cluster is closed/);
  },
);

postgresTest(
  "postgres: a private cluster answers as chat over TCP and its socket; close leaves nothing",
  async () => {
    const started = Date.now();
    // Two side by side, started at once: their own ports, dirs and data.
    const results = await Promise.allSettled([PostgresCluster.start(), PostgresCluster.start()]);
    const elapsed = Date.now() - started;
    const clusters = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      await Promise.allSettled(clusters.map((c) => c.close()));
      throw failed.reason;
    }
    const [pg, other] = clusters;
    let pids: number[] = [];
    let otherPids: number[] = [];
    {
      await using _pg = pg;
      await using _other = other;
      assert.ok(elapsed < 10_000, `two clusters started in ${elapsed} ms`);
      assert.equal(pg.url, `postgres://chat@127.0.0.1:${pg.port}/chat`);
      assert.ok(pg.managed);
      assert.notEqual(pg.port, other.port);
      assert.notEqual(pg.dir, other.dir);
      assert.equal(
        await pg.psql("select current_user, current_database(); show max_connections; show fsync"),
        "chat|chat\n200\non",
      );
      assert.equal(await pg.psql("select rolsuper from pg_roles where rolname = 'chat'"), "t");
      await pg.psql("create table t (x int); insert into t values (1), (2)");
      await assert.rejects(other.psql("select * from t"), /relation "t" does not exist/);
      // The socket, for clients that take a directory as the host.
      assert.ok(pg.socketDir, "a socket dir");
      assert.ok(await exists(`${pg.socketDir}/.s.PGSQL.${pg.port}`));
      const viaSocket = `postgres:///chat?host=${encodeURIComponent(pg.socketDir!)}` +
        `&port=${pg.port}&user=chat`;
      assert.equal(await pg.psql("select sum(x) from t", { url: viaSocket }), "3");
      // Other databases on the same server.
      const second = await pg.createDatabase();
      assert.equal(second, `postgres://chat@127.0.0.1:${pg.port}/chat_1`);
      assert.equal(await pg.psql("select current_database()", { url: second }), "chat_1");
      assert.equal(await pg.psql("select 1", { database: "postgres" }), "1");
      pids = await pg.processes();
      otherPids = await other.processes();
      assert.equal(pids[0], await pg.pid());
      assert.deepEqual(await processesNaming(pg.dataDir!), [pids[0]]);
    }
    await assertGone(pg, pids);
    await assertGone(other, otherPids);
    await pg.close(); // Idempotent.
    assert.equal(await pg.pid(), undefined);
  },
  { controlsServer: true },
);

postgresTest(
  "postgres: restart keeps committed rows and the port, and ends open connections",
  async () => {
    await using pg = await PostgresCluster.start();
    await pg.psql("create table t (x int); insert into t values (42)");
    const before = await pg.pid();
    // A connection open across the restart is ended.
    const sleeper = pg.psql("select pg_sleep(30)").then(() => "answered", (e) => e.message);
    await waitUntil(
      async () =>
        await pg.psql(
          "select count(*) from pg_stat_activity where query like 'select pg_sleep%'",
        ) === "1",
      "the sleeping query to run",
    );
    await pg.restart();
    assert.match(await sleeper, /terminat|server closed the connection/);
    const after = await pg.pid();
    assert.ok(after !== undefined && after !== before, `a new server: ${before} then ${after}`);
    assert.equal(await pg.psql("select x from t"), "42");
    assert.equal(await pg.psql("show port"), String(pg.port));
  },
  { controlsServer: true },
);

postgresTest(
  "postgres: stop then start, and kill (SIGKILL) then start, on the same port and data",
  async () => {
    await using pg = await PostgresCluster.start();
    await pg.psql("create table t (x int); insert into t values (1)");
    const pids = await pg.processes();
    await pg.stop();
    for (const pid of pids) assert.equal(await running(pid), false, `process ${pid} after stop()`);
    await assert.rejects(
      pg.psql("select 1"),
      (e: Error) => e.message.includes(pg.url) && /Connection refused/.test(e.message),
    );
    await pg.stop(); // Stopped already: nothing to do.
    await pg.start();
    await assert.rejects(pg.start(), /the server on port \d+ runs/);
    await pg.psql("insert into t values (2)");
    // A crash: committed rows survive it; the next start recovers.
    const crashed = await pg.processes();
    await pg.kill();
    for (const pid of crashed) {
      assert.equal(await running(pid), false, `process ${pid} after kill()`);
    }
    await pg.start();
    assert.equal(await pg.psql("select string_agg(x::text, ',' order by x) from t"), "1,2");
    assert.match(await pg.log(), /database system was interrupted|not properly shut down/);
    // Killed and then closed without a start: nothing left either.
    const last = await pg.processes();
    await pg.kill();
    await pg.close();
    await assertGone(pg, last);
  },
  { controlsServer: true },
);

postgresTest(
  "postgres: a frozen server hangs until thawed; errors name the statement and psql's message",
  async () => {
    await using pg = await PostgresCluster.start();
    await pg.freeze();
    await assert.rejects(
      pg.psql("select 1", { timeoutMs: 300 }),
      /"select 1": no answer within 300 ms/,
    );
    await pg.thaw();
    assert.equal(await pg.psql("select 1; select 'a', 2"), "1\na|2");
    await assert.rejects(
      pg.psql("select 1;\nselect nosuch"),
      (e: Error) =>
        e.message.includes(`psql on ${pg.url} running "select 1; select nosuch" exited 3`) &&
        e.message.includes('column "nosuch" does not exist'),
    );
    // Frozen, then closed: still nothing left.
    const pids = await pg.processes();
    await pg.freeze();
    await pg.close();
    await assertGone(pg, pids);
  },
  { controlsServer: true },
);

postgresTest(
  "postgres: a cluster whose test process died is removed by the next start",
  async () => {
    const orphan = await PostgresCluster.start();
    try {
      const pids = await orphan.processes();
      // As if the process that started it had died: an owner that does not run.
      await Deno.writeTextFile(`${orphan.dir}/owner`, "1 0\n");
      await using pg = await PostgresCluster.start();
      assert.equal(await exists(orphan.dir!), false, `${orphan.dir} after the next start`);
      for (const pid of pids) {
        assert.equal(await running(pid), false, `process ${pid} of the orphan`);
      }
      assert.equal(await pg.psql("select 1"), "1");
    } finally {
      await orphan.close();
    }
  },
  { controlsServer: true },
);

postgresTest(
  "postgres: the existing-server mode (CHAT_TEST_POSTGRES_URL) makes a database of its own, dropped by close",
  async () => {
    await using server = await PostgresCluster.start({ server: null });
    const pg = await PostgresCluster.start({ server: server.urlFor("postgres") });
    let sleeper: Promise<string> | undefined;
    try {
      assert.equal(pg.managed, false);
      assert.equal(pg.port, server.port);
      assert.match(pg.database, /^chat_test_\d+_[0-9a-z]+$/);
      assert.equal(pg.url, server.urlFor(pg.database));
      assert.equal(await pg.psql("select current_database()"), pg.database);
      const extra = await pg.createDatabase();
      assert.equal(extra, server.urlFor(`${pg.database}_1`));
      await assert.rejects(
        pg.restart(),
        /restart: the tests use the server of CHAT_TEST_POSTGRES_URL .* which they do not control/,
      );
      // An open connection does not keep close() from dropping the database.
      sleeper = pg.psql("select pg_sleep(30)").then(() => "answered", (e) => e.message);
      await waitUntil(
        async () =>
          await server.psql(
            `select count(*) from pg_stat_activity where datname = '${pg.database}'`,
          ) === "1",
        "the sleeping connection",
      );
    } finally {
      await pg.close();
    }
    assert.match(await sleeper, /terminat/);
    assert.equal(
      await server.psql(`select count(*) from pg_database where datname like '${pg.database}%'`),
      "0",
    );
  },
  { controlsServer: true },
);

async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
