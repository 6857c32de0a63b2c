/**
 * Rooms are durable: a real server process is SIGKILLed right after the last
 * room change was answered and started again on the same database; rooms,
 * members, roles, invites, codes and histories are as they were, and the rules
 * still hold on them.
 */
import assert from "node:assert/strict";
import {
  type ChatMessage,
  HistoryVisibility,
  type Member,
  Role,
  type RoomInfo,
  Visibility,
} from "../src/protocol/proto.ts";
import { rawClient, refusal, register, roomCall, type RoomMethod, send } from "./grpc.ts";
import { runToEnd, startServer } from "./harness.ts";

Deno.test("rooms: rooms, members, roles, invites and codes survive a server SIGKILL and restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-rooms-restart-" });
  const db = `${dir}/chat.db`;
  let server = await startServer({ db });
  const port = server.port;
  const client = rawClient(port);
  try {
    const device = async (name: string) => {
      const r = await register(client, name);
      return { clientId: r.clientId, key: r.key };
    };
    type Who = Awaited<ReturnType<typeof device>>;
    const call = <T = Record<string, unknown>>(
      who: Who,
      method: RoomMethod,
      request: Record<string, unknown> = {},
    ) => roomCall<T>(client, who, method, request);
    const refused = (who: Who, method: RoomMethod, request: Record<string, unknown>) =>
      refusal(roomCall(client, who, method, request));
    const alice = await device("Alice");
    const bob = await device("Bob");
    const chad = await device("Chad");
    const dave = await device("Dave");
    const erin = await device("Erin");
    const gus = await device("Gus Guest");

    // keep: invite-only, new members read from joining on. Bob joined at 2 and is an admin,
    // Chad was removed, Dave is invited, a code waits for Erin.
    await call(alice, "CreateRoom", {
      name: "keep",
      visibility: Visibility.INVITE_ONLY,
      history: HistoryVisibility.HISTORY_SINCE_JOIN,
    });
    await send(client, alice, "k1", "k1", "keep");
    await send(client, alice, "k2", "k2", "keep");
    await call(alice, "InviteToRoom", { room: "keep", handle: "bob" });
    await call(bob, "JoinRoom", { room: "keep" });
    await send(client, bob, "k3", "k3", "keep");
    await send(client, alice, "k4", "k4", "keep");
    await call(alice, "SetRole", { room: "keep", handle: "bob", role: Role.ADMIN });
    await call(alice, "InviteToRoom", { room: "keep", handle: "chad" });
    await call(chad, "JoinRoom", { room: "keep" });
    await call(bob, "RemoveMember", { room: "keep", handle: "chad" });
    await call(bob, "InviteToRoom", { room: "keep", handle: "dave" });
    const { code } = await call<{ code: string }>(alice, "InviteToRoom", { room: "keep" });
    // hall: open, with a guest in it; gone: made and left by its only member.
    await call(alice, "CreateRoom", { name: "hall" });
    await call(gus, "JoinRoom", { room: "hall" });
    await call(chad, "JoinRoom", { room: "hall" });
    await send(client, gus, "h1", "h1", "hall");
    await call(alice, "CreateRoom", { name: "gone" });
    await send(client, alice, "lost", "g1", "gone");
    await call(alice, "LeaveRoom", { room: "gone" });
    // The last change answered: Chad leaves hall.
    await call(chad, "LeaveRoom", { room: "hall" });

    const everyone = { alice, bob, chad, dave, erin, gus };
    const snapshot = async () => ({
      rooms: Object.fromEntries(
        await Promise.all(
          Object.entries(everyone).map(async ([name, who]) =>
            [name, (await call<{ rooms: RoomInfo[] }>(who, "ListRooms")).rooms] as const
          ),
        ),
      ) as Record<keyof typeof everyone, RoomInfo[]>,
      keep: (await call<{ members: Member[] }>(alice, "ListMembers", { room: "keep" })).members,
      hall: (await call<{ members: Member[] }>(dave, "ListMembers", { room: "hall" })).members,
      history: {
        alice: await call<{ messages: ChatMessage[] }>(alice, "History", { room: "keep" }),
        bob: await call<{ messages: ChatMessage[] }>(bob, "History", { room: "keep" }),
        gus: await call<{ messages: ChatMessage[] }>(gus, "History", { room: "hall" }),
      },
      bobGroups: (await register(client, "Bob", bob.clientId, bob.key)).groups,
    });
    const before = await snapshot();
    // What was made is as it should be, so that "the same after" means something.
    assert.deepEqual(
      before.keep.map((m) => [m.handle, m.role]),
      [["alice", Role.OWNER], ["bob", Role.ADMIN]],
    );
    assert.deepEqual(before.hall.map((m) => [m.handle || m.name, m.role]), [
      ["alice", Role.OWNER],
      ["Gus Guest", Role.MEMBER],
    ]);
    assert.deepEqual(before.history.alice.messages.map((m) => m.text), ["k1", "k2", "k3", "k4"]);
    assert.deepEqual(before.history.bob.messages.map((m) => m.text), ["k3", "k4"]);
    assert.deepEqual(
      before.rooms.dave.map((r) => `${r.name}:${r.member}:${r.invited}`),
      ["general:true:false", "hall:false:false", "keep:false:true"],
    );
    assert.deepEqual(before.bobGroups.map((g) => [g.name, g.role]), [
      ["general", Role.ROLE_UNSPECIFIED],
      ["keep", Role.ADMIN],
    ]);

    server.proc.kill("SIGKILL");
    assert.equal((await server.proc.status).signal, "SIGKILL");
    server = await startServer({ db, port, label: "server-2" });

    assert.deepEqual(await snapshot(), before, "everything as it was");
    // The rules hold on what was stored. Chad, removed, is out.
    assert.equal(
      (await refusal(send(client, chad, "back?", "c1", "keep"))).code,
      "PERMISSION_DENIED",
    );
    assert.equal((await refused(chad, "History", { room: "keep" })).code, "PERMISSION_DENIED");
    assert.equal((await refused(chad, "JoinRoom", { room: "keep" })).code, "PERMISSION_DENIED");
    // Dave's invite and Erin's code work, the code once; each reads from his joining on.
    const daveIn = await call<{ room: RoomInfo }>(dave, "JoinRoom", { room: "keep" });
    assert.deepEqual([daveIn.room.member, daveIn.room.role, daveIn.room.lastSeq], [
      true,
      Role.MEMBER,
      4,
    ]);
    await call(erin, "JoinRoom", { room: "keep", code });
    const chadWithCode = await refused(chad, "JoinRoom", { room: "keep", code });
    assert.equal(chadWithCode.code, "PERMISSION_DENIED");
    assert.match(chadWithCode.details, /the room code is not valid/);
    await send(client, bob, "k5", "k5", "keep");
    const daveReads = await call<{ messages: ChatMessage[]; more: boolean }>(dave, "History", {
      room: "keep",
    });
    assert.deepEqual([daveReads.messages.map((m) => m.text), daveReads.more], [["k5"], false]);
    // Bob is still an admin (he invites), Alice still the owner (she gives roles); sequences
    // go on from where they were.
    assert.match((await call<{ code: string }>(bob, "InviteToRoom", { room: "keep" })).code, /\S/);
    assert.equal(
      (await refused(bob, "SetRole", { room: "keep", handle: "dave", role: Role.ADMIN })).code,
      "PERMISSION_DENIED",
    );
    await call(alice, "SetRole", { room: "keep", handle: "dave", role: Role.ADMIN });
    assert.equal((await send(client, alice, "k6", "k6", "keep")).seq, 6);
    // The deleted room stayed deleted, and its name is free.
    assert.equal((await refused(dave, "JoinRoom", { room: "gone" })).code, "NOT_FOUND");
    const again = await call<{ room: RoomInfo }>(dave, "CreateRoom", { name: "gone" });
    assert.equal(again.room.lastSeq, 0);
    assert.equal((await send(client, dave, "fresh", "f1", "gone")).seq, 1);
  } finally {
    client.close();
    await server.proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rooms: a server started with -group NAME of a stored room stops at start with one line saying so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-rooms-conflict-" });
  const db = `${dir}/chat.db`;
  const server = await startServer({ db });
  const client = rawClient(server.port);
  try {
    const alice = await register(client, "Alice");
    await roomCall(client, alice, "CreateRoom", { name: "hall" });
  } finally {
    client.close();
    await server.proc.stop();
  }
  const run = await runToEnd("server", [
    "-host",
    "127.0.0.1",
    "-port",
    "0",
    "-db",
    db,
    "-group",
    "hall",
  ]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /^server: the group hall given on the command line is the name of a room its members made; give the group another name$/m,
  );
  await Deno.remove(dir, { recursive: true });
});
