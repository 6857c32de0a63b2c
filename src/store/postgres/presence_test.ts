/**
 * Who is online on each node: what one node reports, the others count while it is heard from;
 * a node taken for gone is told so, and reports all again. Against a private PostgreSQL cluster;
 * ignored when `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import { postgresTest } from "../../../tests/postgres.ts";
import { openPostgres } from "./mod.ts";
import { fileCluster } from "./testing.ts";

const pg = fileCluster();

postgresTest(
  "postgres presence: each node counts the others' devices, not its own; changes replace counts; a node gone quiet is not counted, is told so when it reports again, and counts once it has told all",
  async () => {
    const url = await pg.database();
    const a = await openPostgres(url, { nodeId: "node-a" });
    const b = await openPostgres(url, { nodeId: "node-b" });
    try {
      assert.equal(await a.presence!.report(new Map([["alice", 1]])), false, "new: not known");
      assert.equal(await b.presence!.report(new Map([["bob", 2], ["~g1", 1]])), false);
      assert.equal(await a.presence!.report(new Map()), true, "heard from lately: known");
      assert.deepEqual([...await a.presence!.elsewhere(["bob", "alice", "~g1"])].sort(), [
        ["bob", 2],
        ["~g1", 1],
      ]);
      assert.deepEqual(await b.presence!.onlineElsewhere(10), ["alice"]);
      await b.presence!.report(new Map([["bob", 1], ["~g1", 0]]));
      assert.deepEqual([...await a.presence!.elsewhere(["bob", "~g1"])], [["bob", 1]]);
      // An outage of two minutes: nobody could say it was alive.
      const cluster = await pg.cluster();
      const database = new URL(url).pathname.slice(1);
      await cluster.psql("UPDATE nodes SET seen_at = now() - interval '2 minutes'", { database });
      assert.deepEqual([...await a.presence!.elsewhere(["bob"])], [], "b is not counted");
      // a reports first and forgets b (gone a minute and more); b is told it was forgotten...
      assert.equal(await a.presence!.report(new Map()), false);
      assert.equal(await b.presence!.report(new Map()), false);
      assert.deepEqual([...await a.presence!.elsewhere(["bob"])], []);
      // ...and reports all again, as the server's reporter does (src/server/cluster/presence.ts).
      assert.equal(await b.presence!.report(new Map([["bob", 1]])), true);
      assert.deepEqual([...await a.presence!.elsewhere(["bob"])], [["bob", 1]]);
      await a.presence!.report(new Map([["alice", 1]]));
      assert.deepEqual([...await b.presence!.elsewhere(["alice"])], [["alice", 1]]);
    } finally {
      await b.close();
    }
    // A node that stops cleanly takes its devices with it.
    assert.deepEqual(await a.presence!.onlineElsewhere(10), []);
    await a.close();
  },
);
