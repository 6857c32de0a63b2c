/**
 * Protobuf bytes of a chat message, made once when it arrives and never
 * again. A message's body is its ChatMessage encoding without `seq` (which the
 * writer assigns later); a delivery frame is built by splicing each body
 * behind its tag, length and `seq` field. Protobuf allows fields in any order,
 * so clients decode a standard chat.Delivery. Field numbers follow chat.proto.
 *
 * @module
 */

const utf8 = new TextEncoder();

/** The fields of a message that are known before it is stored. */
export interface BodyFields {
  senderId: string;
  senderName: string;
  text: string;
  sentAtMs: number;
  /** The sender's account; empty for a guest (and for messages stored before accounts). */
  senderHandle: string;
}

/** Bytes of `value` (a non-negative safe integer) as a protobuf varint. */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Writes `value` as a protobuf varint at `at`; returns the offset after it. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Bytes of a length-delimited field holding `bytes`; proto3 leaves out an empty one. */
function fieldLength(bytes: Uint8Array): number {
  return bytes.length ? 1 + varintLength(bytes.length) + bytes.length : 0;
}

function writeString(out: Uint8Array, at: number, tag: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return at; // proto3: an empty string is not written
  out[at++] = tag;
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

/** ChatMessage fields 2-6 (sender_id, sender_name, text, sent_at_ms, sender_handle), encoded. */
export function encodeBody(fields: BodyFields): Uint8Array {
  const id = utf8.encode(fields.senderId);
  const name = utf8.encode(fields.senderName);
  const text = utf8.encode(fields.text);
  const handle = utf8.encode(fields.senderHandle);
  const size = fieldLength(id) + fieldLength(name) + fieldLength(text) +
    (fields.sentAtMs ? 1 + varintLength(fields.sentAtMs) : 0) + fieldLength(handle);
  const out = new Uint8Array(size);
  let at = writeString(out, 0, 0x12, id);
  at = writeString(out, at, 0x1a, name);
  at = writeString(out, at, 0x22, text);
  if (fields.sentAtMs) {
    out[at++] = 0x28;
    at = writeVarint(out, at, fields.sentAtMs);
  }
  writeString(out, at, 0x32, handle);
  return out;
}

/** A chat.Delivery: group, through_seq, then each message as `seq` + its stored body. */
export function encodeFrame(
  group: string,
  throughSeq: number,
  messages: readonly { seq: number; body: Uint8Array }[],
): Uint8Array {
  const groupBytes = utf8.encode(group);
  const list = messageList(messages);
  const size = fieldLength(groupBytes) + (throughSeq ? 1 + varintLength(throughSeq) : 0) +
    list.size;
  const out = new Uint8Array(size);
  let at = writeString(out, 0, 0x0a, groupBytes);
  if (throughSeq) {
    out[at++] = 0x10;
    at = writeVarint(out, at, throughSeq);
  }
  list.write(out, at, 0x1a); // Delivery.messages
  return out;
}

/**
 * A repeated ChatMessage field, each message `seq` + its stored body: its size in bytes,
 * and how to write it with the field's `tag`.
 */
function messageList(messages: readonly { seq: number; body: Uint8Array }[]): {
  size: number;
  write(out: Uint8Array, at: number, tag: number): number;
} {
  // Each message's length (seq field + body) is needed twice: for the size, then as its prefix.
  const inner = messages.map((m) => 1 + varintLength(m.seq) + m.body.length);
  let size = 0;
  for (const n of inner) size += 1 + varintLength(n) + n;
  return {
    size,
    write(out, at, tag) {
      for (const [i, m] of messages.entries()) {
        out[at++] = tag; // length-delimited
        at = writeVarint(out, at, inner[i]);
        out[at++] = 0x08; // ChatMessage.seq
        at = writeVarint(out, at, m.seq);
        out.set(m.body, at);
        at += m.body.length;
      }
      return at;
    },
  };
}

/**
 * A chat.HistoryReply: each message as `seq` + its stored body (as in {@link encodeFrame}),
 * then `more`.
 */
export function encodeHistoryReply(
  messages: readonly { seq: number; body: Uint8Array }[],
  more: boolean,
): Uint8Array {
  const list = messageList(messages);
  const out = new Uint8Array(list.size + (more ? 2 : 0));
  const at = list.write(out, 0, 0x0a); // HistoryReply.messages
  if (more) {
    out[at] = 0x10; // HistoryReply.more
    out[at + 1] = 1;
  }
  return out;
}
