/**
 * What travels on the notification channel: one small JSON object per change, naming the node
 * that committed it (`n`), its kind (`k`) and what changed, which a node reads from the store;
 * but a commit's messages of a group travel with their notification when they fit well under
 * PostgreSQL's cap of 8,000 bytes a payload (`b`: sequence, sender and body in base64 of each),
 * so that the other nodes need no read for the small commits that are most of them. Names are
 * at most 64 characters, so a payload without messages stays under 300 bytes.
 *
 * | kind     | payload                                     | {@link StoreChange}                     |
 * | -------- | ------------------------------------------- | --------------------------------------- |
 * | messages | `{"n":NODE,"k":"m","g":GROUP,"s":LAST_SEQ}` | `{kind:"messages", group, through}`     |
 * |          | `...,"b":[[SEQ,SENDER,BASE64],...]}`         | `..., messages}`                        |
 * | room     | `{"n":NODE,"k":"r","r":ROOM}`               | `{kind:"room", name}`                   |
 * | client   | `{"n":NODE,"k":"c","c":CLIENT_ID}`          | `{kind:"client", id}`                   |
 * | account  | `{"n":NODE,"k":"a","a":HANDLE}`             | `{kind:"account", handle}`              |
 *
 * The messages payload is made by the commit's SQL itself (it carries the sequence the
 * transaction allocated); the others here.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { FrameMessage, StoreChange } from "../types.ts";

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

/**
 * Whether `payload` is surely one that node `nodeId` sent, told from its first bytes without
 * parsing it (a node hears its own commits too, and drops them: their messages can be many
 * bytes of base64). False may still be one of its own: {@link decodePayload} then tells.
 */
export function sentBy(nodeId: string): (payload: string) => boolean {
  const node = JSON.stringify(nodeId);
  // As JSON.stringify writes it (encodePayload), and as json_build_object does (the messages').
  const prefixes = [`{"n":${node},`, `{"n" : ${node},`];
  return (payload) => prefixes.some((prefix) => payload.startsWith(prefix));
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
      if (p.b === undefined || p.b === null) {
        return { node, change: { kind: "messages", group: p.g, through: p.s } };
      }
      {
        const messages = decodeMessages(p.b, p.s);
        if (!messages) return undefined;
        return { node, change: { kind: "messages", group: p.g, through: p.s, messages } };
      }
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

/**
 * The messages a notification carries (`[[SEQ, SENDER, BASE64_BODY], ...]`, in order, the last
 * one `through`), or undefined if they are not that.
 */
function decodeMessages(value: unknown, through: number): FrameMessage[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const messages: FrameMessage[] = [];
  for (const item of value) {
    if (!Array.isArray(item) || item.length !== 3) return undefined;
    const [seq, senderId, body] = item;
    if (typeof seq !== "number" || typeof senderId !== "string" || typeof body !== "string") {
      return undefined;
    }
    const bytes = Buffer.from(body, "base64");
    messages.push({
      seq,
      senderId,
      body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    });
  }
  for (let i = 1; i < messages.length; i++) {
    if (messages[i].seq !== messages[i - 1].seq + 1) return undefined;
  }
  return messages[messages.length - 1].seq === through ? messages : undefined;
}
