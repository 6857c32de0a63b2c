/**
 * Driver for test case 2 (live delivery and membership): with Alice, Bob and
 * Chad online, Bob sends and Alice and Chad print it once (Bob is not sent
 * it); Alice sends and Bob and Chad print it once; Doug, not a member,
 * connects, receives nothing, and his send is refused saying he is not a member.
 * Then Doug starts another client under Alice's name: it is a guest,
 * not the account alice, receives nothing and cannot send.
 *
 * Spawns the real server and clients (`deno run`, or the binaries named by
 * CHAT_SERVER_BIN / CHAT_CLIENT_BIN), prints what each saw, exits 1 on failure.
 *
 * @module
 */
import { DriverRun } from "./tests/driver.ts";

async function scenario(run: DriverRun): Promise<void> {
  const server = await run.startServer();

  run.step("Alice, Bob, Chad and Doug connect");
  const [alice, bob, chad, doug] = await Promise.all(
    ["Alice", "Bob", "Chad", "Doug"].map((name) => run.connect(name)),
  );
  await server.proc.waitForCount(/ subscribe /, 4);
  run.check(
    doug.proc.stderr.some((l) => /not a member of general/.test(l)),
    "Doug is told on connect that he is not a member of general",
  );

  run.step("Bob sends a message");
  await bob.proc.type("Hi everyone, Bob here");
  await Promise.all([alice.proc.waitForLine(/Bob here/), chad.proc.waitForLine(/Bob here/)]);
  run.step("Alice and Chad printed it");

  run.step("Alice sends a message");
  await alice.proc.type("Hello Bob, Alice here");
  await Promise.all([bob.proc.waitForLine(/Alice here/), chad.proc.waitForLine(/Alice here/)]);
  run.step("Bob and Chad printed it");

  run.step("Doug sends a message");
  await doug.proc.type("Can I join? Doug here");
  const refusal = await doug.proc.waitForLine(/^\* not sent: /, { stream: "stderr" });
  run.check(
    refusal === "* not sent: Doug is not a member of group general",
    `Doug's send is refused, naming no member: "${refusal}"`,
  );

  run.step("Doug tries to pass for Alice: he starts another client named Alice");
  const impostor = await run.connect("Alice");
  await server.proc.waitForCount(/ subscribe /, 5);
  run.check(
    alice.id.startsWith("@alice Alice#") && impostor.id.startsWith("~Alice#"),
    `Alice is the account (${alice.id}); the impostor is a guest (${impostor.id})`,
  );
  run.check(
    impostor.proc.stderr.some((l) =>
      /not a member of general/.test(l) && /a guest, admitted to open groups only/.test(l)
    ),
    "the impostor is told it is a guest and not a member of general",
  );
  await impostor.proc.type("It's me, Alice, really");
  const impostorRefusal = await impostor.proc.waitForLine(/^\* not sent: /, { stream: "stderr" });
  run.check(
    impostorRefusal ===
      "* not sent: Alice is not a member of group general (this device is a guest: its name proves no account)",
    `the impostor's send is refused, naming no member: "${impostorRefusal}"`,
  );

  run.step("Chad sends a closing message so every client has provably read to the end");
  await chad.proc.type("Bye from Chad");
  await Promise.all([
    alice.proc.waitForLine(/Bye from Chad/),
    bob.proc.waitForLine(/Bye from Chad/),
  ]);

  run.checkReceived(alice.proc, [
    { from: bob.id, text: "Hi everyone, Bob here" },
    { from: chad.id, text: "Bye from Chad" },
  ]);
  run.checkReceived(bob.proc, [
    { from: alice.id, text: "Hello Bob, Alice here" },
    { from: chad.id, text: "Bye from Chad" },
  ]);
  run.checkReceived(chad.proc, [
    { from: bob.id, text: "Hi everyone, Bob here" },
    { from: alice.id, text: "Hello Bob, Alice here" },
  ]);
  run.checkReceived(doug.proc, []);
  run.checkReceived(impostor.proc, []);
  run.check(
    !server.proc.stdout.some((l) => l.includes(`send ${doug.id}`)),
    "nothing from Doug was stored",
  );
  run.check(
    !server.proc.stdout.some((l) => l.includes(`send ${impostor.id}`)),
    "nothing from the impostor was stored",
  );
}

await DriverRun.main("test 2: live delivery to members only, sender excluded", scenario);
