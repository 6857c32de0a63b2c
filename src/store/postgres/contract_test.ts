/**
 * The storage contract (`../contract.ts`) against PostgreSQL: one private cluster for the
 * whole file (tests/postgres.ts; started by the first test, closed after the last), a fresh
 * database for each path the contract hands out, the same one when it reopens a path.
 * Ignored when `CHAT_SKIP_POSTGRES=1`.
 */
import { storeContract } from "../contract.ts";
import {
  POSTGRES_SKIPPED,
  PostgresCluster,
  postgresProblem,
  postgresTest,
} from "../../../tests/postgres.ts";
import { openPostgres } from "./mod.ts";

if (POSTGRES_SKIPPED || postgresProblem()) {
  // Ignored, or failing with what to install: one test says which.
  postgresTest("store contract (postgres)", () => Promise.resolve());
} else {
  let cluster: Promise<PostgresCluster> | undefined;
  /** The database of each path the contract has handed out. */
  const databases = new Map<string, Promise<string>>();
  const databaseFor = (path: string): Promise<string> => {
    let url = databases.get(path);
    if (!url) {
      cluster ??= PostgresCluster.start();
      url = cluster.then((pg) => pg.createDatabase());
      databases.set(path, url);
    }
    return url;
  };
  storeContract("postgres", async (path) => openPostgres(await databaseFor(path)));
  Deno.test.afterAll(async () => {
    if (cluster) await (await cluster).close();
  });
}
