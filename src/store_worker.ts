/**
 * The writer thread's side of {@link WorkerWriter}: one connection to the
 * database, doing the commits the main thread asks for, one at a time.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { Store } from "./store.ts";

let store: Store | undefined;

self.onmessage = ({ data }) => {
  const { id, op } = data;
  try {
    let result: unknown;
    switch (op) {
      case "open":
        store = new Store(data.path, { synchronous: data.synchronous, lock: false });
        break;
      case "commit": {
        // Flat arrays both ways; see WorkerWriter.commit.
        const m: (string | number | Uint8Array)[] = data.messages;
        const c: (string | number)[] = data.cursors;
        const messages = [];
        for (let i = 0; i < m.length; i += 7) {
          messages.push({
            group: m[i] as string,
            senderId: m[i + 1] as string,
            senderName: m[i + 2] as string,
            clientMsgId: m[i + 3] as string,
            text: m[i + 4] as string,
            sentAtMs: m[i + 5] as number,
            body: m[i + 6] as Uint8Array,
          });
        }
        const cursors = [];
        for (let i = 0; i < c.length; i += 3) {
          cursors.push({
            clientId: c[i] as string,
            group: c[i + 1] as string,
            seq: c[i + 2] as number,
          });
        }
        result = store!.commit(messages, cursors).flatMap((a) => [
          a.message.seq,
          a.message.sentAtMs,
          a.duplicate ? 1 : 0,
        ]);
        break;
      }
      case "addClient":
        store!.addClient(data.client);
        break;
      case "close":
        store?.close();
        store = undefined;
        break;
      default:
        throw new Error(`unknown operation ${op}`);
    }
    self.postMessage({ id, result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    self.postMessage({ id, error: e.message, errorName: e.name });
  }
};
