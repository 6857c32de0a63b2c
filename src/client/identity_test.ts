import assert from "node:assert/strict";
import { IdentityFile } from "./identity.ts";

const STATE = { clientId: "abc", key: "k", seen: { general: 7 } };

Deno.test("identity: state round-trips and survives a release and re-claim", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const first = await IdentityFile.claimEmpty(dir, "Luis");
  assert.equal(first.path, `${dir}/Luis.json`);
  assert.equal(await first.load(), undefined);
  first.save(STATE);
  first.release();
  const again = await IdentityFile.claimStored(dir, "Luis");
  assert.equal(again?.file.path, first.path);
  assert.deepEqual(again?.state, STATE);
  await again!.file.remove();
  assert.equal(await again!.file.load(), undefined);
  again!.file.release();
});

Deno.test("identity: a second client of the same name takes the next slot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const a = await IdentityFile.claimEmpty(`${dir}/h1`, "Luis");
  const b = await IdentityFile.claimEmpty(`${dir}/h1`, "Luis");
  const other = await IdentityFile.claimEmpty(`${dir}/h2`, "Luis");
  assert.deepEqual([a.slot, b.slot, other.slot], [1, 2, 1]);
  assert.equal(b.path, `${dir}/h1/Luis.2.json`);
  a.release();
  const c = await IdentityFile.claimEmpty(`${dir}/h1`, "Luis");
  assert.equal(c.slot, 1, "a released empty slot is reused");
  for (const file of [b, c, other]) file.release();
});

Deno.test("identity: claimStored takes the first free slot that holds an identity", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  assert.equal(await IdentityFile.claimStored(`${dir}/missing`, "Luis"), undefined);
  await Deno.writeTextFile(`${dir}/Luis.json`, JSON.stringify({ ...STATE, clientId: "one" }));
  await Deno.writeTextFile(`${dir}/Luis.3.json`, JSON.stringify({ ...STATE, clientId: "three" }));
  await Deno.writeTextFile(`${dir}/Luis.03.json`, JSON.stringify(STATE)); // not a slot
  await Deno.writeTextFile(`${dir}/Luisa.json`, JSON.stringify(STATE)); // another name
  const first = await IdentityFile.claimStored(dir, "Luis");
  const second = await IdentityFile.claimStored(dir, "Luis");
  assert.deepEqual([first?.file.slot, first?.state.clientId], [1, "one"]);
  assert.deepEqual([second?.file.slot, second?.state.clientId], [3, "three"]);
  assert.equal(await IdentityFile.claimStored(dir, "Luis"), undefined, "both are held");
  // claimEmpty skips a free slot with an identity in it: that one is someone's to resume.
  second!.file.release();
  const empty = await IdentityFile.claimEmpty(dir, "Luis");
  assert.equal(empty.slot, 2);
  first!.file.release();
  empty.release();
});

Deno.test("identity: an unreadable file means no stored identity", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  await Deno.writeTextFile(`${dir}/Luis.json`, "{ torn");
  assert.equal(await IdentityFile.claimStored(dir, "Luis"), undefined);
  const id = await IdentityFile.claimEmpty(dir, "Luis");
  assert.equal(id.slot, 1, "a torn file's slot is free to overwrite");
  assert.equal(await id.load(), undefined);
  id.release();
});

Deno.test("identity: the last save wins and no temporary file is left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const id = await IdentityFile.claimEmpty(dir, "Luis");
  for (let i = 0; i < 50; i++) id.save({ clientId: "c", key: "k", seen: { general: i } });
  assert.deepEqual(await id.load(), { clientId: "c", key: "k", seen: { general: 49 } });
  await assert.rejects(Deno.stat(`${id.path}.tmp`), Deno.errors.NotFound);
  id.release();
});
