/**
 * grpc-js's own logging, as the programs want it.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";

/**
 * Silences grpc-js's own log lines unless GRPC_VERBOSITY (or GRPC_NODE_VERBOSITY)
 * asks for them: the programs report every failure in their own words, and
 * grpc-js's lines (e.g. "No address added out of total 1 resolved") would only
 * repeat them less clearly.
 */
export function quietGrpcLogs(): void {
  if (!Deno.env.get("GRPC_VERBOSITY") && !Deno.env.get("GRPC_NODE_VERBOSITY")) {
    grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  }
}
