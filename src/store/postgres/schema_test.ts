/**
 * Opening a PostgreSQL database: nodes make the schema of an empty one (together, once),
 * refuse one newer than they know or one that is not grpc-chat's, and say what is wrong with
 * a database they cannot use. Against a private PostgreSQL cluster; ignored when
 * `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import { postgresTest } from "../../../tests/postgres.ts";
import { StoreOpenError } from "../types.ts";
import { openPostgres, SCHEMA_VERSION } from "./mod.ts";
import { fileCluster } from "./testing.ts";

const pg = fileCluster();

/** The database name of `url`. */
const nameOf = (url: string) => new URL(url).pathname.slice(1);

postgresTest(
  "postgres schema: nodes opening an empty database at once make its schema once, and share one server id",
  async () => {
    const url = await pg.database();
    const opened = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => openPostgres(url, { nodeId: `n${i}` })),
    );
    const stores = opened.flatMap((o) => o.status === "fulfilled" ? [o.value] : []);
    try {
      assert.deepEqual(
        opened.map((o) => o.status === "rejected" ? String(o.reason) : o.status),
        Array(4).fill("fulfilled"),
      );
      const ids = new Set(stores.map((s) => s.reader.serverId()));
      assert.equal(ids.size, 1);
      assert.match([...ids][0], /^[0-9a-f]{32}$/);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const cluster = await pg.cluster();
    const database = nameOf(url);
    assert.equal(
      await cluster.psql("SELECT key || '=' || value FROM meta ORDER BY key", { database }),
      `schema_version=${SCHEMA_VERSION}\nserver_id=${stores[0].reader.serverId()}`,
    );
    assert.equal(
      await cluster.psql(
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'",
        { database },
      ),
      "accounts,clients,codes,cursors,groups,messages,meta,nodes,presence,room_invites,room_members,rooms",
    );
  },
);

postgresTest(
  "postgres schema: a database of version 1 (before presence) is upgraded to 2 when a node opens it, its data kept",
  async () => {
    const url = await pg.database();
    const first = await openPostgres(url);
    const serverId = first.reader.serverId();
    await first.writer.addClient({
      id: "c1",
      name: "Luis",
      keyHash: new Uint8Array([1]),
      proof: { kind: "guest" },
    });
    await first.close();
    // As version 1 made it: no presence tables.
    const database = nameOf(url);
    const cluster = await pg.cluster();
    await cluster.psql(
      "DROP TABLE presence; DROP TABLE nodes; UPDATE meta SET value = '1' WHERE key = 'schema_version'",
      { database },
    );
    const upgraded = await openPostgres(url);
    try {
      assert.equal(upgraded.reader.serverId(), serverId);
      assert.equal((await upgraded.reader.client("c1"))?.name, "Luis");
      await upgraded.presence!.report(new Map([["alice", 2]]));
    } finally {
      await upgraded.close();
    }
    assert.equal(
      await cluster.psql("SELECT value FROM meta WHERE key = 'schema_version'", { database }),
      String(SCHEMA_VERSION),
    );
  },
);

postgresTest(
  "postgres schema: a database whose schema is newer than this node knows is refused, naming both versions",
  async () => {
    const url = await pg.database();
    await (await openPostgres(url)).close();
    const newer = SCHEMA_VERSION + 1;
    await (await pg.cluster()).psql(
      `UPDATE meta SET value = '${newer}' WHERE key = 'schema_version'`,
      { database: nameOf(url) },
    );
    await assert.rejects(
      openPostgres(url),
      (error) =>
        error instanceof StoreOpenError &&
        error.message.includes(`has schema version ${newer}, newer than this node knows`) &&
        error.message.includes(`(${SCHEMA_VERSION})`) &&
        error.message.includes("upgrade this node"),
    );
  },
);

postgresTest(
  "postgres schema: a database with tables of the same names that is not grpc-chat's is refused and left alone",
  async () => {
    const url = await pg.database();
    const database = nameOf(url);
    const cluster = await pg.cluster();
    await cluster.psql("CREATE TABLE messages (id int); INSERT INTO messages VALUES (7)", {
      database,
    });
    await assert.rejects(
      openPostgres(url),
      new StoreOpenError(
        `PostgreSQL database ${url} is not a grpc-chat database: it has tables messages but ` +
          "no grpc-chat schema; use an empty database",
      ),
    );
    assert.equal(
      await cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", {
        database,
      }),
      "1",
    );
  },
);

postgresTest(
  "postgres schema: a missing database, a closed port and a URL of another kind are refused with what to do",
  async () => {
    const cluster = await pg.cluster();
    await assert.rejects(
      openPostgres(cluster.urlFor("no_such_db")),
      (error) =>
        error instanceof StoreOpenError &&
        error.message.startsWith(`PostgreSQL database "no_such_db" does not exist`) &&
        error.message.includes("createdb no_such_db"),
    );
    // A port nothing listens on (just freed).
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    await assert.rejects(
      openPostgres(`postgres://chat:secret@127.0.0.1:${port}/chat`),
      new StoreOpenError(
        `cannot connect to PostgreSQL at postgres://chat:***@127.0.0.1:${port}/chat: ` +
          "connection refused (is it running, on that host and port?)",
      ),
    );
    await assert.rejects(openPostgres("chat.db"), StoreOpenError);
    await assert.rejects(openPostgres("mysql://x@y/z"), /is not a PostgreSQL URL/);
  },
);
