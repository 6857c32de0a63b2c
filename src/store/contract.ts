/**
 * What every storage backend must do, as tests: a backend's test file calls
 * {@link storeContract} with a way to open it, and the server can rely on the
 * same behaviour whichever backend it runs on.
 *
 * @example
 * ```ts ignore
 * import { storeContract } from "../contract.ts";
 * import { openSqlite } from "./mod.ts";
 *
 * storeContract("sqlite, worker writer", (path) => openSqlite(path));
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { MAX_DEVICES_PER_ACCOUNT } from "../shared/limits.ts";
import {
  type Appended,
  type ClientRecord,
  type FrameMessage,
  type NewClient,
  type Proof,
  ProofRefusedError,
  type RoomMemberRecord,
  type RoomRecord,
  type RoomSettings,
  type StoreBackend,
  type StoredMessage,
} from "./types.ts";
import { isPending, tempDatabase, testMessage as m } from "./testing.ts";

/** Opens a backend on a database at `path`, creating it if it does not exist. */
export type OpenBackend = (path: string) => Promise<StoreBackend>;

/** A contract test: the backend it opened, and a way to close it and open the file again. */
type ContractTest = (store: StoreBackend, reopen: () => Promise<StoreBackend>) => Promise<void>;

/** What a commit gave, short enough to compare whole. */
function outcome(results: readonly Appended[]): [string, number, boolean][] {
  return results.map((a) => [a.group, a.message.seq, a.duplicate]);
}

/** A message with its body as plain numbers, to compare whatever array type holds the bytes. */
function plain(message: StoredMessage): Omit<StoredMessage, "body"> & { body: number[] } {
  return { ...message, body: Array.from(message.body) };
}

const luis: NewClient = {
  id: "c1",
  name: "Luis",
  keyHash: new Uint8Array([0, 1, 127, 128, 254, 255]),
  proof: { kind: "guest" },
};
/** {@link luis} as stored: a guest. */
const luisRecord: ClientRecord = { id: "c1", name: "Luis", keyHash: luis.keyHash, account: null };

/** A device `id` named `name` with `proof`. */
function device(id: string, name: string, proof: Proof): NewClient {
  return { id, name, keyHash: new Uint8Array([1, 2, 3]), proof };
}

/** SHA-256 of a code, as the server stores it. */
function codeHash(code: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(code).digest());
}

/** Settings of a room `name` made by `createdBy` at `createdAtMs`: open, whole history. */
function roomSettings(
  name: string,
  createdBy: string,
  createdAtMs = 1000,
  more: Partial<RoomSettings> = {},
): RoomSettings {
  return { name, visibility: "open", history: "all", createdBy, createdAtMs, ...more };
}

/** A member record: `member` (a handle, or `~` and a guest's client id) with `role`. */
function roomMember(
  member: string,
  role: RoomMemberRecord["role"],
  joinedAtMs: number,
  joinedSeq = 0,
): RoomMemberRecord {
  return { member, role, joinedSeq, joinedAtMs };
}

/** When the invites of these tests expire: after every test has ended. */
const LATER = Date.now() + 24 * 3_600_000;

/** Each room of `rooms` as `name: member/role, ... | invited`, to compare whole. */
function roomsBrief(rooms: readonly RoomRecord[]): string[] {
  return rooms.map((r) =>
    `${r.name}: ${r.members.map((m) => `${m.member}/${m.role}`).join(", ")} | ${
      r.invited.map((i) => i.handle).join(", ")
    }`
  );
}

/**
 * Registers the contract's tests, named `store contract (${name}): ...`. Each opens a
 * backend with `open` on a fresh database in a temporary directory, and closes it.
 */
export function storeContract(name: string, open: OpenBackend): void {
  function contractTest(what: string, run: ContractTest): void {
    Deno.test(`store contract (${name}): ${what}`, async () => {
      using db = tempDatabase();
      let current: StoreBackend | undefined = await open(db.path);
      const reopen = async () => {
        const previous = current!;
        current = undefined;
        await previous.close();
        return current = await open(db.path);
      };
      try {
        await run(current, reopen);
      } finally {
        await current?.close();
      }
    });
  }

  contractTest(
    "sequences start at 1 and are gap-free per group, in commit order",
    async ({ reader, writer }) => {
      const first = await writer.commit([
        m("a", "1"),
        m("b", "1"),
        m("a", "2", { group: "other" }),
        m("a", "3"),
      ], []);
      assert.deepEqual(outcome(first), [
        ["general", 1, false],
        ["general", 2, false],
        ["other", 1, false],
        ["general", 3, false],
      ]);
      const second = await writer.commit([m("b", "2", { group: "other" }), m("b", "3")], []);
      assert.deepEqual(outcome(second), [["other", 2, false], ["general", 4, false]]);
      assert.equal(await reader.lastSeq("general"), 4);
      assert.equal(await reader.lastSeq("other"), 2);
      assert.equal(await reader.lastSeq("empty"), 0);
      assert.deepEqual(
        (await reader.readRange("general", 0, 10)).map((x) => [x.seq, x.senderId, x.text]),
        [[1, "a", "1"], [2, "b", "1"], [3, "a", "3"], [4, "b", "3"]],
      );
    },
  );

  contractTest(
    "lastSeqs gives each group's last sequence, 0 for none, in the order asked",
    async ({ reader, writer }) => {
      assert.deepEqual(await reader.lastSeqs([]), []);
      assert.deepEqual(await reader.lastSeqs(["general", "none"]), [0, 0]);
      await writer.commit([
        m("a", "1"),
        m("a", "2", { group: "é界" }),
        m("b", "1"),
        m("b", "2", { group: "ops.2" }),
        m("c", "1"),
      ], []);
      // A group asked twice is answered twice.
      const groups = ["ops.2", "none", "general", "é界", "general"];
      assert.deepEqual(await reader.lastSeqs(groups), [1, 0, 3, 1, 3]);
      assert.deepEqual(
        await reader.lastSeqs(groups),
        await Promise.all(groups.map((group) => reader.lastSeq(group))),
      );
      assert.deepEqual(await reader.lastSeqs([]), []);
    },
  );

  contractTest(
    "a batch is all or nothing: a message that fails takes the others and the cursors with it",
    async ({ reader, writer }) => {
      await writer.commit([m("a", "1")], []);
      // A column the database refuses: the commit fails in the database itself.
      const refused = { ...m("a", "3"), text: null as unknown as string };
      await assert.rejects(writer.commit(
        [m("a", "2"), m("b", "1", { group: "other" }), refused],
        [{ clientId: "a", group: "general", seq: 1 }],
      ));
      assert.equal(await reader.lastSeq("general"), 1);
      assert.equal(await reader.lastSeq("other"), 0);
      assert.equal(await reader.cursor("a", "general"), 0);
      assert.deepEqual((await reader.readRange("general", 0, 10)).map((x) => x.seq), [1]);
      // The sequences the failed batch had taken are given again, and nothing is a retry.
      const next = await writer.commit([m("a", "2"), m("b", "1", { group: "other" })], []);
      assert.deepEqual(outcome(next), [["general", 2, false], ["other", 1, false]]);
      assert.equal(await isPending(writer.failed), true, "a refused commit is no failed writer");
    },
  );

  contractTest(
    "a retry of (sender, group, id) gives the original seq and time and stores nothing",
    async ({ reader, writer }) => {
      const [first] = await writer.commit([m("a", "m1", { text: "hello", sentAtMs: 1000 })], []);
      await writer.commit([m("b", "x")], []);
      const [again] = await writer.commit([m("a", "m1", { text: "edited", sentAtMs: 2000 })], []);
      assert.deepEqual(outcome([first, again]), [["general", 1, false], ["general", 1, true]]);
      assert.equal(again.message.sentAtMs, 1000);
      // A retry within one batch is caught too.
      const twice = await writer.commit([m("c", "dup"), m("c", "dup")], []);
      assert.deepEqual(outcome(twice), [["general", 3, false], ["general", 3, true]]);
      assert.equal(await reader.lastSeq("general"), 3);
      assert.deepEqual((await reader.readRange("general", 0, 10)).map((x) => x.text), [
        "hello",
        "x",
        "dup",
      ]);
    },
  );

  contractTest(
    "the same id in another group, or from another sender, is another message",
    async ({ reader, writer }) => {
      const first = await writer.commit([
        m("a", "m1", { text: "to general" }),
        m("a", "m1", { group: "other", text: "to other" }),
        m("b", "m1", { text: "from b" }),
      ], []);
      assert.deepEqual(outcome(first), [
        ["general", 1, false],
        ["other", 1, false],
        ["general", 2, false],
      ]);
      const later = await writer.commit([
        m("a", "m1", { group: "third" }),
        m("a", "m1", { group: "other" }),
      ], []);
      assert.deepEqual(outcome(later), [["third", 1, false], ["other", 1, true]]);
      assert.deepEqual((await reader.readRange("other", 0, 10)).map((x) => x.text), ["to other"]);
      assert.deepEqual((await reader.readRange("general", 0, 10)).map((x) => x.text), [
        "to general",
        "from b",
      ]);
    },
  );

  contractTest(
    "cursors only move forward, and ride in the commit of messages",
    async ({ reader, writer }) => {
      assert.equal(await reader.cursor("a", "general"), 0);
      await writer.commit(Array.from({ length: 6 }, (_, i) => m("b", `early ${i}`)), []);
      await writer.commit([], [{ clientId: "a", group: "general", seq: 5 }]);
      await writer.commit([], [{ clientId: "a", group: "general", seq: 3 }]);
      assert.equal(await reader.cursor("a", "general"), 5);
      const sent = await writer.commit([m("b", "1"), m("b", "2", { group: "other" })], [
        { clientId: "a", group: "general", seq: 7 },
        { clientId: "a", group: "other", seq: 1 },
      ]);
      assert.deepEqual(outcome(sent), [["general", 7, false], ["other", 1, false]]);
      assert.equal(
        await reader.cursor("a", "general"),
        7,
        "a cursor rides with its group's messages",
      );
      assert.equal(await reader.cursor("a", "other"), 1);
      assert.equal(await reader.cursor("b", "general"), 0);
      // Past the group's end (a room deleted while an ack waited): not stored.
      await writer.commit([], [
        { clientId: "a", group: "general", seq: 8 },
        { clientId: "a", group: "gone", seq: 3 },
      ]);
      assert.equal(await reader.cursor("a", "general"), 7);
      assert.equal(await reader.cursor("a", "gone"), 0);
    },
  );

  contractTest(
    "readRange and readFrameRange give exactly the committed messages, in order",
    async ({ reader, writer }) => {
      const batch = Array.from({ length: 8 }, (_, i) =>
        m(i % 3 ? "b" : "a", `m${i}`, {
          group: i % 4 === 3 ? "other" : "general",
          text: `text ${i}, é界🎉`,
          sentAtMs: 1000 + i,
        }));
      const appended = await writer.commit(batch, []);
      const general = appended.filter((a) => a.group === "general").map((a) => a.message);
      assert.deepEqual(general.map((x) => x.seq), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual((await reader.readRange("general", 0, 10)).map(plain), general.map(plain));
      assert.deepEqual(
        (await reader.readRange("general", 2, 4)).map(plain),
        general.slice(2, 4).map(plain),
      );
      const frame = (x: FrameMessage) => [x.seq, x.senderId, Array.from(x.body)];
      assert.deepEqual(
        (await reader.readFrameRange("general", 1, 5)).map(frame),
        general.slice(1, 5).map(frame),
      );
      assert.deepEqual(
        (await reader.readFrameRange("other", 0, 10)).map((x) => [x.seq, Array.from(x.body)]),
        [[1, Array.from(batch[3].body)], [2, Array.from(batch[7].body)]],
      );
      assert.deepEqual(await reader.readRange("general", 6, 10), []);
      assert.deepEqual(await reader.readFrameRange("general", 6, 10), []);
      assert.deepEqual(await reader.readFrameRange("empty", 0, 10), []);
    },
  );

  contractTest("countUnread leaves out the client's own messages", async ({ reader, writer }) => {
    await writer.commit([
      m("a", "1"),
      m("b", "1"),
      m("b", "2"),
      m("a", "2"),
      m("b", "3", { group: "other" }),
    ], []);
    assert.equal(await reader.countUnread("general", 0, "a"), 2);
    assert.equal(await reader.countUnread("general", 2, "a"), 1);
    assert.equal(await reader.countUnread("general", 0, "b"), 2);
    assert.equal(await reader.countUnread("general", 4, "b"), 0);
    assert.equal(await reader.countUnread("other", 0, "a"), 1);
    assert.equal(await reader.countUnread("empty", 0, "a"), 0);
  });

  contractTest(
    "addClient then client(id) round-trips; a taken id is refused and kept",
    async ({ reader, writer }) => {
      assert.equal(await reader.client(luis.id), undefined);
      assert.deepEqual(await writer.addClient(luis), luisRecord);
      assert.deepEqual(await reader.client(luis.id), luisRecord);
      await assert.rejects(writer.addClient({ ...luis, name: "Other", keyHash: new Uint8Array() }));
      assert.deepEqual(await reader.client(luis.id), luisRecord);
      assert.equal(await reader.client("c2"), undefined);
    },
  );

  contractTest(
    "serverId is 32 hex digits, the same after reopening, another for another database",
    async ({ reader }, reopen) => {
      const id = reader.serverId();
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.equal((await reopen()).reader.serverId(), id);
      using otherDb = tempDatabase();
      const other = await open(otherDb.path);
      try {
        assert.match(other.reader.serverId(), /^[0-9a-f]{32}$/);
        assert.notEqual(other.reader.serverId(), id);
      } finally {
        await other.close();
      }
    },
  );

  contractTest(
    "committed data survives close and reopen, and sequences go on from it",
    async ({ writer }, reopen) => {
      await writer.addClient(luis);
      await writer.commit(
        [m("c1", "1"), m("c1", "2"), m("c1", "3", { group: "other" })],
        [{ clientId: "c1", group: "general", seq: 1 }],
      );
      const { reader, writer: reopened } = await reopen();
      assert.deepEqual(await reader.client(luis.id), luisRecord);
      assert.equal(await reader.lastSeq("general"), 2);
      assert.equal(await reader.lastSeq("other"), 1);
      assert.equal(await reader.cursor("c1", "general"), 1);
      assert.deepEqual((await reader.readRange("general", 0, 10)).map((x) => x.text), ["1", "2"]);
      const next = await reopened.commit([m("c1", "4"), m("c1", "1")], []);
      assert.deepEqual(outcome(next), [["general", 3, false], ["general", 1, true]]);
    },
  );

  contractTest(
    "failed stays pending while the writer works; after close, writes are refused",
    async (store) => {
      await store.writer.commit([m("a", "1")], []);
      await store.writer.addClient(luis);
      assert.equal(await isPending(store.writer.failed), true);
      await store.close();
      await assert.rejects(store.writer.commit([m("a", "2")], []), /closed/);
      await assert.rejects(store.writer.addClient({ ...luis, id: "c2" }), /closed/);
      await store.close(); // a second close is harmless
    },
  );

  contractTest(
    "first use claims a free handle; a later device of that name is a guest",
    async ({ reader, writer }) => {
      const first = await writer.addClient(
        device("d1", "Alice", { kind: "first-use", handle: "alice" }),
      );
      assert.equal(first.account, "alice");
      const second = await writer.addClient(
        device("d2", "alice", { kind: "first-use", handle: "alice" }),
      );
      assert.equal(second.account, null, "the handle was taken: a guest");
      assert.equal((await reader.client("d2"))!.account, null);
      assert.equal(await reader.devicesOf("alice"), 1);
      assert.equal(await reader.guestCount(), 1);
    },
  );

  contractTest(
    "a token's handle is an account however many devices present one, up to the limit",
    async ({ reader, writer }) => {
      for (let i = 0; i < MAX_DEVICES_PER_ACCOUNT; i++) {
        const d = await writer.addClient(device(`t${i}`, "Bo", { kind: "token", handle: "bo" }));
        assert.equal(d.account, "bo");
      }
      await assert.rejects(
        writer.addClient(device("t-extra", "Bo", { kind: "token", handle: "bo" })),
        new ProofRefusedError(
          `the account bo has ${MAX_DEVICES_PER_ACCOUNT} devices, the most it may have; revoke one first`,
        ),
      );
      assert.equal(await reader.client("t-extra"), undefined, "nothing stored for a refused proof");
    },
  );

  contractTest(
    "an invite code claims a handle once; a bad code or a taken handle stores nothing",
    async ({ reader, writer }) => {
      const invite = (id: string, handle: string, code: string): NewClient =>
        device(id, handle, { kind: "invite", handle, codeHash: codeHash(code) });
      const far = Date.now() + 60_000;
      await writer.addCode({
        hash: codeHash("any"),
        kind: "invite",
        handle: null,
        expiresAtMs: far,
      });
      await writer.addCode({
        hash: codeHash("for-cy"),
        kind: "invite",
        handle: "cy",
        expiresAtMs: far,
      });
      await writer.addCode({ hash: codeHash("old"), kind: "invite", handle: null, expiresAtMs: 1 });
      const refused = /the invite code is not valid \(unknown, already used or expired\)/;
      await assert.rejects(writer.addClient(invite("x1", "dee", "nope")), refused);
      await assert.rejects(writer.addClient(invite("x2", "dee", "old")), refused);
      assert.equal((await writer.addClient(invite("d1", "dee", "any"))).account, "dee");
      await assert.rejects(writer.addClient(invite("x3", "eve", "any")), refused, "used once");
      // A code made for cy claims cy, whatever name the device gives.
      assert.equal((await writer.addClient(invite("d2", "Cyrus", "for-cy"))).account, "cy");
      await writer.addCode({
        hash: codeHash("late"),
        kind: "invite",
        handle: "dee",
        expiresAtMs: far,
      });
      await assert.rejects(
        writer.addClient(invite("x4", "dee", "late")),
        new ProofRefusedError("the handle dee is already taken"),
      );
      assert.deepEqual(await Promise.all(["x1", "x2", "x3", "x4"].map((id) => reader.client(id))), [
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      // The refused claim rolled back its code's use: the code still works for a free handle...
      // ...no: it names dee, which stays taken. Release dee, and the same code claims it.
      assert.equal(await writer.releaseHandle("dee"), 1);
      assert.equal(await writer.releaseHandle("dee"), -1, "no such account now");
      assert.equal((await writer.addClient(invite("d3", "dee", "late"))).account, "dee");
    },
  );

  contractTest(
    "a link code adds a device to its account once; an invite code is no link code",
    async ({ reader, writer }) => {
      await writer.addClient(device("a1", "Alice", { kind: "first-use", handle: "alice" }));
      const far = Date.now() + 60_000;
      await writer.addCode({
        hash: codeHash("L1"),
        kind: "link",
        handle: "alice",
        creator: "a1",
        expiresAtMs: far,
      });
      await writer.addCode({
        hash: codeHash("I1"),
        kind: "invite",
        handle: "alice",
        expiresAtMs: far,
      });
      const link = (id: string, code: string) =>
        device(id, "Laptop", { kind: "link", codeHash: codeHash(code) });
      assert.equal((await writer.addClient(link("a2", "L1"))).account, "alice");
      await assert.rejects(writer.addClient(link("a3", "L1")), /link code is not valid/);
      await assert.rejects(writer.addClient(link("a4", "I1")), /link code is not valid/);
      assert.equal(await reader.devicesOf("alice"), 2);
      // A code made by a device that is then revoked grants nothing.
      await writer.addCode({
        hash: codeHash("L2"),
        kind: "link",
        handle: "alice",
        creator: "a2",
        expiresAtMs: far,
      });
      await writer.revokeDevice("a2");
      await assert.rejects(
        writer.addClient(link("a5", "L2")),
        new ProofRefusedError("the device that made this link code is no longer the account's"),
      );
      assert.equal(await reader.client("a5"), undefined);
    },
  );

  contractTest(
    "releasing a handle makes its devices guests and frees it; revoking forgets a device",
    async ({ reader, writer }) => {
      await writer.addClient(device("a1", "Alice", { kind: "first-use", handle: "alice" }));
      await writer.addClient(device("a2", "Alice", { kind: "token", handle: "alice" }));
      assert.equal(await writer.releaseHandle("alice"), 2);
      assert.equal((await reader.client("a1"))!.account, null);
      assert.equal(await reader.devicesOf("alice"), 0);
      const again = await writer.addClient(
        device("a3", "alice", { kind: "first-use", handle: "alice" }),
      );
      assert.equal(again.account, "alice", "claimable again");
      assert.equal(await writer.revokeDevice("a3"), true);
      assert.equal(await writer.revokeDevice("a3"), false);
      assert.equal(await reader.client("a3"), undefined);
    },
  );

  contractTest(
    "changeRoom: create, invite, join and role round-trip through rooms(), also after reopening",
    async ({ reader, writer }, reopen) => {
      assert.deepEqual(await reader.rooms(), []);
      const dev = roomSettings("dev", "alice", 1000, {
        visibility: "invite",
        history: "since-join",
      });
      assert.deepEqual(
        await writer.changeRoom({
          op: "create",
          room: dev,
          owner: roomMember("alice", "owner", 1000),
        }),
        { deleted: false },
      );
      await writer.changeRoom({
        op: "create",
        room: roomSettings("alpha", "bob", 1500),
        owner: roomMember("bob", "owner", 1500),
      });
      // A name taken is refused by the store too, and changes nothing.
      await assert.rejects(writer.changeRoom({
        op: "create",
        room: roomSettings("dev", "chad", 1600),
        owner: roomMember("chad", "owner", 1600),
      }));
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "bob",
        by: "alice",
        expiresAtMs: LATER,
      });
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "chad",
        by: "alice",
        expiresAtMs: LATER,
      });
      // An invite made twice is one invite.
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "bob",
        by: "alice",
        expiresAtMs: LATER,
      });
      assert.deepEqual(roomsBrief(await reader.rooms()), [
        "alpha: bob/owner | ",
        "dev: alice/owner | bob, chad",
      ]);
      // Joining drops the member's invite; a guest is a member by its device.
      await writer.changeRoom({
        op: "join",
        room: "dev",
        member: roomMember("bob", "member", 2000, 7),
      });
      await writer.changeRoom({
        op: "join",
        room: "dev",
        member: roomMember("~g1", "member", 3000, 9),
      });
      // A member who is in already is refused by the store, and nothing changes.
      await assert.rejects(writer.changeRoom({
        op: "join",
        room: "dev",
        member: roomMember("bob", "member", 4000, 10),
      }));
      await writer.changeRoom({ op: "role", room: "dev", member: "bob", role: "admin" });
      const want: RoomRecord[] = [
        {
          ...roomSettings("alpha", "bob", 1500),
          members: [roomMember("bob", "owner", 1500)],
          invited: [],
        },
        {
          ...dev,
          members: [
            roomMember("alice", "owner", 1000),
            roomMember("bob", "admin", 2000, 7),
            roomMember("~g1", "member", 3000, 9),
          ],
          invited: [{ handle: "chad", expiresAtMs: LATER }],
        },
      ];
      assert.deepEqual(await reader.rooms(), want);
      assert.deepEqual(await (await reopen()).reader.rooms(), want);
    },
  );

  contractTest(
    "room(name) is what rooms() gives for that room; undefined for a room unknown or deleted",
    async ({ reader, writer }) => {
      assert.equal(await reader.room("dev"), undefined);
      await writer.changeRoom({
        op: "create",
        room: roomSettings("dev", "alice", 1000, { visibility: "invite", history: "since-join" }),
        owner: roomMember("alice", "owner", 1000),
      });
      await writer.changeRoom({
        op: "create",
        room: roomSettings("alpha", "bob", 1500),
        owner: roomMember("bob", "owner", 1500),
      });
      // Members are listed by when they joined, not by when they were stored.
      await writer.changeRoom({
        op: "join",
        room: "dev",
        member: roomMember("~g1", "member", 3000, 9),
      });
      await writer.changeRoom({
        op: "join",
        room: "dev",
        member: roomMember("bob", "member", 2000, 7),
      });
      await writer.changeRoom({ op: "role", room: "dev", member: "bob", role: "admin" });
      // Invites made one after another, likely within a millisecond, and one that expired.
      for (const handle of ["erin", "chad", "dana"]) {
        await writer.changeRoom({
          op: "invite",
          room: "dev",
          handle,
          by: "alice",
          expiresAtMs: LATER,
        });
      }
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "old",
        by: "alice",
        expiresAtMs: Date.now() - 1,
      });
      const rooms = await reader.rooms();
      assert.deepEqual(rooms.map((r) => r.name), ["alpha", "dev"]);
      assert.deepEqual(rooms[1].members.map((x) => x.member), ["alice", "bob", "~g1"]);
      assert.deepEqual(rooms[1].invited.map((i) => i.handle).sort(), ["chad", "dana", "erin"]);
      for (const room of rooms) assert.deepEqual(await reader.room(room.name), room);
      assert.equal(await reader.room("nowhere"), undefined);
      // The owner last, as the server has it: a room with members keeps an owner.
      for (const member of ["~g1", "bob", "alice"]) {
        await writer.changeRoom({ op: "leave", room: "dev", member });
      }
      assert.equal(await reader.room("dev"), undefined, "deleted with its last member");
      assert.deepEqual(await reader.room("alpha"), rooms[0]);
    },
  );

  contractTest(
    "changeRoom: a room code is used once and for its own room; a refused join stores nothing",
    async ({ reader, writer }) => {
      for (const name of ["priv", "other"]) {
        await writer.changeRoom({
          op: "create",
          room: roomSettings(name, "alice", 1000, { visibility: "invite" }),
          owner: roomMember("alice", "owner", 1000),
        });
      }
      const far = Date.now() + 60_000;
      const roomCode = (code: string, room: string, expiresAtMs = far) =>
        writer.addCode({
          hash: codeHash(code),
          kind: "room",
          handle: room,
          creator: "alice",
          expiresAtMs,
        });
      await roomCode("c1", "priv");
      await roomCode("c2", "priv");
      await roomCode("gone", "priv", 1);
      await writer.addCode({
        hash: codeHash("inv"),
        kind: "invite",
        handle: "priv",
        expiresAtMs: far,
      });
      assert.equal(await reader.roomCodes("priv"), 2, "unused, unexpired room codes only");
      assert.equal(await reader.roomCodes("other"), 0);
      const join = (member: string, room: string, code: string, at: number) =>
        writer.changeRoom({
          op: "join",
          room,
          member: roomMember(member, "member", at),
          codeHash: codeHash(code),
        });
      // Another room's code, an unknown one, an expired one and an account invite are refused.
      await assert.rejects(join("bob", "other", "c1", 2000), ProofRefusedError);
      await assert.rejects(join("bob", "priv", "nope", 2000), ProofRefusedError);
      await assert.rejects(join("bob", "priv", "gone", 2000), ProofRefusedError);
      await assert.rejects(join("bob", "priv", "inv", 2000), ProofRefusedError);
      assert.equal(await reader.roomCodes("priv"), 2, "a refused join used no code");
      assert.deepEqual(roomsBrief(await reader.rooms()), [
        "other: alice/owner | ",
        "priv: alice/owner | ",
      ]);
      // The code refused for the other room still works for its own, once.
      assert.deepEqual(await join("bob", "priv", "c1", 2000), { deleted: false });
      assert.equal(await reader.roomCodes("priv"), 1);
      await assert.rejects(
        join("chad", "priv", "c1", 3000),
        new ProofRefusedError("the room code is not valid (unknown, already used or expired)"),
      );
      assert.deepEqual(roomsBrief(await reader.rooms()), [
        "other: alice/owner | ",
        "priv: alice/owner, bob/member | ",
      ]);
      assert.deepEqual(await join("chad", "priv", "c2", 3000), { deleted: false });
      assert.equal(await reader.roomCodes("priv"), 0);
    },
  );

  contractTest(
    "changeRoom: the last member's leave deletes the room with its messages, cursors, invites and codes; the name starts at sequence 1 again",
    async ({ reader, writer }, reopen) => {
      await writer.changeRoom({
        op: "create",
        room: roomSettings("tmp", "alice", 1000),
        owner: roomMember("alice", "owner", 1000),
      });
      await writer.changeRoom({
        op: "join",
        room: "tmp",
        member: roomMember("bob", "member", 2000),
      });
      await writer.changeRoom({
        op: "invite",
        room: "tmp",
        handle: "chad",
        by: "alice",
        expiresAtMs: LATER,
      });
      await writer.addCode({
        hash: codeHash("t1"),
        kind: "room",
        handle: "tmp",
        creator: "alice",
        expiresAtMs: Date.now() + 60_000,
      });
      await writer.commit(
        [
          m("a", "1", { group: "tmp" }),
          m("b", "2", { group: "tmp" }),
          m("a", "3", { group: "tmp" }),
        ],
        [],
      );
      await writer.commit([m("a", "g1")], [
        { clientId: "a", group: "tmp", seq: 3 },
        { clientId: "b", group: "tmp", seq: 2 },
        { clientId: "a", group: "general", seq: 1 },
      ]);
      assert.deepEqual(await writer.changeRoom({ op: "leave", room: "tmp", member: "bob" }), {
        deleted: false,
      });
      assert.deepEqual(roomsBrief(await reader.rooms()), ["tmp: alice/owner | chad"]);
      assert.equal(await reader.lastSeq("tmp"), 3, "a member's leave keeps the history");
      assert.deepEqual(await writer.changeRoom({ op: "leave", room: "tmp", member: "alice" }), {
        deleted: true,
      });
      assert.deepEqual(await reader.rooms(), []);
      assert.equal(await reader.lastSeq("tmp"), 0);
      assert.deepEqual(await reader.readRange("tmp", 0, 10), []);
      assert.equal(await reader.cursor("a", "tmp"), 0);
      assert.equal(await reader.cursor("b", "tmp"), 0);
      assert.equal(await reader.roomCodes("tmp"), 0);
      // Other groups are untouched.
      assert.equal(await reader.lastSeq("general"), 1);
      assert.equal(await reader.cursor("a", "general"), 1);
      // A room made again under the name starts afresh: sequence 1, no old messages.
      await writer.changeRoom({
        op: "create",
        room: roomSettings("tmp", "chad", 5000),
        owner: roomMember("chad", "owner", 5000),
      });
      const [first] = await writer.commit([m("c", "new", { group: "tmp" })], []);
      assert.deepEqual(outcome([first]), [["tmp", 1, false]]);
      // The old retry key is free too: the same (sender, id) is a new message.
      const [again] = await writer.commit([m("a", "1", { group: "tmp" })], []);
      assert.deepEqual(outcome([again]), [["tmp", 2, false]]);
      const { reader: reopened } = await reopen();
      assert.deepEqual((await reopened.readRange("tmp", 0, 10)).map((x) => [x.seq, x.text]), [
        [1, "new"],
        [2, "1"],
      ]);
      assert.deepEqual(roomsBrief(await reopened.rooms()), ["tmp: chad/owner | "]);
    },
  );

  contractTest(
    "releaseHandle takes the account out of its rooms: an ownerless room goes to its longest-standing admin, else member, that is an account; one with no account left is deleted; its invites go",
    async ({ reader, writer }) => {
      for (const [id, name] of [["a1", "Alice"], ["b1", "Bob"], ["c1", "Chad"]]) {
        await writer.addClient(device(id, name, { kind: "first-use", handle: name.toLowerCase() }));
      }
      const create = (room: string, owner: string, at: number) =>
        writer.changeRoom({
          op: "create",
          room: roomSettings(room, owner, at),
          owner: roomMember(owner, "owner", at),
        });
      const join = (room: string, member: string, role: RoomMemberRecord["role"], at: number) =>
        writer.changeRoom({ op: "join", room, member: roomMember(member, role, at) });
      // r1: alice owns it; bob joined before chad, but chad is an admin.
      await create("r1", "alice", 1000);
      await join("r1", "bob", "member", 2000);
      await join("r1", "chad", "admin", 3000);
      // r5: a guest stood longest, then bob: bob, an account, owns it.
      await create("r5", "alice", 1000);
      await join("r5", "~g1", "member", 1500);
      await join("r5", "bob", "member", 2000);
      // r6: only a guest is left: the room is deleted (rooms are run by accounts).
      await create("r6", "alice", 1000);
      await join("r6", "~g1", "admin", 1500);
      // r2: alice alone.
      await create("r2", "alice", 1000);
      await writer.commit([m("a1", "x", { group: "r2" })], []);
      // r3: bob owns it, alice is a member.
      await create("r3", "bob", 1000);
      await join("r3", "alice", "member", 2000);
      // r4: alice is invited.
      await create("r4", "chad", 1000);
      await writer.changeRoom({
        op: "invite",
        room: "r4",
        handle: "alice",
        by: "chad",
        expiresAtMs: LATER,
      });
      assert.equal(await writer.releaseHandle("alice"), 1);
      assert.deepEqual(roomsBrief(await reader.rooms()), [
        "r1: bob/member, chad/owner | ",
        "r3: bob/owner | ",
        "r4: chad/owner | ",
        "r5: ~g1/member, bob/owner | ",
      ]);
      assert.equal(await reader.lastSeq("r2"), 0, "the emptied room's history went with it");
    },
  );

  contractTest(
    "an invite that expired is not outstanding: it is not listed, and the account may be invited again",
    async ({ reader, writer }) => {
      await writer.changeRoom({
        op: "create",
        room: roomSettings("dev", "alice", 1000, { visibility: "invite" }),
        owner: roomMember("alice", "owner", 1000),
      });
      const past = Date.now() - 1;
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "bob",
        by: "alice",
        expiresAtMs: past,
      });
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "chad",
        by: "alice",
        expiresAtMs: LATER,
      });
      assert.deepEqual((await reader.rooms())[0].invited, [{ handle: "chad", expiresAtMs: LATER }]);
      // An invite outstanding is kept as it is; one that expired is made anew.
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "chad",
        by: "alice",
        expiresAtMs: LATER + 1,
      });
      await writer.changeRoom({
        op: "invite",
        room: "dev",
        handle: "bob",
        by: "alice",
        expiresAtMs: LATER,
      });
      const invited = (await reader.rooms())[0].invited;
      assert.deepEqual(invited.sort((a, b) => a.handle < b.handle ? -1 : 1), [
        { handle: "bob", expiresAtMs: LATER },
        { handle: "chad", expiresAtMs: LATER },
      ]);
    },
  );

  contractTest(
    "revoking a guest device takes it out of its rooms; revoking an account's device does not",
    async ({ reader, writer }) => {
      await writer.addClient(device("a1", "Alice", { kind: "first-use", handle: "alice" }));
      await writer.addClient(device("g1", "Gus", { kind: "guest" }));
      await writer.changeRoom({
        op: "create",
        room: roomSettings("lobby", "alice", 1000),
        owner: roomMember("alice", "owner", 1000),
      });
      await writer.changeRoom({
        op: "join",
        room: "lobby",
        member: roomMember("~g1", "member", 2000),
      });
      // "hall": the guest is its only member (its owner left it to him).
      await writer.changeRoom({
        op: "create",
        room: roomSettings("hall", "alice", 1000),
        owner: roomMember("alice", "owner", 1000),
      });
      await writer.changeRoom({
        op: "join",
        room: "hall",
        member: roomMember("~g1", "owner", 2000),
      });
      await writer.changeRoom({ op: "leave", room: "hall", member: "alice" });
      assert.equal(await writer.revokeDevice("g1"), true);
      assert.deepEqual(roomsBrief(await reader.rooms()), ["lobby: alice/owner | "]);
      assert.equal(await writer.revokeDevice("a1"), true);
      assert.deepEqual(
        roomsBrief(await reader.rooms()),
        ["lobby: alice/owner | "],
        "the account stays",
      );
    },
  );
}
