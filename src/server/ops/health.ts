/**
 * The standard health service, `grpc.health.v1.Health` (Check, Watch and List), as the grpc-node
 * project's `grpc-health-check` implements it, with what that package leaves to its user: one
 * status for every name the server answers for, and Watch streams that end when the server
 * drains, so that they do not hold its graceful shutdown open.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { statusError } from "../../protocol/status.ts";

/** The health service's full name, as reflection lists it. */
export const HEALTH_SERVICE = "grpc.health.v1.Health";

/** What the server reports: it takes calls, or it does not (starting, draining, storage lost). */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/** The server's side of the health service: what Check answers and Watch streams see. */
export interface HealthReporter {
  /** The status every reported name has now. */
  readonly status: ServingStatus;
  /** The names reported: `""` (the whole server) and each service given to {@link addHealth}. */
  readonly services: readonly string[];
  /**
   * Reports `status` for every name, telling each Watch stream of a change. Ignored once
   * {@link drain} has run: a draining server never becomes SERVING again.
   */
  set(status: ServingStatus): void;
  /**
   * Reports NOT_SERVING for good, then ends every Watch stream with UNAVAILABLE (after the
   * NOT_SERVING message, which the stream writes first). Call it before `tryShutdown`: once the
   * server refuses new calls, a probe could not learn why, and a Watch stream left open would
   * keep a graceful shutdown waiting for its grace period.
   */
  drain(): void;
}

/** A server-streaming call as the health package's Watch handler receives it. */
type WatchCall = grpc.ServerWritableStream<unknown, unknown>;

/**
 * Adds the health service to `server`, reporting NOT_SERVING for `""` and each of `services`
 * until told otherwise ({@link HealthReporter.set}); any other name is NOT_FOUND to Check and
 * SERVICE_UNKNOWN to Watch.
 *
 * @throws {Error} from grpc-js when `server` already has a health service, or has started.
 * @example
 * ```ts
 * const health = addHealth(server, ["chat.Chat"]);
 * // ... after bindAsync succeeded:
 * health.set("SERVING");
 * ```
 */
export function addHealth(
  server: Pick<grpc.Server, "addService">,
  services: readonly string[],
): HealthReporter {
  const names = ["", ...services.filter((name) => name !== "")];
  let status: ServingStatus = "NOT_SERVING";
  let draining = false;
  const implementation = new HealthImplementation(
    Object.fromEntries(names.map((name) => [name, status])),
  );
  const watches = new Set<WatchCall>();
  // The package adds its handlers itself; this stand-in for the server lets its Watch handler
  // be wrapped on the way, to know the open Watch streams (the package keeps them private).
  implementation.addToServer({
    addService(definition, handlers) {
      const watch = handlers.watch as (call: WatchCall) => void;
      server.addService(definition as unknown as grpc.ServiceDefinition, {
        ...handlers,
        watch: (call: WatchCall) => {
          watches.add(call);
          call.on("cancelled", () => watches.delete(call));
          watch(call);
        },
      } as grpc.UntypedServiceImplementation);
    },
  });
  const set = (next: ServingStatus) => {
    // The package writes to every Watch stream on each setStatus, changed or not; Watch
    // promises a message per change.
    if (next === status) return;
    status = next;
    for (const name of names) implementation.setStatus(name, next);
  };
  return {
    get status() {
      return status;
    },
    services: names,
    set(next) {
      if (!draining) set(next);
    },
    drain() {
      if (draining) return;
      set("NOT_SERVING");
      draining = true;
      const ending = statusError(
        grpc.status.UNAVAILABLE,
        "the server is shutting down; watch again once it is back",
      );
      for (const call of watches) call.emit("error", ending);
      watches.clear();
    },
  };
}
