/**
 * The Chat service definition as the server registers it, with two changes
 * to grpc-js's (de)serializers:
 *
 * - grpc-js answers a request it cannot decode with INTERNAL; a wrapped
 *   request deserializer lets the handlers refuse it with INVALID_ARGUMENT
 *   and say what was wrong.
 * - A response that is already bytes is written as it is, so a delivery frame
 *   shared by many subscribers is encoded once ({@link encodeDelivery}).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { encodeFrame, varintLength, writeVarint } from "./body.ts";
import type { PublishReply } from "./gen/chat/PublishReply.ts";
import { chatProto, type RoomEvent } from "./proto.ts";
import { messageOf } from "../shared/errors.ts";

/** One Delivery frame (chat.proto): messages of one group, and the sequence it accounts through. */
export interface DeliveryFrame {
  group: string;
  throughSeq: number;
  /** Each message's `seq` and its body: its ChatMessage bytes without `seq` (body.ts). */
  messages: readonly { seq: number; senderId: string; body: Uint8Array }[];
}

const encodings = new WeakMap<DeliveryFrame, Buffer>();

/**
 * The frame's protobuf bytes, made once per frame object however many
 * subscribers get it, from the bodies its messages were stored with.
 */
export function encodeDelivery(frame: DeliveryFrame): Buffer {
  let bytes = encodings.get(frame);
  if (!bytes) {
    const frameBytes = encodeFrame(frame.group, frame.throughSeq, frame.messages);
    bytes = Buffer.from(frameBytes.buffer, frameBytes.byteOffset, frameBytes.byteLength);
    encodings.set(frame, bytes);
  }
  return bytes;
}

/** The bytes of an events-only Delivery frame (through_seq 0, no messages). */
export function encodeEvents(group: string, events: RoomEvent[]): Buffer {
  return chatProto.chat.Chat.service.Subscribe.responseSerialize({
    group,
    throughSeq: 0,
    messages: [],
    events,
  });
}

/** What a PublishReply says (its `more` is made by {@link combineWithMore}). */
export type PublishAnswer = Required<Omit<PublishReply, "more">>;

/**
 * The bytes of a PublishReply, to write or combine with others. Written by hand as body.ts
 * writes frames: every stored message is answered, and protobufjs's object conversion cost
 * several microseconds a reply.
 */
export function encodePublishReply(reply: PublishAnswer): Buffer {
  const id = utf8.encode(reply.clientMsgId);
  const details = reply.details ? utf8.encode(reply.details) : EMPTY;
  const seq = Number(reply.seq);
  const sentAtMs = Number(reply.sentAtMs);
  const size = (id.length ? 1 + varintLength(id.length) + id.length : 0) +
    (seq ? 1 + varintLength(seq) : 0) + (sentAtMs ? 1 + varintLength(sentAtMs) : 0) +
    (reply.duplicate ? 2 : 0) + (reply.code ? 1 + varintLength(reply.code) : 0) +
    (details.length ? 1 + varintLength(details.length) + details.length : 0);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const bytes = (tag: number, value: Uint8Array) => {
    if (value.length === 0) return; // proto3 leaves out an empty string
    out[at++] = tag;
    at = writeVarint(out, at, value.length);
    out.set(value, at);
    at += value.length;
  };
  const varint = (tag: number, value: number) => {
    if (!value) return; // and a zero
    out[at++] = tag;
    at = writeVarint(out, at, value);
  };
  bytes(0x0a, id); // client_msg_id
  varint(0x10, seq);
  varint(0x18, sentAtMs); // int64, never negative here
  varint(0x20, reply.duplicate ? 1 : 0);
  varint(0x28, reply.code); // a gRPC status code: 0 to 16
  bytes(0x32, details);
  return out;
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Field numbers of the `more` fields (chat.proto): a Delivery's and a PublishReply's. */
export const MORE_FIELD = { delivery: 5, publishReply: 7 } as const;

/**
 * One message of several messages' bytes: the first as it is, each further one as an entry of
 * its `more` field (`moreField`, a repeated field of the message's own type). Protobuf merges a
 * message's fields across concatenated bytes, so a reader that knows `more` sees the first
 * message with the rest in `more`, in order; the messages themselves are not encoded again
 * (a Delivery frame stays shared by all who get it).
 */
export function combineWithMore(messages: readonly Uint8Array[], moreField: number): Buffer {
  let size = messages[0].length;
  for (let i = 1; i < messages.length; i++) {
    size += moreOverhead(messages[i].length) + messages[i].length;
  }
  const out = Buffer.allocUnsafe(size);
  out.set(messages[0], 0);
  let at = messages[0].length;
  const tag = (moreField << 3) | 2; // length-delimited
  for (let i = 1; i < messages.length; i++) {
    out[at++] = tag;
    at = writeVarint(out, at, messages[i].length);
    out.set(messages[i], at);
    at += messages[i].length;
  }
  return out;
}

/**
 * The bytes {@link combineWithMore} adds to put a message of `length` bytes in `more` (whose
 * field number is below 16, so its tag is one byte).
 */
export function moreOverhead(length: number): number {
  return 1 + varintLength(length);
}

/** Stands in for a request whose bytes are not a valid message of its type. */
export class MalformedRequest {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** The Chat service's definition with decode failures turned into {@link MalformedRequest}. */
export function chatServiceDefinition(): grpc.ServiceDefinition {
  return withMalformedRequests(chatProto.chat.Chat.service);
}

/** The Admin service's definition, with the same treatment as {@link chatServiceDefinition}. */
export function adminServiceDefinition(): grpc.ServiceDefinition {
  return withMalformedRequests(chatProto.chat.Admin.service);
}

function withMalformedRequests(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    const encode = method.responseSerialize;
    definition[name] = {
      ...method,
      responseSerialize: (value: unknown) => Buffer.isBuffer(value) ? value : encode(value),
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new MalformedRequest(messageOf(error));
        }
      },
    };
  }
  return definition;
}
