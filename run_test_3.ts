/**
 * Driver for test case 3 (a room's life): Alice makes an invite-only room,
 * dev, and invites Bob, who joins and reads its history; Alice makes an open
 * room, lobby, which Chad joins by himself; Alice removes Bob from dev, and
 * Bob gets nothing more from it (a later message in general proves he is
 * still reading), cannot send to it and cannot read its history; Doug, an
 * account nobody invited, cannot get into dev.
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

  run.step("Alice makes the invite-only room dev and says hello there");
  await alice.proc.type("/create dev invite");
  await alice.proc.waitForLine(/^\* created dev \(invite only; /, { stream: "stderr" });
  await alice.proc.type("Welcome to dev, the first message");

  run.step("Doug, whom nobody invited, tries to join dev");
  await doug.proc.type("/join dev");
  const dougRefused = await doug.proc.waitForLine(/^\* \/join dev refused: /, {
    stream: "stderr",
  });
  run.check(
    dougRefused ===
      "* /join dev refused: dev is invite-only: you need an invite from an owner or admin",
    `Doug cannot get in: "${dougRefused}"`,
  );

  run.step("Alice invites Bob; Bob is told, joins, and receives dev's history");
  await alice.proc.type("/invite dev bob");
  await alice.proc.waitForLine(/^\* invited @bob to dev$/, { stream: "stderr" });
  await bob.proc.waitForLine(/^\* @alice invited you to dev; type \/join dev$/, {
    stream: "stderr",
  });
  await bob.proc.type("/join dev");
  await bob.proc.waitForLine(/^\* joined dev .*your lines now go to dev$/, { stream: "stderr" });
  await bob.proc.waitForLine(/^\[dev\] .*: Welcome to dev, the first message$/);
  await alice.proc.waitForLine(/^\* @bob joined dev$/, { stream: "stderr" });
  await bob.proc.type("Thanks, Bob in dev");
  await alice.proc.waitForLine(/^\[dev\] .*: Thanks, Bob in dev$/);

  run.step("Alice makes the open room lobby; Chad joins it by himself and writes there");
  await alice.proc.type("/create lobby");
  await alice.proc.waitForLine(/^\* created lobby \(open; /, { stream: "stderr" });
  await chad.proc.type("/rooms");
  const chadRooms = await chad.proc.waitForLine(/^\* rooms you can join: /, { stream: "stderr" });
  run.check(
    /\blobby \(open/.test(chadRooms) && !/\bdev\b/.test(chadRooms),
    `Chad's /rooms offers lobby and not the invite-only dev: "${chadRooms}"`,
  );
  await chad.proc.type("/join lobby");
  await chad.proc.waitForLine(/^\* joined lobby .*your lines now go to lobby$/, {
    stream: "stderr",
  });
  await chad.proc.type("Chad in the lobby");
  await alice.proc.waitForLine(/^\[lobby\] .*: Chad in the lobby$/);

  run.step("Alice removes Bob from dev, then writes there and in general");
  await alice.proc.type("/to dev");
  await alice.proc.type("/kick dev bob");
  await alice.proc.waitForLine(/^\* removed @bob from dev$/, { stream: "stderr" });
  await bob.proc.waitForLine(/^\* you were removed from dev by @alice$/, { stream: "stderr" });
  await alice.proc.type("Bob must not see this");
  await alice.proc.type("/to general");
  await alice.proc.type("Marker in general after the removal");
  await bob.proc.waitForLine(/^\[general\] .*: Marker in general after the removal$/);
  run.step("Bob read general past the removal; dev's message after it never came");

  run.step("Bob tries to write to dev and to read its history");
  await bob.proc.type("Let me back in");
  const bobRefused = await bob.proc.waitForLine(/^\* not sent: /, { stream: "stderr" });
  run.check(
    bobRefused === "* not sent: Bob is not a member of group dev",
    `Bob's send to dev is refused: "${bobRefused}"`,
  );
  await bob.proc.type("/history");
  const bobHistory = await bob.proc.waitForLine(/^\* \/history refused: /, { stream: "stderr" });
  run.check(
    bobHistory === "* /history refused: you are not in dev",
    `Bob cannot read dev's history: "${bobHistory}"`,
  );

  run.step("Alice reads dev's history and asks who is there");
  await alice.proc.type("/to dev");
  await alice.proc.type("/history");
  await alice.proc.waitForLine(/^\* that is the start of dev's history$/, { stream: "stderr" });
  const history = alice.proc.stdout.filter((l) => l.startsWith("[dev history] "));
  run.check(
    history.length === 3 && history[0].endsWith(": Welcome to dev, the first message") &&
      history[1].endsWith(": Thanks, Bob in dev") && history[2].endsWith(": Bob must not see this"),
    `Alice's /history shows dev's 3 messages, oldest first (got ${history.length})`,
  );
  await alice.proc.type("/who dev");
  const who = await alice.proc.waitForLine(/^\* online in dev: /, { stream: "stderr" });
  run.check(
    /@alice \(owner, 1 device\)/.test(who) && !/@bob/.test(who),
    `dev's members online are Alice alone: "${who}"`,
  );

  run.step("Chad sends a closing message in general so every member has provably read to the end");
  await chad.proc.type("/to general");
  await chad.proc.type("Bye from Chad");
  await Promise.all([
    alice.proc.waitForLine(/: Bye from Chad$/),
    bob.proc.waitForLine(/: Bye from Chad$/),
  ]);

  run.checkReceived(alice.proc, [
    { from: bob.id, text: "Thanks, Bob in dev" },
    { from: chad.id, text: "Chad in the lobby" },
    { from: chad.id, text: "Bye from Chad" },
  ]);
  run.checkReceived(bob.proc, [
    { from: alice.id, text: "Welcome to dev, the first message" },
    { from: alice.id, text: "Marker in general after the removal" },
    { from: chad.id, text: "Bye from Chad" },
  ]);
  run.checkReceived(chad.proc, [
    { from: alice.id, text: "Marker in general after the removal" },
  ]);
  run.checkReceived(doug.proc, []);
  run.check(
    !bob.proc.stdout.some((l) => l.includes("Bob must not see this")),
    "Bob never printed dev's message sent after his removal",
  );
  run.check(
    !server.proc.stdout.some((l) => l.includes(`send ${doug.id}`)),
    "nothing from Doug was stored",
  );
}

await DriverRun.main("test 3: a room's life: invite, join, open rooms, removal", scenario);
