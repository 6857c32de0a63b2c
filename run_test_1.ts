/**
 * Driver for test case 1 (offline delivery): Alice sends one message while
 * Bob and Chad are offline; they come online 5 s later and each prints it
 * exactly once; Alice is not sent her own message.
 *
 * Spawns the real server and clients (`deno run`, or the binaries named by
 * CHAT_SERVER_BIN / CHAT_CLIENT_BIN), prints what each saw, exits 1 on failure.
 * `CHAT_TLS=tls` (or `mtls`) runs it over TLS (or mutual TLS) with the test
 * certificates; see tests/driver.ts.
 *
 * @module
 */
import { DriverRun } from "./tests/driver.ts";

const OFFLINE_MS = 5_000;

async function scenario(run: DriverRun): Promise<void> {
  const server = await run.startServer();

  run.step("Alice connects and sends one message; Bob and Chad are offline");
  const alice = await run.connect("Alice");
  await alice.proc.type("Hello from Alice");
  await server.proc.waitForLine(new RegExp(`send ${alice.id} -> general #1$`));
  run.step("the server stored it as general #1");

  run.step(`wait ${OFFLINE_MS / 1000} s, then Bob and Chad come online`);
  await new Promise((r) => setTimeout(r, OFFLINE_MS));
  const [bob, chad] = await Promise.all([run.connect("Bob"), run.connect("Chad")]);
  run.check(
    bob.proc.stderr.some((l) => / 1 unread message in general/.test(l)),
    "Bob is told he has 1 unread message",
  );
  run.check(
    chad.proc.stderr.some((l) => / 1 unread message in general/.test(l)),
    "Chad is told he has 1 unread message",
  );
  const line = `[general] ${alice.id}: Hello from Alice`;
  await Promise.all([
    bob.proc.waitForLine(/Hello from Alice/),
    chad.proc.waitForLine(/Hello from Alice/),
  ]);
  run.step("Bob and Chad printed Alice's message");

  // A later message in the same group proves every client has read everything
  // before it (delivery is in sequence order), so the exact counts below are final.
  run.step("Chad sends a closing message so every client has provably read to the end");
  await chad.proc.type("That's all from Chad");
  await Promise.all([
    alice.proc.waitForLine(/That's all from Chad/),
    bob.proc.waitForLine(/That's all from Chad/),
  ]);

  run.checkReceived(bob.proc, [
    { from: alice.id, text: "Hello from Alice" },
    { from: chad.id, text: "That's all from Chad" },
  ]);
  run.checkReceived(chad.proc, [{ from: alice.id, text: "Hello from Alice" }]);
  run.checkReceived(alice.proc, [{ from: chad.id, text: "That's all from Chad" }]);
  run.check(!alice.proc.stdout.includes(line), "Alice was not sent her own message");
}

await DriverRun.main("test 1: a message reaches members who come online later, once", scenario);
