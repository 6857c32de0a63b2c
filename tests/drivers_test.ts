/**
 * Runs the driver programs as a user would (`deno run run_test_N.ts`), so
 * `deno task test` covers both assignment test cases.
 */
import assert from "node:assert/strict";

for (const driver of ["run_test_1.ts", "run_test_2.ts"]) {
  Deno.test(`driver: ${driver} passes`, async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        driver,
      ],
      cwd: new URL("../", import.meta.url),
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, text);
    assert.match(text, /: PASSED$/m, text);
    assert.doesNotMatch(text, /^\s+FAIL /m, text);
  });
}
