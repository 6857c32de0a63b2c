/**
 * The server is killed with SIGKILL and restarted again and again while
 * clients keep typing. Afterwards every message has reached every other
 * member exactly once, in its sender's order; nothing was stored twice; no
 * client died. The clients are also members of a room made before the loop,
 * into which another device sends (retrying across kills, as a client would)
 * while one more joins and leaves it again and again: the room's messages
 * reach every member exactly once too, and its membership ends as the last
 * change left it.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { type ChatProcess, connectClient, receivedMessages, startServer } from "./harness.ts";
import { eventually, rawClient, register, roomCall, send } from "./grpc.ts";

const CLIENTS = ["Alice", "Bob", "Chad"];
const MESSAGES_EACH = 60;
const TYPE_EVERY_MS = 50;
const KILLS = 8;
const UP_MS = 350;
const ROOM = "crew";
const ROOM_MESSAGES = 40;
const ROOM_EVERY_MS = 100;

/**
 * Whether a call failed because the server went away under it: try again. grpc-js reports a
 * connection that broke while it wrote as INTERNAL (`Received RST_STREAM with code 2 triggered by
 * internal client error: write EPIPE`): that is the client's transport, not the server's answer.
 */
function transient(e: grpc.ServiceError): boolean {
  return e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED ||
    e.code === grpc.status.CANCELLED ||
    (e.code === grpc.status.INTERNAL && /internal client error|EPIPE|ECONNRESET/.test(e.details));
}

/** How often {@link retried} tried again, and how often a refusal meant an earlier attempt took. */
const roomRetries = { transient: 0, settled: 0 };

/**
 * `attempt` until it succeeds, across kills: a transient failure is tried again after 50 ms;
 * `settled` says which refusals mean an earlier attempt took effect (its answer was lost).
 */
async function retried<T>(
  what: string,
  attempt: () => Promise<T>,
  settled: (e: grpc.ServiceError) => boolean = () => false,
): Promise<T | "settled"> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const e = error as grpc.ServiceError;
      if (settled(e)) {
        roomRetries.settled++;
        return "settled";
      }
      if (!transient(e) || Date.now() > deadline) {
        throw new Error(`${what}: ${grpc.status[e.code]}: ${e.details}`);
      }
      roomRetries.transient++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The id and key a client process stored in `stateDir` for `name` on the server `serverId`. */
async function identityOf(
  stateDir: string,
  serverId: string,
  name: string,
): Promise<{ clientId: string; key: string }> {
  const path = `${stateDir}/servers/${serverId}/${name}.json`;
  let identity: { clientId: string; key: string } | undefined;
  await eventually(() => {
    try {
      identity = JSON.parse(Deno.readTextFileSync(path));
    } catch {
      identity = undefined; // Not written yet.
    }
    return typeof identity?.clientId === "string";
  }, `${name}'s identity in ${path}`);
  return identity!;
}

Deno.test("crash loop: SIGKILL and restart the server while clients type; nothing lost or doubled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-crash-" });
  const db = `${dir}/chat.db`;
  let server = await startServer({ db });
  const port = server.port;
  const clients = await Promise.all(
    CLIENTS.map((name) => connectClient({ name, port, stateDir: `${dir}/state` })),
  );
  // The room: made by Owen, joined by every client process's account before anyone types.
  const raw = rawClient(port);
  const owen = await register(raw, "Owen");
  const finn = await register(raw, "Finn");
  await roomCall(raw, owen, "CreateRoom", { name: ROOM });
  for (const name of CLIENTS) {
    const who = await identityOf(`${dir}/state`, owen.serverId, name);
    await roomCall(raw, who, "JoinRoom", { room: ROOM });
  }

  // Every client types at its own pace, whatever the server is doing.
  const typing = clients.map(async ({ proc }, c) => {
    for (let i = 1; i <= MESSAGES_EACH; i++) {
      await proc.type(`${CLIENTS[c]} ${i}`);
      await new Promise((r) => setTimeout(r, TYPE_EVERY_MS));
    }
  });

  // Owen sends to the room at his pace, each message retried with its id until answered.
  const roomSends = (async () => {
    let duplicates = 0;
    for (let i = 1; i <= ROOM_MESSAGES; i++) {
      const id = `crew-${i}`;
      const reply = await retried(`send ${id}`, () => send(raw, owen, `crew ${i}`, id, ROOM));
      if (reply !== "settled" && reply.duplicate) duplicates++;
      await new Promise((r) => setTimeout(r, ROOM_EVERY_MS));
    }
    return duplicates;
  })();
  roomSends.catch(() => {}); // Awaited below; a failure must not go unhandled meanwhile.
  // Finn joins and leaves the room until the kills are over; a change whose answer was lost
  // is refused when tried again (already in, not in), which means it was made.
  let killing = true;
  let finnIn = false;
  let changes = 0;
  const roomChanges = (async () => {
    while (killing) {
      if (finnIn) {
        await retried(
          "leave",
          () => roomCall(raw, finn, "LeaveRoom", { room: ROOM }),
          (e) => e.code === grpc.status.FAILED_PRECONDITION && /not in/.test(e.details),
        );
      } else {
        await retried(
          "join",
          () => roomCall(raw, finn, "JoinRoom", { room: ROOM }),
          (e) => e.code === grpc.status.ALREADY_EXISTS,
        );
      }
      finnIn = !finnIn;
      changes++;
      await new Promise((r) => setTimeout(r, 60));
    }
  })();
  roomChanges.catch(() => {});

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
  killing = false;
  await Promise.all([...typing, roomChanges]);
  const roomDuplicates = await roomSends;

  // Each client receives the other two clients' messages.
  const expected = MESSAGES_EACH * (CLIENTS.length - 1);
  await Promise.all(
    clients.map(({ proc }) => proc.waitForCount(/^\[general\] /, expected, { timeoutMs: 60_000 })),
  );
  await Promise.all(
    clients.map(({ proc }) =>
      proc.waitForCount(new RegExp(`^\\[${ROOM}\\] `), ROOM_MESSAGES, { timeoutMs: 60_000 })
    ),
  );
  // One more message from Alice proves Bob and Chad have read everything before it...
  await clients[0].proc.type("last");
  await clients[1].proc.waitForLine(/: last$/, { timeoutMs: 20_000 });
  await clients[2].proc.waitForLine(/: last$/, { timeoutMs: 20_000 });
  // ...and one from Bob does the same for Alice; one from Owen to the room, for all three.
  await clients[1].proc.type("last");
  await clients[0].proc.waitForLine(/: last$/, { timeoutMs: 20_000 });
  await send(raw, owen, "crew last", "crew-last", ROOM);
  for (const { proc } of clients) {
    await proc.waitForLine(new RegExp(`^\\[${ROOM}\\] .*: crew last$`), { timeoutMs: 20_000 });
  }

  for (const [c, { proc }] of clients.entries()) {
    const inRoom = receivedMessages(proc).filter((m) => m.group === ROOM).map((m) => m.text);
    assert.deepEqual(
      inRoom,
      [...Array.from({ length: ROOM_MESSAGES }, (_, i) => `crew ${i + 1}`), "crew last"],
      `${CLIENTS[c]} got the room's messages once each, in order`,
    );
    const got = receivedMessages(proc).filter((m) => m.group === "general" && m.text !== "last");
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
  // The room too; and its members are the clients, Owen, and Finn as his last change left him.
  const rooms = await roomCall<{ rooms: { name: string; lastSeq: number }[] }>(
    raw,
    owen,
    "ListRooms",
  );
  assert.equal(rooms.rooms.find((r) => r.name === ROOM)?.lastSeq, ROOM_MESSAGES + 1);
  const { members } = await roomCall<{ members: { handle: string }[] }>(
    raw,
    owen,
    "ListMembers",
    { room: ROOM },
  );
  assert.deepEqual(
    members.map((m) => m.handle).sort(),
    ["alice", "bob", "chad", "owen", ...finnIn ? ["finn"] : []].sort(),
    `Finn ${finnIn ? "in" : "out"} after ${changes} changes`,
  );
  raw.close();
  const retries = servers.flatMap((p) => p.stdout).filter((l) =>
    l.includes("(retry, not stored again)")
  );
  console.log(
    `crash loop: ${kills} kills, ${CLIENTS.length} clients, ${
      CLIENTS.length * MESSAGES_EACH
    } messages, ` +
      `${retries.length} sends answered as retries of stored messages; ${ROOM}: ` +
      `${ROOM_MESSAGES} messages (${roomDuplicates} answered as retries), ${changes} joins and leaves; ` +
      `${roomRetries.transient} room calls tried again, ${roomRetries.settled} found already made`,
  );
  for (const { proc } of clients) await proc.stop();
  await server.proc.stop();
});
