/**
 * What travels on the notification channel: one small JSON object per change, naming the node
 * that committed it (`n`), its kind (`k`) and what changed; never the data itself, which a node
 * reads from the store. PostgreSQL caps a payload under 8,000 bytes: names here are at most 64
 * characters, so a payload stays under 300.
 *
 * | kind     | payload                                     | {@link StoreChange}                     |
 * | -------- | ------------------------------------------- | --------------------------------------- |
 * | messages | `{"n":NODE,"k":"m","g":GROUP,"s":LAST_SEQ}` | `{kind:"messages", group, through}`     |
 * | room     | `{"n":NODE,"k":"r","r":ROOM}`               | `{kind:"room", name}`                   |
 * | client   | `{"n":NODE,"k":"c","c":CLIENT_ID}`          | `{kind:"client", id}`                   |
 * | account  | `{"n":NODE,"k":"a","a":HANDLE}`             | `{kind:"account", handle}`              |
 *
 * The messages payload is made by the commit's SQL itself (it carries the sequence the
 * transaction allocated); the others here.
 *
 * @module
 */
import type { StoreChange } from "../types.ts";

/** The channel every node LISTENs on and every change is NOTIFYed to. */
export const CHANNEL = "grpc_chat_changes";

/** A change a writer announces, besides messages. */
export type Announcement =
  | { kind: "room"; name: string }
  | { kind: "client"; id: string }
  | { kind: "account"; handle: string };

/** `change` as committed by node `nodeId`, as the channel carries it. */
export function encodePayload(nodeId: string, change: Announcement): string {
  switch (change.kind) {
    case "room":
      return JSON.stringify({ n: nodeId, k: "r", r: change.name });
    case "client":
      return JSON.stringify({ n: nodeId, k: "c", c: change.id });
    case "account":
      return JSON.stringify({ n: nodeId, k: "a", a: change.handle });
  }
}

/** A payload read back: the node that committed it and the change; undefined if malformed. */
export function decodePayload(payload: string): { node: string; change: StoreChange } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const p = value as Record<string, unknown>;
  if (typeof p.n !== "string") return undefined;
  const node = p.n;
  switch (p.k) {
    case "m":
      if (typeof p.g !== "string" || typeof p.s !== "number") return undefined;
      return { node, change: { kind: "messages", group: p.g, through: p.s } };
    case "r":
      return typeof p.r === "string" ? { node, change: { kind: "room", name: p.r } } : undefined;
    case "c":
      return typeof p.c === "string" ? { node, change: { kind: "client", id: p.c } } : undefined;
    case "a":
      return typeof p.a === "string"
        ? { node, change: { kind: "account", handle: p.a } }
        : undefined;
    default:
      return undefined;
  }
}
