/**
 * A writer thread that dies: it opens the database and stores clients as
 * worker.ts does, then throws an uncaught error on the first `commit`, as a
 * thread whose SQLite crashed or ran out of memory would.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { SqliteStore } from "../store.ts";

let store: SqliteStore | undefined;

self.onmessage = ({ data }) => {
  const { id, op } = data;
  if (op === "commit") {
    // Thrown from a timer, it escapes every handler: the thread's uncaught error.
    setTimeout(() => {
      throw new Error("the disk caught fire during a commit");
    });
    return;
  }
  try {
    let result: unknown;
    if (op === "open") store = new SqliteStore(data.path, { lock: false });
    if (op === "addClient") result = store!.addClient(data.client);
    if (op === "close") store?.close();
    self.postMessage({ id, result });
  } catch (error) {
    const e = error as Error;
    self.postMessage({ id, error: e.message, errorName: e.name });
  }
};
