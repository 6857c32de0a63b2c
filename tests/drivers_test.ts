/**
 * Runs the driver programs as a user would (`deno run run_test_N.ts`), so
 * `deno task test` covers every driver program (the two assignment test cases and a room's
 * life), over plain TCP and over
 * mutual TLS (`CHAT_TLS=mtls`: the server's certificate checked by IP address,
 * and every client showing one).
 */
import assert from "node:assert/strict";

for (const driver of ["run_test_1.ts", "run_test_2.ts", "run_test_3.ts"]) {
  for (const tls of ["0", "mtls"]) {
    const transport = tls === "0" ? "plain TCP" : "mutual TLS";
    Deno.test(`driver: ${driver} passes over ${transport}`, async () => {
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
        // Set either way, so a CHAT_TLS in the environment of the tests changes nothing.
        env: { NO_COLOR: "1", CHAT_TLS: tls },
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, text);
      assert.match(text, /: PASSED$/m, text);
      assert.doesNotMatch(text, /^\s+FAIL /m, text);
      if (tls === "mtls") {
        assert.match(text, /^== .*\[over mutual TLS \(clients show certificates\)\]: PASSED$/m);
        assert.match(text, /^\s+PASS the server listens with mutual TLS/m, text);
      }
    });
  }
}
