/**
 * The server's log: one line per thing that happened (a register, a send, a
 * refusal, a subscribe, a disconnect, a room change, an operator's act), each
 * said twice over: as a sentence for a person, and as fields for a program.
 * {@link textLog} writes the sentence after a timestamp (the default);
 * {@link jsonLog} writes one JSON object per line with `time`, `level`,
 * `event`, the fields, and the sentence as `msg`, through `pino`, a well-kept
 * JSON logger that runs on Deno.
 *
 * Names and texts that came from clients never forge a line: in JSON every
 * string is escaped, and in text the server quotes what it was not given
 * already checked (display names and handles hold no control characters:
 * src/shared/validate.ts).
 *
 * @module
 */
import pino from "pino";

/** What a line is about, for programs; `event` names its kind (`send`, `refusal`, ...). */
export interface LogFields {
  event: string;
  /** The caller as shown (`@alice Alice#1a2b`, `~Gus#c0de`). */
  client?: string;
  client_id?: string;
  group?: string;
  seq?: number;
  /** A refusal's gRPC status name (`PERMISSION_DENIED`). */
  status?: string;
  /** Milliseconds from arrival to answer. */
  latency_ms?: number;
  [field: string]:
    | string
    | number
    | boolean
    | undefined
    | null
    | readonly string[]
    | Readonly<Record<string, number>>;
}

/** How the server's parts log: the sentence, and its fields (`warn` for what an operator must see). */
export type Log = (text: string, fields?: LogFields, level?: "info" | "warn") => void;

/**
 * The readable log: `2026-11-30T10:22:10.226Z send @bob Bob#a4fa -> general #1`, on `write`
 * (stdout by default). Fields are left out: the sentence says them.
 */
export function textLog(write: (line: string) => void = (line) => console.log(line)): Log {
  return (text) => write(`${new Date().toISOString()} ${text}`);
}

/**
 * One JSON object per line on stdout (or `destination`, a file descriptor or stream for
 * tests), e.g. `{"level":"info","time":"2026-11-30T10:22:10.226Z","event":"send",
 * "client":"@bob Bob#a4fa","group":"general","seq":1,"msg":"send @bob Bob#a4fa -> general #1"}`.
 * Written synchronously, so that a line logged just before a crash is not lost in a buffer.
 */
export function jsonLog(destination: number | pino.DestinationStream = 1): Log {
  const logger = pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof destination === "number"
      ? pino.destination({ dest: destination, sync: true })
      : destination,
  );
  return (text, fields, level = "info") => logger[level](fields ?? { event: "log" }, text);
}
