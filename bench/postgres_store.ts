/**
 * PostgreSQL for the benchmark (`deno task bench --store postgres`, and the `nodes` workload):
 * one private cluster of tests/postgres.ts, started the first time a workload asks for a
 * database and closed by {@link BenchPostgres.close} at the end (nothing is left running); a
 * fresh database for each server or set of nodes; and the CPU time of the cluster's processes,
 * which the benchmark reads before and after a phase to put down PostgreSQL's own cost.
 *
 * The cluster is always a private one, even when `CHAT_TEST_POSTGRES_URL` names a server: the
 * CPU of a server elsewhere cannot be read, and another load on it would be measured too. Its
 * settings are the harness's: durability as in production (`fsync`, `synchronous_commit` and
 * `full_page_writes` on), so that a send is answered only once PostgreSQL has flushed it.
 *
 * @module
 */
import { PostgresCluster, postgresProblem } from "../tests/postgres.ts";

/** Linux's clock ticks per second (USER_HZ), the unit of /proc/PID/stat's CPU times. */
const TICKS_PER_S = 100;

/** The benchmark's PostgreSQL cluster, started on first use. */
export class BenchPostgres {
  #cluster?: Promise<PostgresCluster>;
  #postmaster?: number;

  /**
   * Why no private cluster can run here (what to install), in one line, or undefined. Checked
   * once; starts nothing.
   */
  static problem(): string | undefined {
    // With CHAT_TEST_POSTGRES_URL set this checks psql only; a missing initdb is then found
    // when the cluster starts, and said by the error start() throws.
    return postgresProblem();
  }

  /** The cluster, started (about a second) on the first call. */
  cluster(): Promise<PostgresCluster> {
    this.#cluster ??= PostgresCluster.start({ server: null }).then(async (cluster) => {
      this.#postmaster = await cluster.pid();
      return cluster;
    });
    return this.#cluster;
  }

  /** A new empty database on the cluster: its URL, `postgres://chat@127.0.0.1:PORT/chat_N`. */
  async database(): Promise<string> {
    return await (await this.cluster()).createDatabase();
  }

  /**
   * CPU seconds (user and system) the cluster's processes have used since it started: the
   * postmaster's own, its children's that still run (backends, walwriter, checkpointer,
   * autovacuum...), and, through the postmaster's cutime and cstime, those of its children
   * that have exited (a closed connection's backend). Read from /proc by `cat` (Deno asks for
   * every permission to read /proc itself).
   */
  async cpuSeconds(): Promise<number> {
    await this.cluster();
    const postmaster = this.#postmaster;
    if (postmaster === undefined) throw new Error("the PostgreSQL cluster does not run");
    const { stdout } = await new Deno.Command("sh", {
      args: ["-c", "cat /proc/[0-9]*/stat 2>/dev/null; exit 0"],
      stdout: "piped",
      stderr: "null",
    }).output();
    let ticks = 0;
    for (const line of new TextDecoder().decode(stdout).split("\n")) {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const close = line.lastIndexOf(")");
      if (close < 0) continue;
      const pid = Number(line.slice(0, line.indexOf(" ")));
      const fields = line.slice(close + 2).split(" ");
      // After comm: state 0, ppid 1, ... utime 11, stime 12, cutime 13, cstime 14.
      if (pid === postmaster) {
        ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) +
          Number(fields[14]);
      } else if (Number(fields[1]) === postmaster) {
        ticks += Number(fields[11]) + Number(fields[12]);
      }
    }
    return ticks / TICKS_PER_S;
  }

  /** Stops the cluster and removes its files, if it was started. Idempotent. */
  async close(): Promise<void> {
    if (!this.#cluster) return;
    const cluster = await this.#cluster.catch(() => undefined);
    await cluster?.close();
  }
}
