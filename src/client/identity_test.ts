import assert from "node:assert/strict";
import { IdentityFile } from "./identity.ts";

Deno.test("identity: state round-trips and survives a release and re-claim", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const first = await IdentityFile.claim(dir, "127.0.0.1:50051", "Luis");
  assert.equal(await first.load(), undefined);
  first.save({ clientId: "abc", key: "k", seen: { general: 7 } });
  first.release();
  const again = await IdentityFile.claim(dir, "127.0.0.1:50051", "Luis");
  assert.equal(again.path, first.path);
  assert.deepEqual(await again.load(), { clientId: "abc", key: "k", seen: { general: 7 } });
  await again.clear();
  assert.equal(await again.load(), undefined);
  again.release();
});

Deno.test("identity: a second client of the same name takes the next slot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const a = await IdentityFile.claim(dir, "h:1", "Luis");
  const b = await IdentityFile.claim(dir, "h:1", "Luis");
  const other = await IdentityFile.claim(dir, "h:2", "Luis");
  assert.deepEqual([a.slot, b.slot, other.slot], [1, 2, 1]);
  assert.notEqual(a.path, b.path);
  a.release();
  const c = await IdentityFile.claim(dir, "h:1", "Luis");
  assert.equal(c.slot, 1, "a released slot is reused");
  b.release();
  c.release();
  other.release();
});

Deno.test("identity: names with path characters stay inside the state dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const id = await IdentityFile.claim(dir, "h:1", "../../etc/x");
  assert.ok(id.path.startsWith(dir), id.path);
  assert.ok(!id.path.slice(dir.length).includes("/../"), id.path);
  id.release();
});

Deno.test("identity: an unreadable file means no stored identity", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const id = await IdentityFile.claim(dir, "h:1", "Luis");
  await Deno.writeTextFile(id.path, "{ torn");
  assert.equal(await id.load(), undefined);
  id.release();
});

Deno.test("identity: the last save wins and no temporary file is left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-identity-" });
  const id = await IdentityFile.claim(dir, "h:1", "Luis");
  for (let i = 0; i < 50; i++) id.save({ clientId: "c", key: "k", seen: { general: i } });
  assert.deepEqual(await id.load(), { clientId: "c", key: "k", seen: { general: 49 } });
  await assert.rejects(Deno.stat(`${id.path}.tmp`), Deno.errors.NotFound);
  id.release();
});
