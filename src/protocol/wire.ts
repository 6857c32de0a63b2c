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
import { encodeFrame } from "./body.ts";
import { chatProto } from "./proto.ts";
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
