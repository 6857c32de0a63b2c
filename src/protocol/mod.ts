/**
 * The wire protocol: chat.proto loaded with its generated types, the metadata
 * names, message and frame codecs, and gRPC status helpers.
 *
 * @module
 */
export * from "./proto.ts";
export { encodeBody, encodeFrame } from "./body.ts";
export { isServiceError, refuseMalformed, statusError } from "./status.ts";
export {
  chatServiceDefinition,
  type DeliveryFrame,
  encodeDelivery,
  MalformedRequest,
} from "./wire.ts";
