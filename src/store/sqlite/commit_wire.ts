/**
 * How a commit crosses to the writer thread and back: as flat arrays, which
 * structured clone copies far faster than arrays of objects. Both threads use
 * these functions, so the layout is written down once.
 *
 * @module
 */
import { type Appended, type CursorUpdate, type NewMessage, storedMessage } from "../types.ts";

/** A commit's messages and cursors, field after field. */
export interface FlatCommit {
  messages: (string | number | Uint8Array)[];
  cursors: (string | number)[];
}

/** The main thread's side: messages and cursors to send to the writer. */
export function flattenCommit(
  messages: readonly NewMessage[],
  cursors: readonly CursorUpdate[],
): FlatCommit {
  // Pushed field by field: flatMap would build a throwaway array per message.
  const flat: FlatCommit = { messages: [], cursors: [] };
  for (const m of messages) {
    flat.messages.push(
      m.group,
      m.senderId,
      m.senderName,
      m.clientMsgId,
      m.text,
      m.sentAtMs,
      m.body,
    );
  }
  for (const c of cursors) flat.cursors.push(c.clientId, c.group, c.seq);
  return flat;
}

/** The writer's side: {@link flattenCommit} undone. */
export function unflattenCommit(
  flat: FlatCommit,
): { messages: NewMessage[]; cursors: CursorUpdate[] } {
  const m = flat.messages;
  const c = flat.cursors;
  const messages: NewMessage[] = [];
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
  const cursors: CursorUpdate[] = [];
  for (let i = 0; i < c.length; i += 3) {
    cursors.push({ clientId: c[i] as string, group: c[i + 1] as string, seq: c[i + 2] as number });
  }
  return { messages, cursors };
}

/** The writer's answer: per message `[seq, sentAtMs, duplicate ? 1 : 0]`; the rest the caller has. */
export function flattenAppended(appended: readonly Appended[]): number[] {
  const flat: number[] = [];
  for (const a of appended) flat.push(a.message.seq, a.message.sentAtMs, a.duplicate ? 1 : 0);
  return flat;
}

/** The main thread's side of {@link flattenAppended}, with the messages it sent. */
export function unflattenAppended(messages: readonly NewMessage[], flat: number[]): Appended[] {
  return messages.map((m, i) => ({
    group: m.group,
    duplicate: flat[3 * i + 2] === 1,
    message: storedMessage(m, flat[3 * i], flat[3 * i + 1]),
  }));
}
