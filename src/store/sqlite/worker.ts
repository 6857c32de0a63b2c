/**
 * The writer thread's side of {@link WorkerWriter}: one connection to the
 * database, doing the commits the main thread asks for, one at a time.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { flattenAppended, unflattenCommit } from "./commit_wire.ts";
import { SqliteStore } from "./store.ts";
import { errorOf } from "../../shared/errors.ts";

let store: SqliteStore | undefined;

function opened(): SqliteStore {
  if (!store) throw new Error("the database writer has no open database");
  return store;
}

self.onmessage = ({ data }) => {
  const { id, op } = data;
  try {
    let result: unknown;
    switch (op) {
      case "open":
        store = new SqliteStore(data.path, { synchronous: data.synchronous, lock: false });
        break;
      case "commit": {
        const { messages, cursors } = unflattenCommit(data);
        result = flattenAppended(opened().commit(messages, cursors));
        break;
      }
      case "addClient":
        result = opened().addClient(data.client);
        break;
      case "addCode":
        opened().addCode(data.code);
        break;
      case "releaseHandle":
        result = opened().releaseHandle(data.handle);
        break;
      case "revokeDevice":
        result = opened().revokeDevice(data.clientId);
        break;
      case "changeRoom":
        result = opened().changeRoom(data.change);
        break;
      case "close":
        store?.close();
        store = undefined;
        break;
      default:
        throw new Error(`unknown operation ${JSON.stringify(op)}`);
    }
    self.postMessage({ id, result });
  } catch (error) {
    const e = errorOf(error);
    self.postMessage({ id, error: e.message, errorName: e.name });
  }
};
