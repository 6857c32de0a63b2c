import assert from "node:assert/strict";
import {
  FlagError,
  type FlagSpec,
  normalizeArgs,
  parseFlags,
  parsePort,
  readCommandLine,
  usage,
} from "./flags.ts";

const specs: Record<string, FlagSpec> = {
  name: { type: "string", description: "display name" },
  port: { type: "string", description: "port", default: "50051" },
  verbose: { type: "boolean", description: "say more" },
};

Deno.test("flags: single-dash, double-dash and = forms give the same values", () => {
  for (
    const args of [
      ["-name", "Luis", "-port", "7000"],
      ["--name", "Luis", "--port", "7000"],
      ["--name=Luis", "-port=7000"],
    ]
  ) {
    const values = parseFlags(args, specs);
    assert.equal(values.name, "Luis", args.join(" "));
    assert.equal(values.port, "7000", args.join(" "));
  }
});

Deno.test("flags: defaults apply and booleans parse", () => {
  const values = parseFlags(["-verbose"], specs);
  assert.equal(values.port, "50051");
  assert.equal(values.verbose, true);
  assert.equal(values.name, undefined);
});

Deno.test("flags: a repeatable flag gives every value in order, or none", () => {
  const withGroup: Record<string, FlagSpec> = {
    ...specs,
    group: { type: "string", description: "a group", multiple: true },
  };
  const values = parseFlags(["-group", "ops=a,b", "--group", "dev", "-group=x"], withGroup);
  assert.deepEqual(values.group, ["ops=a,b", "dev", "x"]);
  assert.deepEqual(parseFlags([], withGroup).group, []);
  assert.throws(
    () => parseFlags(["-group="], withGroup),
    new FlagError("flag -group needs a value"),
  );
  assert.match(usage("x", withGroup), /may be given more than once/);
});

Deno.test("flags: a value that starts with a dash is kept as the value", () => {
  assert.equal(parseFlags(["-name", "-x-"], specs).name, "-x-");
  assert.deepEqual(normalizeArgs(["-name", "-x-"], specs), ["--name=-x-"]);
});

Deno.test("flags: unknown flag, missing value and positional are named", () => {
  assert.throws(() => parseFlags(["-nmae", "x"], specs), new FlagError("unknown flag -nmae"));
  assert.throws(() => parseFlags(["-name"], specs), new FlagError("flag -name needs a value"));
  assert.throws(
    () => parseFlags(["-port", "-name", "Bob"], specs),
    new FlagError("flag -port needs a value"),
  );
  assert.throws(
    () => parseFlags(["-name", "-port"], specs),
    new FlagError("flag -name needs a value"),
  );
  assert.throws(() => parseFlags(["-name="], specs), new FlagError("flag -name needs a value"));
  assert.throws(
    () => parseFlags(["Luis"], specs),
    new FlagError("unexpected argument 'Luis' (flags are written -name value)"),
  );
});

Deno.test("flags: ports are whole numbers in range", () => {
  assert.equal(parsePort("50051"), 50051);
  assert.equal(parsePort("0", "port", 0), 0);
  for (const bad of ["0", "65536", "-1", "12.5", "abc", "1e3", ""]) {
    assert.throws(() => parsePort(bad), FlagError, bad);
  }
});

Deno.test("flags: usage lists every flag with its default", () => {
  const text = usage("client -name NAME", specs);
  assert.match(text, /^usage: client -name NAME$/m);
  assert.match(text, /-port VALUE .*\(default 50051\)/);
  assert.match(text, /-verbose/);
});

Deno.test("flags: readCommandLine answers help with 0, a bad command line with 2, else the config", () => {
  const interpret = (values: Record<string, unknown>) => {
    if (values.name === "bad") throw new FlagError("flag -name: bad");
    return { name: values.name };
  };
  const quiet = { log: console.log, error: console.error };
  console.log = console.error = () => {};
  try {
    assert.deepEqual(readCommandLine("x", "x", specs, ["-h"], interpret), { exit: 0 });
    assert.deepEqual(readCommandLine("x", "x", specs, ["-nope"], interpret), { exit: 2 });
    assert.deepEqual(readCommandLine("x", "x", specs, ["-name", "bad"], interpret), { exit: 2 });
    assert.deepEqual(readCommandLine("x", "x", specs, ["-name", "Luis"], interpret), {
      config: { name: "Luis" },
    });
  } finally {
    Object.assign(console, quiet);
  }
});
