/**
 * Command-line flags the assignment's way (`-name Luis`) as well as the GNU
 * way (`--name Luis`, `--name=Luis`), on top of `node:util` parseArgs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { messageOf } from "./errors.ts";

/** One flag: its type, default and a line for the usage text. */
export interface FlagSpec {
  type: "string" | "boolean";
  description: string;
  default?: string;
  /** Shown in usage in place of the value, e.g. `PORT`. */
  value?: string;
  /** A string flag that may be given more than once; its value is then a list. */
  multiple?: boolean;
}

/** Raised for any command line that cannot be used; the message names the problem. */
export class FlagError extends Error {
  override name = "FlagError";
}

/** Parsed flag values: strings for string flags, booleans for boolean ones. */
export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/**
 * The values {@link parseFlags} gives for `S`, typed flag by flag: a boolean flag is a
 * boolean, a repeatable one a list, one with a default a string, any other string flag
 * a string or undefined. Declare specs `as const satisfies Record<string, FlagSpec>`.
 */
export type FlagValuesOf<S extends Record<string, FlagSpec>> =
  & {
    [K in keyof S]: S[K]["type"] extends "boolean" ? boolean
      : S[K]["multiple"] extends true ? string[]
      : S[K]["default"] extends string ? string
      : string | undefined;
  }
  & { help: boolean };

/**
 * Rewrites `-name` to `--name` so that parseArgs sees long options; `-h` and
 * values that merely start with a dash after a flag are left alone.
 */
export function normalizeArgs(args: readonly string[], specs: Record<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const flag = /^-[^-]/.test(arg) && arg.length > 2 ? "-" + arg : arg;
    // The value after a string flag is taken as it is, even if it starts with "-";
    // joining it with "=" keeps parseArgs from reading it as a flag.
    const name = flag.replace(/^--?/, "");
    if (
      flag.startsWith("--") && specs[name]?.type === "string" && i + 1 < args.length &&
      !isKnownFlag(args[i + 1], specs)
    ) {
      out.push(`${flag}=${args[++i]}`);
    } else {
      out.push(flag);
    }
  }
  return out;
}

/** Whether `arg` is written as one of the flags (`-port`, `--port`, `-port=1`), not a value. */
function isKnownFlag(arg: string, specs: Record<string, FlagSpec>): boolean {
  const name = arg.match(/^--?([^=]+)/)?.[1];
  return name !== undefined && (name in specs || name === "help" || name === "h");
}

/**
 * Parses `args` against `specs`.
 *
 * @throws {FlagError} for an unknown flag, a missing or empty value, or a positional argument;
 *   the message says which.
 */
export function parseFlags<S extends Record<string, FlagSpec>>(
  args: readonly string[],
  specs: S,
): FlagValuesOf<S> {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, multiple: spec.multiple === true };
  }
  if (!("help" in options)) options.help = { type: "boolean", short: "h" };
  const normalized = normalizeArgs(args, specs);
  for (let i = 0; i < normalized.length; i++) {
    const name = normalized[i].replace(/^--/, "");
    if (
      normalized[i].startsWith("--") && specs[name]?.type === "string" &&
      (i + 1 >= normalized.length || isKnownFlag(normalized[i + 1], specs))
    ) {
      throw new FlagError(`flag -${name} needs a value`);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: normalized, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new FlagError(describeParseError(error));
  }
  const values: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = (parsed.values[name] as FlagValues[string]) ??
      (spec.multiple ? [] : spec.type === "boolean" ? spec.default === "true" : spec.default);
    const given = [values[name]].flat();
    if (spec.type === "string" && given.includes("")) {
      throw new FlagError(`flag -${name} needs a value`);
    }
  }
  values.help = parsed.values.help === true;
  // Each value was set above from its spec's type, default and multiple: the shape FlagValuesOf names.
  return values as FlagValuesOf<S>;
}

function describeParseError(error: unknown): string {
  const message = messageOf(error);
  const unknown = message.match(/Unknown option '-*([^']+)'/);
  if (unknown) return `unknown flag -${unknown[1]}`;
  const positional = message.match(/Unexpected argument '([^']+)'/);
  if (positional) return `unexpected argument '${positional[1]}' (flags are written -name value)`;
  const missing = message.match(/Option '-*(?:\w, )?-*([\w-]+)[^']*' argument missing/);
  if (missing) return `flag -${missing[1]} needs a value`;
  return message;
}

/** Parses a TCP port: an integer from `min` (1, or 0 for "pick a free one") to 65535. */
export function parsePort(text: string, flag = "port", min = 1): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < min || port > 65535) {
    throw new FlagError(`flag -${flag} must be a whole number from ${min} to 65535, got '${text}'`);
  }
  return port;
}

/**
 * `value` if it is one of `choices`.
 *
 * @throws {FlagError} naming the flag, the choices and the value given.
 * @example
 * ```ts
 * parseChoice("off", "synchronous", ["full", "off"]); // "off"
 * ```
 */
export function parseChoice<C extends string>(
  value: string,
  flag: string,
  choices: readonly C[],
): C {
  if (!(choices as readonly string[]).includes(value)) {
    throw new FlagError(
      `flag -${flag} must be ${choices.slice(0, -1).join(", ")} or ${
        choices.at(-1)
      }, got '${value}'`,
    );
  }
  return value as C;
}

/** The usage text: a synopsis line, then one line per flag. */
export function usage(synopsis: string, specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = spec.type === "string" ? `-${name} ${spec.value ?? "VALUE"}` : `-${name}`;
    const dflt = spec.default !== undefined ? ` (default ${spec.default})` : "";
    const again = spec.multiple ? "; may be given more than once" : "";
    return `  ${left.padEnd(24)} ${spec.description}${dflt}${again}`;
  });
  return [`usage: ${synopsis}`, ...rows, `  ${"-h, -help".padEnd(24)} print this help`].join("\n");
}

/**
 * The command-line prelude of a program: parses `args`, answers `-help` (exit
 * 0), and turns a {@link FlagError} from parsing or from `interpret` into one
 * line naming the problem, then the usage (exit 2). Otherwise returns what
 * `interpret` made of the values.
 */
export function readCommandLine<S extends Record<string, FlagSpec>, T>(
  program: string,
  synopsis: string,
  specs: S,
  args: readonly string[],
  interpret: (values: FlagValuesOf<S>) => T,
): { config: T } | { exit: number } {
  try {
    const values = parseFlags(args, specs);
    if (values.help) {
      console.log(usage(synopsis, specs));
      return { exit: 0 };
    }
    return { config: interpret(values) };
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(`${program}: ${error.message}\n${usage(synopsis, specs)}`);
    return { exit: 2 };
  }
}
