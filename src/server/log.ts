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
 * string is escaped, and in text every control character, line separator and
 * direction override is written out as `\uXXXX` ({@link oneLine}), whatever
 * the part of the server that logged it quoted or checked before.
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
 * (stdout by default), each sentence made {@link oneLine}. Fields are left out: the sentence
 * says them.
 */
export function textLog(write: (line: string) => void = (line) => console.log(line)): Log {
  return (text) => write(`${new Date().toISOString()} ${oneLine(text)}`);
}

// deno-lint-ignore no-control-regex -- matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with control characters, line separators and direction overrides written as `\uXXXX`,
 * so that it is one line and shows what it holds.
 *
 * @example
 * ```ts
 * oneLine("a\nb"); // "a\\u000ab"
 * ```
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
