/**
 * A client of the standard health service (`grpc.health.v1.Health`), loaded from the proto file
 * that the `grpc-health-check` package ships, so that client and server read one definition:
 * `deno task admin health` (and Docker's HEALTHCHECK through it) and the tests use it.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";

/** A status as the health service sends it; SERVICE_UNKNOWN only ever comes from Watch. */
export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

/** One answer of Check, or one message of a Watch stream. */
export interface HealthCheckResponse {
  status: HealthStatus;
}

/** The health service's client stub (Check and Watch; List is left out: no one here needs it). */
export interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: grpc.requestCallback<HealthCheckResponse>,
  ): grpc.ClientUnaryCall;
  Watch(
    request: { service: string },
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<HealthCheckResponse>;
}

type HealthClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => HealthClient;

let constructor: HealthClientConstructor | undefined;

/**
 * A health client for `address` (`host:port`); close it when done.
 *
 * @throws {Error} from proto-loader if the package's health.proto cannot be read.
 */
export function healthClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
): HealthClient {
  // Loaded on first use, not at import: admin.ts imports this module for one of its commands.
  constructor ??= (grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath, { enums: String, defaults: true }),
  ) as unknown as { grpc: { health: { v1: { Health: HealthClientConstructor } } } })
    .grpc.health.v1.Health;
  return new constructor(address, credentials, options);
}

/**
 * Asks `client` once for the status of `service` (`""`: the whole server), waiting at most
 * `timeoutMs` for the answer.
 *
 * @throws {grpc.ServiceError} NOT_FOUND for a name the server does not report; UNAVAILABLE when
 *   the server cannot be reached or is shutting down; DEADLINE_EXCEEDED when it does not answer
 *   in time.
 */
export function checkHealth(
  client: HealthClient,
  service: string,
  timeoutMs: number,
): Promise<HealthStatus> {
  return new Promise((resolve, reject) =>
    client.Check(
      { service },
      { deadline: Date.now() + timeoutMs },
      (error, reply) => error ? reject(error) : resolve(reply!.status),
    )
  );
}
