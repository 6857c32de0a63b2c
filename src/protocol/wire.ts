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

/**
 * One Delivery of several frames' bytes: the first as it is, each further one as an entry of
 * its `more` field. Protobuf merges a message's fields across concatenated bytes, so a reader
 * that knows `more` sees the first frame with the rest in `more`, in order; the frames
 * themselves stay shared and are not encoded again.
 */
export function combineDeliveries(frames: readonly Uint8Array[]): Buffer {
  let size = frames[0].length;
  for (let i = 1; i < frames.length; i++) size += moreOverhead(frames[i].length) + frames[i].length;
  const out = Buffer.allocUnsafe(size);
  out.set(frames[0], 0);
  let at = frames[0].length;
  for (let i = 1; i < frames.length; i++) {
    out[at++] = DELIVERY_MORE_TAG;
    at = writeVarint(out, at, frames[i].length);
    out.set(frames[i], at);
    at += frames[i].length;
  }
  return out;
}

/** Delivery.more: field 5, length-delimited. */
const DELIVERY_MORE_TAG = (5 << 3) | 2;

/** The bytes {@link combineDeliveries} adds to put a frame of `length` bytes in `more`. */
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
