/**
 * The metrics endpoint of `-metrics ADDR:PORT`: `GET /metrics` answers the registry as
 * Prometheus text, with the content type the registry names; any other path is 404. It is
 * plain HTTP on its own port, apart from the gRPC port, so that a scraper needs no gRPC and the
 * operator can keep it on a private address.
 *
 * @module
 */
import { messageOf } from "../../shared/errors.ts";
import { hostPort } from "../../shared/format.ts";

/** What the endpoint serves: a prom-client `Registry` is one. */
export interface MetricsText {
  /** The exposition text, collected now. */
  metrics(): Promise<string>;
  /** Its content type, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

/** The path metrics are served at. */
export const METRICS_PATH = "/metrics";

/** Raised when the metrics port cannot be bound; the message names the address. */
export class MetricsBindError extends Error {
  override name = "MetricsBindError";
}

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** The port bound (the one asked for, or the one picked for 0). */
  readonly port: number;
  /** Where to scrape, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops listening; resolves once requests in progress are answered. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `source` at `http://host:port/metrics` until {@link MetricsEndpoint.close}; a scrape
 * whose collection fails is answered 500 and the error given to `onError`.
 *
 * @throws {MetricsBindError} when the address cannot be listened on (in use, not local, not
 *   permitted).
 */
export function serveMetrics(
  host: string,
  port: number,
  source: MetricsText,
  onError: (error: unknown) => void = () => {},
): MetricsEndpoint {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: host, port, onListen: () => {} },
      (request) => answer(request, source, onError),
    );
  } catch (error) {
    const inUse = error instanceof Deno.errors.AddrInUse;
    throw new MetricsBindError(
      inUse
        ? `metrics port ${port} on ${host} is in use; stop what holds it or pick another with -metrics`
        : `cannot serve metrics on ${hostPort(host, port)}: ${messageOf(error)}`,
    );
  }
  const bound = server.addr.port;
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    url: `http://${hostPort(host, bound)}${METRICS_PATH}`,
    close: () => closing ??= server.shutdown(),
  };
}

/** The answer to one request. */
async function answer(
  request: Request,
  source: MetricsText,
  onError: (error: unknown) => void,
): Promise<Response> {
  if (new URL(request.url).pathname !== METRICS_PATH) {
    return new Response(`not found: metrics are at ${METRICS_PATH}\n`, { status: 404 });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("only GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  try {
    const text = await source.metrics();
    return new Response(text, { headers: { "content-type": source.contentType } });
  } catch (error) {
    // A collect callback that failed: say so rather than serve a partial page. Why is for the
    // server's log: whoever can reach this port is not told its internals.
    onError(error);
    return new Response("metrics could not be collected; see the server's log\n", { status: 500 });
  }
}
