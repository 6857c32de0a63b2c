import assert from "node:assert/strict";
import { IdentityStore } from "./identity_store.ts";
import type { IdentityState } from "./identity.ts";

const A = "127.0.0.1:50051";
const B = "localhost:50051";

function state(clientId: string, seen = 0): IdentityState {
  return { clientId, key: `key-${clientId}`, seen: seen ? { general: seen } : {} };
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("identity store: a new identity goes to its server's folder and the address is hinted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const store = await IdentityStore.open(dir, A, "Luis");
  assert.equal(store.stored, undefined);
  assert.equal(store.path, undefined);
  assert.throws(() => store.save(state("c1")), /no state file is claimed yet/);
  assert.equal(await store.settle(state("c1"), "s1", true), undefined);
  assert.equal(store.path, `${dir}/servers/s1/Luis.json`);
  assert.deepEqual(await readJson(`${dir}/servers/s1/Luis.json`), state("c1"));
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [A]: "s1" });
  assert.deepEqual(await IdentityStore.peek(dir, A, "Luis"), state("c1"), "peek takes no lock");
  assert.equal(await IdentityStore.peek(dir, B, "Luis"), undefined);
  store.release();
  const again = await IdentityStore.open(dir, A, "Luis");
  assert.deepEqual(again.stored, state("c1"));
  again.release();
});

Deno.test("identity store: a fresh identity yields to one stored for the same server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const viaA = await IdentityStore.open(dir, A, "Luis");
  await viaA.settle(state("c1", 2), "s1", true);
  viaA.release();
  // Another address: no hint, so nothing to resume before the server has said who it is.
  const viaB = await IdentityStore.open(dir, B, "Luis");
  assert.equal(viaB.stored, undefined);
  assert.deepEqual(await viaB.settle(state("fresh"), "s1", true), state("c1", 2));
  assert.equal(viaB.path, `${dir}/servers/s1/Luis.json`);
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [A]: "s1" }, "not until resumed");
  // The resume succeeded: settle again with the stored identity, which now stays.
  assert.equal(await viaB.settle(state("c1", 2), "s1", false), undefined);
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [A]: "s1", [B]: "s1" });
  assert.deepEqual([...Deno.readDirSync(`${dir}/servers/s1`)].map((e) => e.name).sort(), [
    "Luis.json",
    "Luis.json.lock",
  ]);
  viaB.release();
});

Deno.test("identity store: a resumed identity never displaces another; it takes an empty slot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const first = await IdentityStore.open(dir, A, "Luis");
  await first.settle(state("c1"), "s1", true);
  first.release();
  // An address-keyed identity of the same server (from before server ids), resumed there.
  await Deno.mkdir(`${dir}/${encodeURIComponent(B)}`);
  await Deno.writeTextFile(
    `${dir}/${encodeURIComponent(B)}/Luis.json`,
    JSON.stringify(state("c2")),
  );
  const legacy = await IdentityStore.open(dir, B, "Luis");
  assert.deepEqual(legacy.stored, state("c2"));
  assert.equal(await legacy.settle(state("c2", 5), "s1", false), undefined);
  assert.equal(legacy.path, `${dir}/servers/s1/Luis.2.json`);
  assert.deepEqual(await readJson(`${dir}/servers/s1/Luis.json`), state("c1"));
  assert.deepEqual(await readJson(`${dir}/servers/s1/Luis.2.json`), state("c2", 5));
  assert.equal(await exists(`${dir}/${encodeURIComponent(B)}/Luis.json`), false, "moved");
  legacy.release();
});

Deno.test("identity store: a stale hint's identity stays with its server; the new one moves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const before = await IdentityStore.open(dir, A, "Luis");
  await before.settle(state("old"), "s1", true);
  before.release();
  const after = await IdentityStore.open(dir, A, "Luis");
  assert.deepEqual(after.stored, state("old"));
  // s2 answers at A now: it refused the old key, the client registered anew.
  assert.equal(await after.settle(state("new"), "s2", true), undefined);
  assert.deepEqual(await readJson(`${dir}/servers/s1/Luis.json`), state("old"));
  assert.deepEqual(await readJson(`${dir}/servers/s2/Luis.json`), state("new"));
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [A]: "s2" });
  after.release();
});

Deno.test("identity store: a server without an id keeps the address-keyed layout and no hint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const modern = await IdentityStore.open(dir, A, "Luis");
  await modern.settle(state("c1"), "s1", true);
  modern.release();
  const old = await IdentityStore.open(dir, A, "Luis");
  assert.equal(await old.settle(state("c2"), "", true), undefined);
  assert.equal(old.path, `${dir}/127.0.0.1%3A50051/Luis.json`);
  assert.deepEqual(await readJson(`${dir}/addresses.json`), {});
  assert.deepEqual(await IdentityStore.peek(dir, A, "Luis"), state("c2"));
  old.release();
  const again = await IdentityStore.open(dir, A, "Luis");
  assert.deepEqual(again.stored, state("c2"));
  again.release();
});

Deno.test("identity store: names and server ids with path characters stay inside the state dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const store = await IdentityStore.open(dir, A, "../../etc/x");
  await store.settle(state("c1"), "..", true);
  assert.equal(store.path, `${dir}/servers/%2E%2E/%2E%2E%2F%2E%2E%2Fetc%2Fx.json`);
  store.release();
  // "Luis.2" is a name of its own, not the second slot of "Luis".
  const luis = await IdentityStore.open(dir, A, "Luis");
  await luis.settle(state("c2"), "s1", true);
  const dotted = await IdentityStore.open(dir, A, "Luis.2");
  assert.equal(dotted.stored, undefined);
  await dotted.settle(state("c3"), "s1", true);
  assert.equal(dotted.path, `${dir}/servers/s1/Luis%2E2.json`);
  luis.release();
  dotted.release();
});

Deno.test("identity store: a torn hint file is no hint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  await Deno.writeTextFile(`${dir}/addresses.json`, "{ torn");
  const store = await IdentityStore.open(dir, A, "Luis");
  assert.equal(store.stored, undefined);
  await store.settle(state("c1"), "s1", true);
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [A]: "s1" });
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["addresses.json", "servers"],
    "no temporary file left",
  );
  store.release();
});

Deno.test("identity store: a state dir that cannot be made fails at open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  await Deno.writeTextFile(`${dir}/file`, "");
  await assert.rejects(IdentityStore.open(`${dir}/file`, A, "Luis"));
});

Deno.test("identity store: with several addresses, every address's hint is consulted; the first hit wins", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const C = "10.0.0.7:50051";
  // Made through A (server s1) and through C (server s2).
  const viaA = await IdentityStore.open(dir, A, "Luis");
  await viaA.settle(state("c1"), "s1", true);
  viaA.release();
  const viaC = await IdentityStore.open(dir, C, "Luis");
  await viaC.settle(state("c2"), "s2", true);
  viaC.release();
  // B has no hint: the list's other addresses find the identity, in the list's order.
  for (
    const [list, expected] of [
      [[B, A], "c1"],
      [[B, C, A], "c2"],
      [[C, A], "c2"],
      [[A, C], "c1"],
    ] as const
  ) {
    const store = await IdentityStore.open(dir, list, "Luis");
    assert.equal(store.stored?.clientId, expected, list.join(","));
    assert.deepEqual(store.addresses, list);
    assert.equal(store.address, list[0]);
    assert.equal((await IdentityStore.peek(dir, list, "Luis"))?.clientId, expected);
    store.release();
  }
  // A slot in use is no hit: the next address's identity is claimed instead.
  const held = await IdentityStore.open(dir, [A], "Luis");
  const other = await IdentityStore.open(dir, [B, A, C], "Luis");
  assert.deepEqual([held.stored?.clientId, other.stored?.clientId], ["c1", "c2"]);
  held.release();
  other.release();
  assert.equal(await IdentityStore.peek(dir, [B], "Luis"), undefined, "B alone knows nothing");
  await assert.rejects(IdentityStore.open(dir, [], "Luis"), /at least one address/);
});

Deno.test("identity store: a Register at another address of the list is hinted for that address", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const store = await IdentityStore.open(dir, [A, B], "Luis");
  await store.settle(state("c1"), "s1", true, B);
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [B]: "s1" });
  // The session moved back to A, another node of the same service: the same file, one more hint.
  assert.equal(await store.settle(state("c1", 3), "s1", false, A), undefined);
  assert.equal(store.path, `${dir}/servers/s1/Luis.json`);
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [B]: "s1", [A]: "s1" });
  assert.deepEqual(await readJson(`${dir}/servers/s1/Luis.json`), state("c1", 3));
  store.release();
});

Deno.test("identity store: two separate servers in one list: each keeps its own identity, resumed when reached again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  const store = await IdentityStore.open(dir, [A, B], "Luis");
  await store.settle(state("c1"), "s1", true, A);
  // A went away; B is another server, which refused c1: a new identity there.
  assert.equal(await store.settle(state("c2"), "s2", true, B), undefined);
  assert.equal(store.path, `${dir}/servers/s2/Luis.json`);
  // Back at A: the identity just made there yields to c1, which the session then resumes.
  assert.deepEqual(await store.settle(state("c3"), "s1", true, A), state("c1"));
  assert.equal(await store.settle(state("c1", 4), "s1", false, A), undefined);
  assert.deepEqual(await readJson(`${dir}/servers/s1/Luis.json`), state("c1", 4));
  assert.deepEqual(await readJson(`${dir}/servers/s2/Luis.json`), state("c2"));
  assert.deepEqual(await readJson(`${dir}/addresses.json`), { [A]: "s1", [B]: "s2" });
  store.release();
});

Deno.test("identity store: the older layout's folder of any address of the list is found, and moved from", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
  await Deno.mkdir(`${dir}/${encodeURIComponent(B)}`);
  await Deno.writeTextFile(
    `${dir}/${encodeURIComponent(B)}/Luis.json`,
    JSON.stringify(state("c9")),
  );
  const store = await IdentityStore.open(dir, [A, B], "Luis");
  assert.deepEqual(store.stored, state("c9"));
  assert.equal(await store.settle(state("c9", 1), "s1", false, A), undefined);
  assert.equal(store.path, `${dir}/servers/s1/Luis.json`);
  assert.equal(await exists(`${dir}/${encodeURIComponent(B)}/Luis.json`), false, "moved");
  store.release();
});
