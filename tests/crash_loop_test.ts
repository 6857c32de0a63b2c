/**
 * The server is killed with SIGKILL and restarted again and again while
 * clients keep typing. Afterwards every message has reached every other
 * member exactly once, in its sender's order; nothing was stored twice; no
 * client died.
 */
import assert from "node:assert/strict";
import { type ChatProcess, connectClient, receivedMessages, startServer } from "./harness.ts";
import { rawClient, register } from "./grpc.ts";

const CLIENTS = ["Alice", "Bob", "Chad"];
const MESSAGES_EACH = 60;
const TYPE_EVERY_MS = 50;
const KILLS = 8;
const UP_MS = 350;

Deno.test("crash loop: SIGKILL and restart the server while clients type; nothing lost or doubled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-crash-" });
  const db = `${dir}/chat.db`;
  let server = await startServer({ db });
  const port = server.port;
  const clients = await Promise.all(
    CLIENTS.map((name) => connectClient({ name, port, stateDir: `${dir}/state` })),
  );

  // Every client types at its own pace, whatever the server is doing.
  const typing = clients.map(async ({ proc }, c) => {
    for (let i = 1; i <= MESSAGES_EACH; i++) {
      await proc.type(`${CLIENTS[c]} ${i}`);
      await new Promise((r) => setTimeout(r, TYPE_EVERY_MS));
    }
  });

  let kills = 0;
  const servers: ChatProcess[] = [server.proc];
  while (kills < KILLS) {
    await new Promise((r) => setTimeout(r, UP_MS));
    server.proc.kill("SIGKILL");
    assert.equal((await server.proc.status).signal, "SIGKILL");
    kills++;
    server = await startServer({ db, port, label: `server-${kills}` });
    servers.push(server.proc);
  }
  await Promise.all(typing);

  // Each client receives the other two clients' messages.
  const expected = MESSAGES_EACH * (CLIENTS.length - 1);
  await Promise.all(
    clients.map(({ proc }) => proc.waitForCount(/^\[general\] /, expected, { timeoutMs: 60_000 })),
  );
  // One more message from Alice proves Bob and Chad have read everything before it...
  await clients[0].proc.type("last");
  await clients[1].proc.waitForLine(/: last$/, { timeoutMs: 20_000 });
  await clients[2].proc.waitForLine(/: last$/, { timeoutMs: 20_000 });
  // ...and one from Bob does the same for Alice.
  await clients[1].proc.type("last");
  await clients[0].proc.waitForLine(/: last$/, { timeoutMs: 20_000 });

  for (const [c, { proc }] of clients.entries()) {
    const got = receivedMessages(proc).filter((m) => m.text !== "last");
    for (const [s, sender] of clients.entries()) {
      const texts = got.filter((m) => m.from === sender.id).map((m) => m.text);
      const want = s === c
        ? []
        : Array.from({ length: MESSAGES_EACH }, (_, i) => `${CLIENTS[s]} ${i + 1}`);
      assert.deepEqual(
        texts,
        want,
        `${CLIENTS[c]} got ${CLIENTS[s]}'s messages once each, in order`,
      );
    }
    const status = await Promise.race([proc.status, Promise.resolve("running")]);
    assert.equal(status, "running", `${CLIENTS[c]} is still running`);
  }
  // The store holds each typed message once: no retry was stored twice.
  const probe = rawClient(port);
  const info = await register(probe, "Probe");
  assert.equal(info.groups[0].lastSeq, CLIENTS.length * MESSAGES_EACH + 2);
  probe.close();
  const retries = servers.flatMap((p) => p.stdout).filter((l) =>
    l.includes("(retry, not stored again)")
  );
  console.log(
    `crash loop: ${kills} kills, ${CLIENTS.length} clients, ${
      CLIENTS.length * MESSAGES_EACH
    } messages, ` +
      `${retries.length} sends answered as retries of stored messages`,
  );
  for (const { proc } of clients) await proc.stop();
  await server.proc.stop();
});
