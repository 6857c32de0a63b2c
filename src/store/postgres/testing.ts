/**
 * Helpers for this backend's tests: one private PostgreSQL cluster per test file (started by
 * the first test that asks, closed after the file's last test), a fresh database per test,
 * and a record of what a node hears, to wait on with a deadline.
 *
 * @module
 */
import { PostgresCluster } from "../../../tests/postgres.ts";
import type { StoreBackend, StoreChange, StoreChanges } from "../types.ts";
import { openPostgres } from "./mod.ts";

/** The cluster of one test file; see {@link fileCluster}. */
export interface FileCluster {
  /** The cluster, started on first use. */
  cluster(): Promise<PostgresCluster>;
  /** A new empty database on it, as a URL. */
  database(): Promise<string>;
}

/**
 * The calling test file's cluster: started by the first test that asks for it, closed when
 * the file's tests are done (`Deno.test.afterAll`, registered here: call at the top level).
 */
export function fileCluster(): FileCluster {
  let started: Promise<PostgresCluster> | undefined;
  Deno.test.afterAll(async () => {
    if (started) await (await started).close();
  });
  const cluster = () => started ??= PostgresCluster.start();
  return { cluster, database: async () => await (await cluster()).createDatabase() };
}

/**
 * `count` nodes (node-a, node-b, ...) on one new database of `pg`, for
 * `await using nodes = await openNodes(pg)`: closed together.
 */
export async function openNodes(
  pg: FileCluster,
  count = 2,
): Promise<StoreBackend[] & AsyncDisposable> {
  const url = await pg.database();
  const nodes: StoreBackend[] = [];
  const close = async () => void await Promise.all(nodes.map((n) => n.close()));
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await openPostgres(url, { nodeId: `node-${String.fromCharCode(97 + i)}` }));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return Object.assign(nodes, { [Symbol.asyncDispose]: close });
}

/** What a node heard, in order, with a way to wait for something to be heard. */
export class Heard implements Disposable {
  readonly changes: StoreChange[] = [];
  #wake: (() => void)[] = [];
  #stop: () => void;

  /** Records what `changes` tells from now on; dispose to stop. */
  constructor(changes: StoreChanges) {
    this.#stop = changes.subscribe((change) => {
      this.changes.push(change);
      for (const wake of this.#wake.splice(0)) wake();
    });
  }

  /** The changes of `kind` heard so far. */
  of<K extends StoreChange["kind"]>(kind: K): Extract<StoreChange, { kind: K }>[] {
    return this.changes.filter((c) => c.kind === kind) as Extract<StoreChange, { kind: K }>[];
  }

  /**
   * Resolves once `done(changes)` holds for what has been heard (now or later).
   *
   * @throws {Error} naming `what`, with what was heard, if it does not within `ms`.
   */
  async until(done: (changes: StoreChange[]) => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this.changes)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${what}: not heard within ${ms} ms; heard ${JSON.stringify(this.changes)}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  [Symbol.dispose](): void {
    this.#stop();
    for (const wake of this.#wake.splice(0)) wake();
  }
}

/**
 * Resolves once `condition()` holds, checked every 10 ms.
 *
 * @throws {Error} naming `what` if it does not within `ms`.
 */
export async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`${what}: not so within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Calls `attempt` until it resolves, or throws its last error once `ms` have passed; for
 * what must work again after an outage.
 */
export async function eventually<T>(
  attempt: () => Promise<T>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(`${what} did not succeed within ${ms} ms`, { cause: error });
      }
    }
    // Attempts are round trips that fail fast while the server is down: pace them.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
