/**
 * Helpers for the store's tests and every backend's contract run: messages to
 * commit, fresh database paths that clean up after themselves, and ways to
 * wait on a promise with a deadline or see that it has not settled.
 *
 * @module
 */
import { encodeBody } from "../protocol/body.ts";
import type { NewMessage } from "./types.ts";

/** What {@link testMessage} may be told besides its sender and id. */
export interface TestMessageOptions {
  /** Default `"general"`. */
  group?: string;
  /** Default the client message id. */
  text?: string;
  /** Default 1000. */
  sentAtMs?: number;
}

/**
 * A message from `senderId` (named as its id in capitals) with the retry key `clientMsgId`,
 * its body encoded as the server would.
 */
export function testMessage(
  senderId: string,
  clientMsgId: string,
  options: TestMessageOptions = {},
): NewMessage {
  const { group = "general", text = clientMsgId, sentAtMs = 1000 } = options;
  const fields = { senderId, senderName: senderId.toUpperCase(), text, sentAtMs, senderHandle: "" };
  return { group, clientMsgId, ...fields, body: encodeBody(fields) };
}

/** A database path in a directory of its own; disposing of it removes the directory. */
export interface TempDatabase extends Disposable {
  readonly path: string;
}

/** A path for a new database, for `using db = tempDatabase()`. */
export function tempDatabase(): TempDatabase {
  const dir = Deno.makeTempDirSync({ prefix: "chat-store-" });
  return {
    path: `${dir}/chat.db`,
    [Symbol.dispose]: () => Deno.removeSync(dir, { recursive: true }),
  };
}

/**
 * What `promise` settles to, if it settles within `ms` milliseconds.
 *
 * @throws {Error} naming `what` if it has not settled by then; or what `promise` rejects with.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` is still pending once everything already queued has run. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol("pending");
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A macrotask: every microtask queued before it, a settled promise's reactions among them,
  // runs first.
  const turn = new Promise<symbol>((resolve) => timer = setTimeout(() => resolve(pending), 0));
  try {
    return await Promise.race([promise.then(() => undefined, () => undefined), turn]) === pending;
  } finally {
    clearTimeout(timer);
  }
}
