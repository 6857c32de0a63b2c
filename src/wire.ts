/**
 * The Chat service definition as the server registers it. grpc-js answers a
 * request it cannot decode with INTERNAL; wrapping each request deserializer
 * lets the handlers refuse it with INVALID_ARGUMENT and say what was wrong.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { chatProto } from "./proto.ts";

/** Stands in for a request whose bytes are not a valid message of its type. */
export class MalformedRequest {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** The service definition with decode failures turned into {@link MalformedRequest}. */
export function chatServiceDefinition(): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(chatProto.chat.Chat.service)) {
    const decode = method.requestDeserialize;
    definition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      },
    };
  }
  return definition;
}
