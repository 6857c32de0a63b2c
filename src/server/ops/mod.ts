/**
 * What lets the tools of people who run gRPC services work against the chat server without its
 * source: the standard health service (probes, load balancers, Docker's HEALTHCHECK) and server
 * reflection (`grpcurl`). The server adds both with {@link addOperability}.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { addHealth, type HealthReporter } from "./health.ts";
import { addReflection } from "./reflection.ts";

export { addHealth, HEALTH_SERVICE, type HealthReporter, type ServingStatus } from "./health.ts";
export {
  checkHealth,
  type HealthCheckResponse,
  type HealthClient,
  healthClient,
  type HealthStatus,
} from "./health_client.ts";
export { addReflection, REFLECTION_SERVICES } from "./reflection.ts";

/** The services of chat.proto, each reported by the health service besides `""`. */
export const CHAT_SERVICES = ["chat.Chat", "chat.Admin"] as const;

/**
 * Adds the health service (for `""` and {@link CHAT_SERVICES}, NOT_SERVING until the server sets
 * it) and reflection to `server`, next to the chat services.
 *
 * @throws {Error} from grpc-js when `server` already has either, or has started; from
 *   proto-loader when a proto file cannot be read.
 */
export function addOperability(server: Pick<grpc.Server, "addService">): HealthReporter {
  const health = addHealth(server, CHAT_SERVICES);
  addReflection(server);
  return health;
}
