/**
 * PostgreSQL for tests and benchmarks. {@link PostgresCluster.start} runs a private cluster:
 * `initdb` in a fresh temp dir, the server on a free port of 127.0.0.1 (and a Unix socket in
 * that dir), superuser `chat` with trust authentication, a database `chat`; `close()` stops it
 * and removes the dir, so nothing is left running. A test can restart the server, stop it and
 * start it again on the same port and data, crash it (SIGKILL) or freeze it (SIGSTOP), and ask
 * it questions with `psql`.
 *
 * The binaries come from `pg_config --bindir`, else the highest `/usr/lib/postgresql/N/bin`
 * (Debian's layout), else the PATH. `initdb` and `postgres` refuse to run as root: as root, the
 * harness runs them (and `pg_ctl`) with `runuser -u postgres` (the Debian package's user; else
 * `nobody`), and the temp dir belongs to that user.
 *
 * **An existing server instead**: when `CHAT_TEST_POSTGRES_URL` is set (e.g.
 * `postgres://USER:PASSWORD@HOST:5432/postgres`; PostgreSQL 13 or later, a role allowed to
 * create databases), `start()` runs no cluster: it makes a database with a unique name on that
 * server, and `close()` drops it. Only `psql` is needed then. Such a server is not the tests' to
 * restart, stop, kill or freeze: those methods throw, and tests declared with
 * `controlsServer` are ignored.
 *
 * Needs PostgreSQL's server binaries (`apt-get install -y postgresql`). {@link postgresTest}
 * declares a test that is ignored when `CHAT_SKIP_POSTGRES=1`, and fails with one line saying
 * what to install when PostgreSQL is missing.
 *
 * A cluster left by a test process that died without closing it (SIGKILL, a crash) is found
 * by the next `start()` in the same temp dir (its `owner` file names a process that no longer
 * runs) and removed, its server killed.
 *
 * @example
 * ```ts
 * postgresTest("store: a row survives a restart", async () => {
 *   await using pg = await PostgresCluster.start();
 *   await pg.psql("create table t (x int); insert into t values (42)");
 *   await pg.restart();
 *   assert.equal(await pg.psql("select x from t"), "42");
 *   // pg.url: postgres://chat@127.0.0.1:PORT/chat, for the code under test.
 * }, { controlsServer: true });
 * ```
 *
 * @module
 */
import { redactUrl } from "../src/store/postgres/connect.ts";

const INSTALL = "apt-get install -y postgresql";
const SKIP = Deno.env.get("CHAT_SKIP_POSTGRES") === "1";
/** The environment variable naming an existing server to use instead of a private cluster. */
export const POSTGRES_URL_VARIABLE = "CHAT_TEST_POSTGRES_URL";
const GIVEN_URL = Deno.env.get(POSTGRES_URL_VARIABLE) || undefined;

/** The temp dirs of private clusters start with this. */
const PREFIX = "chat-pg-";
/** The superuser of a private cluster, and its database. */
const USER = "chat";
const DATABASE = "chat";
const HOST = "127.0.0.1";
/** How long one pg_ctl or psql command may take unless told. */
const COMMAND_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

/**
 * The settings of a private cluster, under {@link PostgresOptions.settings}. Durability stays
 * as in production (`fsync`, `synchronous_commit`, `full_page_writes` on), so that restart and
 * crash tests and benchmarks see PostgreSQL's real costs; a test that wants speed over that says
 * so (`{ fsync: "off", synchronous_commit: "off" }`).
 */
const DEFAULT_SETTINGS: Record<string, string | number> = {
  // Three server nodes with their pools, a benchmark's, and psql.
  max_connections: 200,
  TimeZone: "UTC",
  // Fast shutdowns and restarts: a checkpoint has little to write.
  checkpoint_timeout: "30s",
};

/** Where PostgreSQL's programs were found. */
interface Binaries {
  /** The directory of initdb, pg_ctl and postgres, if found. */
  bindir?: string;
  /** psql: in bindir, else on the PATH. */
  psql?: string;
}

let found: Binaries | undefined;

function binaries(): Binaries {
  found ??= findBinaries();
  return found;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

function onPath(name: string, extra: string[] = []): string | undefined {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean), ...extra];
  return dirs.map((dir) => `${dir}/${name}`).find(isExecutable);
}

function findBinaries(): Binaries {
  const server = (dir: string) =>
    ["initdb", "pg_ctl", "postgres"].every((p) => isExecutable(`${dir}/${p}`));
  let bindir: string | undefined;
  // 1. pg_config (libpq-dev's alone says /usr/bin, which has no initdb: then look on).
  try {
    const out = new Deno.Command("pg_config", {
      args: ["--bindir"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const dir = new TextDecoder().decode(out.stdout).trim();
    if (out.success && dir && server(dir)) bindir = dir;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // 2. Debian's /usr/lib/postgresql/N/bin, the highest N first.
  if (!bindir) {
    let versions: string[] = [];
    try {
      versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
        .filter((name) => /^\d+(\.\d+)?$/.test(name))
        .sort((a, b) => Number(b) - Number(a));
    } catch {
      // No such directory.
    }
    bindir = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find(server);
  }
  // 3. initdb on the PATH, where it is (a symlink's target) or beside it.
  if (!bindir) {
    const initdb = onPath("initdb");
    if (initdb) {
      const real = Deno.realPathSync(initdb);
      bindir = [real.slice(0, real.lastIndexOf("/")), initdb.slice(0, initdb.lastIndexOf("/"))]
        .find(server);
    }
  }
  const psql = bindir && isExecutable(`${bindir}/psql`) ? `${bindir}/psql` : onPath("psql");
  return { bindir, psql };
}

/** The unprivileged user that runs a private cluster when the tests run as root. */
interface RunAs {
  name: string;
  uid: number;
  gid: number;
  runuser: string;
}

let root: boolean | undefined;

/**
 * Whether this process runs as root. Without `--allow-sys=uid` (`deno task bench` has none),
 * `id -u` says.
 */
function isRoot(): boolean {
  if (Deno.build.os === "windows") return false;
  if (root === undefined) {
    try {
      root = Deno.uid() === 0;
    } catch {
      const out = new Deno.Command("id", { args: ["-u"], stdout: "piped", stderr: "null" })
        .outputSync();
      root = new TextDecoder().decode(out.stdout).trim() === "0";
    }
  }
  return root;
}

/** `postgres` (Debian's package makes it), else `nobody`, from /etc/passwd. */
function unprivilegedUser(): Omit<RunAs, "runuser"> | undefined {
  let passwd = "";
  try {
    passwd = Deno.readTextFileSync("/etc/passwd");
  } catch {
    return undefined;
  }
  for (const name of ["postgres", "nobody"]) {
    const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(":") ?? [];
    if (uid && gid && Number(uid) !== 0) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

let problem: { text: string | undefined } | undefined;

/**
 * Why the PostgreSQL tests cannot run here, in one line (what to install, or to set
 * `CHAT_SKIP_POSTGRES=1`), or undefined. With `CHAT_TEST_POSTGRES_URL`: a URL `postgres://...`
 * and `psql`; otherwise `initdb`, `pg_ctl`, `postgres` and `psql`, and as root `runuser` and an
 * unprivileged user to run the server. Checked once; it does not connect to anything.
 */
export function postgresProblem(): string | undefined {
  problem ??= { text: findProblem(GIVEN_URL) };
  return problem.text;
}

function findProblem(server: string | undefined): string | undefined {
  const skip = "or set CHAT_SKIP_POSTGRES=1 to skip the PostgreSQL tests";
  const fix = `install it with: ${INSTALL} (${skip}, or ${POSTGRES_URL_VARIABLE} to use a server)`;
  const { bindir, psql } = binaries();
  if (server !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(server);
    } catch {
      // Said below.
    }
    if (!url || !/^postgres(ql)?:$/.test(url.protocol) || !url.hostname) {
      return `${POSTGRES_URL_VARIABLE} is not a URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB ` +
        `(${skip})`;
    }
    if (!psql) return `no psql on the PATH, needed with ${POSTGRES_URL_VARIABLE}: ${fix}`;
    return undefined;
  }
  if (!bindir) {
    return "no initdb, pg_ctl and postgres in `pg_config --bindir`, /usr/lib/postgresql/*/bin or " +
      `on the PATH: ${fix}`;
  }
  if (!psql) return `no psql in ${bindir} or on the PATH: ${fix}`;
  if (isRoot()) {
    if (!onPath("runuser", ["/usr/sbin", "/sbin"])) {
      return `running as root, and no runuser to run PostgreSQL as another user (${skip})`;
    }
    if (!unprivilegedUser()) {
      return `running as root, and no user postgres or nobody in /etc/passwd to run PostgreSQL ` +
        `(${skip})`;
    }
  }
  return undefined;
}

/** Whether `CHAT_SKIP_POSTGRES=1` (then {@link postgresTest} tests are ignored). */
export const POSTGRES_SKIPPED = SKIP;

/** How a {@link postgresTest} is declared. */
export interface PostgresTestOptions extends Omit<Deno.TestDefinition, "name" | "fn"> {
  /**
   * The test restarts, stops, kills or freezes the server: ignored when
   * `CHAT_TEST_POSTGRES_URL` names a server (the tests do not control it).
   */
  controlsServer?: boolean;
}

/**
 * Declares a test that needs PostgreSQL: ignored (its name saying why) when
 * `CHAT_SKIP_POSTGRES=1`, or when it `controlsServer` and `CHAT_TEST_POSTGRES_URL` is set;
 * otherwise it fails with {@link postgresProblem}'s line when PostgreSQL is missing, and runs
 * `fn` when it is there.
 */
export function postgresTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
  options: PostgresTestOptions = {},
): void {
  const { controlsServer, ...definition } = options;
  const why = SKIP
    ? "CHAT_SKIP_POSTGRES=1"
    : controlsServer && GIVEN_URL !== undefined
    ? `${POSTGRES_URL_VARIABLE} is set and the test controls the server`
    : undefined;
  Deno.test({
    ...definition,
    name: why ? `${name} (ignored: ${why})` : name,
    ignore: why !== undefined || definition.ignore,
    async fn(t) {
      const text = postgresProblem();
      if (text) throw new Error(text);
      await fn(t);
    },
  });
}

/** How to start a {@link PostgresCluster}. */
export interface PostgresOptions {
  /**
   * Server settings (postgresql.conf names and values) of a private cluster, over the
   * harness's: `max_connections` 200, `TimeZone` UTC, `checkpoint_timeout` 30s, durability as
   * in production. E.g. `{ max_connections: 400, log_statement: "all" }`. Not used with an
   * existing server.
   */
  settings?: Record<string, string | number | boolean>;
  /**
   * An existing server to use instead of a private cluster, as a URL
   * `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (DB: where `CREATE DATABASE` is run):
   * `CHAT_TEST_POSTGRES_URL` unless told. `null`: a private cluster even when that is set.
   */
  server?: string | null;
  /** How long starting may take: 30 s unless told. */
  timeoutMs?: number;
}

/** How {@link PostgresCluster.stop} shuts the server down: `pg_ctl stop -m MODE`. */
export type StopMode = "smart" | "fast" | "immediate";

type State = "running" | "stopped" | "frozen" | "closed";

/**
 * A PostgreSQL server for one test: a private cluster (see the module's description), or a
 * fresh database on the server `CHAT_TEST_POSTGRES_URL` names. `close()` when done
 * (`await using` does).
 */
export class PostgresCluster {
  /** The database's URL, for the code under test: `postgres://chat@127.0.0.1:PORT/chat`. */
  readonly url: string;
  /** The server's host: 127.0.0.1 for a private cluster. */
  readonly host: string;
  /** The server's TCP port; the same after restart(), stop() then start(), kill(). */
  readonly port: number;
  /** The role the URL connects as: `chat` (a superuser) for a private cluster. */
  readonly user: string;
  /** The database the URL names: `chat` for a private cluster, a unique name on a server. */
  readonly database: string;
  /** False when this is a database on an existing server, which the tests do not control. */
  readonly managed: boolean;
  /** The temp dir of a private cluster (data, log, socket); removed by close(). */
  readonly dir?: string;
  /** The cluster's data directory, `DIR/data` (`postgres -D`). */
  readonly dataDir?: string;
  /**
   * Where the server's Unix socket is (`psql -h SOCKETDIR -p PORT`), the temp dir; undefined
   * when that path would be too long for a socket (TCP only then).
   */
  readonly socketDir?: string;
  /** The server's log (`pg_ctl -l`), appended to by every start. */
  readonly logFile?: string;

  #state: State = "running";
  #closing?: Promise<void>;
  /** Prefix of commands that must not run as root: `runuser -u postgres --`, or none. */
  #as: string[];
  #bindir: string;
  #psql: string;
  /** The URL of the database to run CREATE and DROP DATABASE in. */
  #admin: string;
  /** Databases made on an existing server, dropped by close(). */
  #created: string[] = [];
  #count = 0;

  private constructor(init: {
    url: string;
    host: string;
    port: number;
    user: string;
    database: string;
    managed: boolean;
    admin: string;
    dir?: string;
    socketDir?: string;
    as: string[];
    bindir: string;
    psql: string;
  }) {
    this.url = init.url;
    this.host = init.host;
    this.port = init.port;
    this.user = init.user;
    this.database = init.database;
    this.managed = init.managed;
    this.#admin = init.admin;
    this.dir = init.dir;
    if (init.dir) {
      this.dataDir = `${init.dir}/data`;
      this.logFile = `${init.dir}/postgres.log`;
    }
    this.socketDir = init.socketDir;
    this.#as = init.as;
    this.#bindir = init.bindir;
    this.#psql = init.psql;
  }

  /**
   * Starts a private cluster and waits until database `chat` takes connections (about a
   * second), or, when `CHAT_TEST_POSTGRES_URL` is set (or `options.server`), makes a database
   * with a unique name on that server. Fails with {@link postgresProblem}'s line when
   * PostgreSQL is missing, and with the server's log when it does not start.
   */
  static async start(options: PostgresOptions = {}): Promise<PostgresCluster> {
    const server = options.server === undefined ? GIVEN_URL : options.server ?? undefined;
    const why = server === GIVEN_URL ? postgresProblem() : findProblem(server);
    if (why) throw new Error(why);
    const { bindir = "", psql = "psql" } = binaries();
    if (server !== undefined) return await PostgresCluster.#onServer(server, bindir, psql);
    return await PostgresCluster.#private(options, bindir, psql);
  }

  static async #onServer(server: string, bindir: string, psql: string): Promise<PostgresCluster> {
    const admin = new URL(server);
    const database = `${DATABASE}_test_${Deno.pid}_${randomSuffix()}`;
    const url = new URL(admin.href);
    url.pathname = `/${database}`;
    const cluster = new PostgresCluster({
      url: url.href,
      host: admin.hostname,
      port: Number(admin.port || 5432),
      user: decodeURIComponent(admin.username),
      database,
      managed: false,
      admin: admin.href,
      as: [],
      bindir,
      psql,
    });
    cluster.#created.push(database);
    try {
      await run(psqlArgv(psql, admin.href), {
        what: `CREATE DATABASE ${database} on ${redactUrl(admin.href)}`,
        stdin: `CREATE DATABASE ${quoteIdent(database)}`,
        env: externalEnv(),
      });
    } catch (error) {
      cluster.#state = "closed";
      throw error;
    }
    return cluster;
  }

  static async #private(
    options: PostgresOptions,
    bindir: string,
    psql: string,
  ): Promise<PostgresCluster> {
    const runAs = isRoot()
      ? { ...unprivilegedUser()!, runuser: onPath("runuser", ["/usr/sbin", "/sbin"])! }
      : undefined;
    const as = runAs ? [runAs.runuser, "-u", runAs.name, "--"] : [];
    const dir = await Deno.makeTempDir({ prefix: PREFIX });
    await reapStale(dir.slice(0, dir.lastIndexOf("/")), dir).catch(() => {});
    let cluster: PostgresCluster | undefined;
    try {
      await Deno.writeTextFile(`${dir}/owner`, `${Deno.pid} ${await myStart()}\n`);
      if (runAs) await Deno.chown(dir, runAs.uid, runAs.gid);
      const data = `${dir}/data`;
      const deadline = Date.now() + (options.timeoutMs ?? COMMAND_TIMEOUT_MS);
      await run([
        ...as,
        `${bindir}/initdb`,
        ...["-D", data, "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      ], {
        what: `initdb ${data}${runAs ? ` (as ${runAs.name})` : ""}`,
        env: privateEnv(),
        timeoutMs: Math.max(1, deadline - Date.now()),
      });
      await Deno.writeTextFile(
        `${data}/postgresql.conf`,
        "\n# The test harness's settings (tests/postgres.ts).\ninclude 'chat_test.conf'\n",
        { append: true },
      );
      // A port found free may be taken before the server binds it: then another.
      for (let attempt = 1;; attempt++) {
        const port = freePort();
        // sockaddr_un holds 108 bytes with the NUL.
        const socketDir = `${dir}/.s.PGSQL.${port}.lock`.length < 108 ? dir : undefined;
        const settings: Record<string, string | number | boolean> = {
          listen_addresses: HOST,
          port,
          unix_socket_directories: socketDir ?? "",
          ...DEFAULT_SETTINGS,
          ...options.settings,
        };
        await Deno.writeTextFile(
          `${data}/chat_test.conf`,
          Object.entries(settings).map(([name, value]) => `${name} = ${confValue(value)}\n`)
            .join(""),
        );
        if (runAs) await Deno.chown(`${data}/chat_test.conf`, runAs.uid, runAs.gid);
        cluster = new PostgresCluster({
          url: `postgres://${USER}@${HOST}:${port}/${DATABASE}`,
          host: HOST,
          port,
          user: USER,
          database: DATABASE,
          managed: true,
          admin: `postgres://${USER}@${HOST}:${port}/postgres`,
          dir,
          socketDir,
          as,
          bindir,
          psql,
        });
        cluster.#state = "stopped";
        try {
          await cluster.#pgCtlStart(Math.max(1, deadline - Date.now()));
          break;
        } catch (error) {
          const log = await cluster.log();
          if (attempt >= 5 || !/could not bind|Address already in use/.test(log)) throw error;
          // As root, a log made here would be root's, which the server cannot append to.
          await Deno.remove(cluster.logFile!).catch(() => {});
        }
      }
      await cluster.psql(`CREATE DATABASE ${DATABASE}`, { database: "postgres" });
      return cluster;
    } catch (error) {
      if (cluster) await cluster.close().catch(() => {});
      else await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** The URL of another database on the same server (same role, host and port). */
  urlFor(database: string): string {
    const url = new URL(this.url);
    url.pathname = `/${database}`;
    return url.href;
  }

  /**
   * Makes another empty database, uniquely named, on the same server and returns its URL;
   * close() drops it with the rest.
   */
  async createDatabase(): Promise<string> {
    const name = `${this.database}_${++this.#count}`;
    if (!this.managed) this.#created.push(name);
    await this.psql(`CREATE DATABASE ${quoteIdent(name)}`, { url: this.#admin });
    return this.urlFor(name);
  }

  /**
   * Runs `sql` (one or more statements, `;` between them) with psql and returns what the
   * statements printed: a row a line, columns joined by `|`, no headers, the last newline cut
   * (`select 1, 'a'` gives "1|a"). Fails at the first error, with psql's message; after
   * `timeoutMs` (30 s unless told). On the URL's database unless told (`database`, or a whole
   * `url`).
   */
  async psql(
    sql: string,
    { database, url, timeoutMs = COMMAND_TIMEOUT_MS }: {
      database?: string;
      url?: string;
      timeoutMs?: number;
    } = {},
  ): Promise<string> {
    this.#open("psql");
    const target = url ?? (database === undefined ? this.url : this.urlFor(database));
    const out = await run(psqlArgv(this.#psql, target), {
      what: `psql on ${redactUrl(target)} running ${JSON.stringify(shorten(sql))}`,
      stdin: sql,
      env: this.managed ? privateEnv() : externalEnv(),
      timeoutMs,
    });
    return out.replace(/\n$/, "");
  }

  /**
   * The server's process id (the postmaster's), from its `postmaster.pid`; undefined when it
   * is not running.
   */
  async pid(): Promise<number | undefined> {
    if (!this.dataDir) return undefined;
    return await postmasterOf(this.dataDir);
  }

  /**
   * The server's process and its children (backends, checkpointer, walwriter...), the server's
   * first; empty when it is not running.
   */
  async processes(): Promise<number[]> {
    const pm = await this.pid();
    if (pm === undefined) return [];
    return [pm, ...(await processTable()).filter((p) => p.ppid === pm).map((p) => p.pid)];
  }

  /**
   * Restarts the server (`pg_ctl restart -m fast`: open connections are ended, committed data
   * kept, a shutdown checkpoint written) on the same port and waits until it takes
   * connections. Starts a stopped one.
   */
  async restart(): Promise<void> {
    this.#control("restart");
    if (this.#state === "stopped") return await this.start();
    if (this.#state === "frozen") await this.thaw();
    this.#state = "stopped";
    await this.#pgCtl("restart", ["-m", "fast", "-l", this.logFile!]);
    this.#state = "running";
  }

  /**
   * Stops the server (`pg_ctl stop -m MODE`, fast unless told: connections ended, a
   * checkpoint written; `immediate`: no checkpoint, recovery at the next start) and waits
   * until it has exited. {@link PostgresCluster.start} starts it again.
   */
  async stop(mode: StopMode = "fast"): Promise<void> {
    this.#control("stop");
    if (this.#state === "stopped") return;
    if (this.#state === "frozen") await this.thaw();
    await this.#pgCtl("stop", ["-m", mode]);
    this.#state = "stopped";
  }

  /**
   * Crashes the server: SIGKILL to it and all its processes at once, as an OOM kill or a lost
   * machine would (committed transactions survive; the next start recovers from the WAL).
   * Returns once they have all exited. {@link PostgresCluster.start} starts it again.
   */
  async kill(): Promise<void> {
    this.#control("kill");
    if (this.#state === "stopped") return;
    const pids = await killCluster(this.dataDir!);
    if (!pids.length) throw new Error(`kill: no server runs on ${this.dataDir}`);
    this.#state = "stopped";
  }

  /**
   * Starts a server that stop() or kill() ended, on the same port and data, and waits until it
   * takes connections. Fails (with the log) if the port has been taken meanwhile.
   */
  async start(): Promise<void> {
    this.#control("start");
    if (this.#state !== "stopped") throw new Error(`start: the server on port ${this.port} runs`);
    await this.#pgCtlStart(COMMAND_TIMEOUT_MS);
  }

  /**
   * Freezes the server: SIGSTOP to it and its processes. Connections stay open and new ones
   * are accepted by the kernel, but nothing answers: a hung database, for timeouts.
   */
  async freeze(): Promise<void> {
    this.#control("freeze");
    if (this.#state !== "running") throw new Error(`freeze: the server is ${this.#state}`);
    const pm = await this.pid();
    if (pm === undefined) throw new Error(`freeze: no server runs on ${this.dataDir}`);
    signal(pm, "SIGSTOP");
    for (const pid of (await this.processes()).slice(1)) signal(pid, "SIGSTOP");
    this.#state = "frozen";
  }

  /** Undoes freeze(): SIGCONT to the server's processes. */
  async thaw(): Promise<void> {
    this.#control("thaw");
    if (this.#state !== "frozen") return;
    const [pm, ...children] = await this.processes();
    for (const pid of children) signal(pid, "SIGCONT");
    if (pm !== undefined) signal(pm, "SIGCONT");
    this.#state = "running";
  }

  /** The server's log so far ("" on an existing server). */
  async log(): Promise<string> {
    if (!this.logFile) return "";
    return await Deno.readTextFile(this.logFile).catch(() => "");
  }

  /**
   * Stops a private cluster (fast, else SIGKILL) and removes its temp dir; on an existing
   * server, drops the databases made (`DROP DATABASE ... WITH (FORCE)`, ending their
   * connections). Idempotent; never throws for a server that would not stop gracefully. Throws
   * only when something is left: a process of the cluster alive after SIGKILL, or a database
   * that could not be dropped.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** For `await using pg = await PostgresCluster.start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    const state = this.#state;
    this.#state = "closed";
    if (!this.managed) {
      const failed: string[] = [];
      for (const name of this.#created.reverse()) {
        await run(psqlArgv(this.#psql, this.#admin), {
          what: `DROP DATABASE ${name} on ${redactUrl(this.#admin)}`,
          stdin: `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`,
          env: externalEnv(),
        }).catch((error) => failed.push(error.message));
      }
      if (failed.length) throw new Error(`close: ${failed.join("; ")}`);
      return;
    }
    const data = this.dataDir!;
    if (state === "frozen") {
      for (const pid of await this.processes()) signal(pid, "SIGCONT");
    }
    if (state === "running" || state === "frozen") {
      await this.#pgCtl("stop", ["-m", "fast"], 10_000).catch(() => {});
    }
    // Whatever still runs (a stop that failed, a server started behind our back).
    await killCluster(data).catch(() => {});
    await removeSharedMemory(data);
    await Deno.remove(this.dir!, { recursive: true }).catch(() => {});
    const left = await processesNaming(data);
    if (left.length) throw new Error(`close: processes of ${data} still run: ${left.join(", ")}`);
  }

  #open(what: string): void {
    if (this.#state === "closed") throw new Error(`${what}: the cluster is closed`);
  }

  #control(what: string): void {
    this.#open(what);
    if (!this.managed) {
      throw new Error(
        `${what}: the tests use the server of ${POSTGRES_URL_VARIABLE} (${
          redactUrl(this.#admin)
        }), ` +
          `which they do not control`,
      );
    }
  }

  async #pgCtlStart(timeoutMs: number): Promise<void> {
    const data = this.dataDir!;
    // After kill(), the lock files (the data dir's, the socket's) name the killed server,
    // which may be a zombie for a while (PID 1 reaps it when it gets to it; in a container
    // whose PID 1 does not reap, never): the server takes a zombie for a running server and
    // refuses to start. A lock file whose process does not run (or is a zombie) is stale.
    const lockFiles = [`${data}/postmaster.pid`];
    if (this.socketDir) lockFiles.push(`${this.socketDir}/.s.PGSQL.${this.port}.lock`);
    for (const file of lockFiles) {
      const pm = await readPidFile(file);
      if (pm !== undefined && !(await stillRunning([pm])).length) {
        await Deno.remove(file).catch(() => {});
      }
    }
    await this.#pgCtl("start", ["-l", this.logFile!], timeoutMs);
    this.#state = "running";
  }

  /** `pg_ctl ACTION -D DATA -w -t SECONDS -s ...args`, failing with the log's end. */
  async #pgCtl(action: string, args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<void> {
    const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
    try {
      await run([
        ...this.#as,
        `${this.#bindir}/pg_ctl`,
        ...[action, "-D", this.dataDir!, "-w", "-t", seconds, "-s", ...args],
      ], {
        what: `pg_ctl ${action} (port ${this.port}, ${this.dataDir})`,
        env: privateEnv(),
        // pg_ctl keeps its own deadline; this one is for a pg_ctl that hangs.
        timeoutMs: timeoutMs + 5_000,
      });
    } catch (error) {
      const log = (await this.log()).trimEnd().split("\n").slice(-15).join("\n  ");
      throw new Error(`${(error as Error).message}\n  the server's log ends:\n  ${log}`);
    }
  }
}

function psqlArgv(psql: string, url: string): string[] {
  // -X: no ~/.psqlrc. Statements from stdin run one by one, each printing its rows.
  return [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url];
}

/**
 * The environment of a private cluster's commands: no PG* variable of the user's (PGPORT,
 * PGOPTIONS...), messages in English (C locale).
 */
function privateEnv(): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    LC_ALL: "C",
    LANG: "C",
    PGCONNECT_TIMEOUT: "10",
  };
}

/** With an existing server: the user's environment (PGPASSWORD, PGSSLROOTCERT...). */
function externalEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  env.PGCONNECT_TIMEOUT ??= "10";
  return env;
}

/**
 * Runs a command with a deadline (SIGTERM after `timeoutMs`) and returns its standard output;
 * fails naming `what` with its exit code and standard error.
 */
async function run(
  argv: string[],
  { what, stdin, env, timeoutMs = COMMAND_TIMEOUT_MS }: {
    what: string;
    stdin?: string;
    env: Record<string, string>;
    timeoutMs?: number;
  },
): Promise<string> {
  const [command, ...args] = argv;
  const timeout = AbortSignal.timeout(timeoutMs);
  let output: Deno.CommandOutput;
  try {
    const child = new Deno.Command(command, {
      args,
      clearEnv: true,
      env,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: timeout,
    }).spawn();
    const done = child.output();
    if (stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    output = await done;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${what}: no ${command} (${postgresProblem() ?? INSTALL})`);
    }
    throw error;
  }
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (timeout.aborted) {
    throw new Error(`${what}: no answer within ${timeoutMs} ms${stderr ? `: ${stderr}` : ""}`);
  }
  if (!output.success) {
    throw new Error(`${what} exited ${output.code}: ${stderr || "(no message)"}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** A port that nothing listens on at 127.0.0.1 now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function confValue(value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  return `'${String(value).replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function randomSuffix(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

function signal(pid: number, name: Deno.Signal): void {
  try {
    Deno.kill(pid, name);
  } catch {
    // Exited in between.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One line of the process table (Linux's /proc). */
interface ProcessInfo {
  pid: number;
  ppid: number;
  /** R, S, D, T, Z (zombie)... */
  state: string;
  /** Start time in clock ticks since boot: with the pid, names one process for good. */
  start: string;
}

/*
 * Deno asks for --allow-all to read /proc, which `deno task test` does not give: the process
 * table is read by `cat` and `grep` (in every Debian, unlike `ps` and `pgrep`).
 */

/** The processes that run now, zombies included (Linux; elsewhere none are known). */
async function processTable(): Promise<ProcessInfo[]> {
  if (Deno.build.os !== "linux") return [];
  // Processes that end between the glob and cat's read make cat complain: not an error.
  const out = await run(["sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null; exit 0"], {
    what: "reading the process table",
    env: privateEnv(),
    timeoutMs: 10_000,
  });
  const table: ProcessInfo[] = [];
  for (const line of out.split("\n")) {
    // "pid (comm) state ppid ..." where comm may hold spaces and parentheses.
    const close = line.lastIndexOf(")");
    if (close < 0) continue;
    const fields = line.slice(close + 2).split(" ");
    table.push({
      pid: Number(line.slice(0, line.indexOf(" "))),
      ppid: Number(fields[1]),
      state: fields[0],
      start: fields[19],
    });
  }
  return table;
}

/**
 * The processes whose command line holds `text` (`pgrep -f`, which minimal images lack),
 * zombies left out. Linux; elsewhere none.
 */
export async function processesNaming(text: string): Promise<number[]> {
  if (Deno.build.os !== "linux") return [];
  // The text comes on standard input (-f -), so that it is in no command line of ours.
  const out = await run(
    ["sh", "-c", "grep -laF -f - /proc/[0-9]*/cmdline 2>/dev/null; exit 0"],
    { what: "searching the process table", stdin: `${text}\n`, env: privateEnv() },
  );
  const pids = out.split("\n").map((line) => Number(line.split("/")[2])).filter(Boolean);
  const running = new Set(
    (await processTable()).filter((p) => p.state !== "Z" && p.state !== "X").map((p) => p.pid),
  );
  return pids.filter((pid) => running.has(pid));
}

/** The pids of `pids` that still run (zombies do not). */
async function stillRunning(pids: number[]): Promise<number[]> {
  const table = new Map((await processTable()).map((p) => [p.pid, p]));
  return pids.filter((pid) => {
    const state = table.get(pid)?.state;
    return state !== undefined && state !== "Z" && state !== "X";
  });
}

let ownStart: string | undefined;

/** This process's start time (see ProcessInfo.start), or "" when unknown. */
async function myStart(): Promise<string> {
  ownStart ??= (await processTable()).find((p) => p.pid === Deno.pid)?.start ?? "";
  return ownStart;
}

/** The pid on the first line of a lock file (`postmaster.pid`, a socket's `.lock`). */
async function readPidFile(file: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(file).catch(() => "");
  const pid = Number(text.split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The server process of data dir `data`: the pid its `postmaster.pid` names, if that process
 * runs and its command line names `data` (not a recycled pid).
 */
async function postmasterOf(data: string): Promise<number | undefined> {
  const pid = await readPidFile(`${data}/postmaster.pid`);
  if (pid === undefined) return undefined;
  return (await processesNaming(data)).includes(pid) ? pid : undefined;
}

/**
 * SIGKILLs the server of `data` and its processes and waits (10 s) until they are gone. The
 * server is stopped first (SIGSTOP), so that it forks no child between the listing and the
 * kill, and killed first, so that it restarts no child. Returns the pids killed.
 */
async function killCluster(data: string): Promise<number[]> {
  const pm = await postmasterOf(data);
  if (pm === undefined) return [];
  signal(pm, "SIGSTOP");
  const children = (await processTable()).filter((p) => p.ppid === pm).map((p) => p.pid);
  const pids = [pm, ...children];
  for (const pid of pids) signal(pid, "SIGKILL");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = await stillRunning(pids);
    if (!left.length) return pids;
    if (Date.now() > deadline) {
      throw new Error(`kill: processes ${left.join(", ")} of ${data} outlived SIGKILL by 10 s`);
    }
    await delay(POLL_MS);
  }
}

/**
 * Removes the System V shared memory segment a killed server leaves (its id is in the lock
 * file's 7th line), with `ipcrm`. A server that stopped cleanly removed it and its lock file.
 */
async function removeSharedMemory(data: string): Promise<void> {
  const text = await Deno.readTextFile(`${data}/postmaster.pid`).catch(() => "");
  const id = text.split("\n")[6]?.trim().split(/\s+/)[1];
  if (!id || !/^\d+$/.test(id)) return;
  await run(["ipcrm", "-m", id], { what: "ipcrm", env: privateEnv(), timeoutMs: 5_000 })
    .catch(() => {});
}

/**
 * Removes the private clusters in `parent` whose test process has gone (it died without
 * close()): kills their servers, frees their shared memory, deletes their dirs. `except`: the
 * dir being made.
 */
async function reapStale(parent: string, except: string): Promise<void> {
  if (Deno.build.os !== "linux") return;
  let table: Map<number, string> | undefined;
  for await (const entry of Deno.readDir(parent)) {
    const dir = `${parent}/${entry.name}`;
    if (!entry.isDirectory || !entry.name.startsWith(PREFIX) || dir === except) continue;
    const owner = await Deno.readTextFile(`${dir}/owner`).catch(() => undefined);
    if (owner === undefined) continue;
    const [pid, start] = owner.trim().split(" ");
    table ??= new Map((await processTable()).map((p) => [p.pid, p.start]));
    // Without its start time, an owner's pid that runs is taken for the owner.
    if (table.get(Number(pid)) === start || (!start && table.has(Number(pid)))) continue;
    await killCluster(`${dir}/data`).catch(() => {});
    await removeSharedMemory(`${dir}/data`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
