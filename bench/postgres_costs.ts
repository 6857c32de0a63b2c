/**
 * A probe of what PostgreSQL costs a node in CPU, in the two places several nodes multiply:
 *
 * - **a group commit** of one message and one cursor through the writer (`PostgresWriter`),
 *   one at a time and four at once, against a bare `SELECT 1` on one connection;
 * - **a notification heard** of another node's commit: another process commits one message at
 *   a time through its writer at 600 commits/s, and this one listens, with a bare `pg` client
 *   (the driver's own cost) and then through `PostgresChanges` (what a node does: the payload
 *   decoded, its messages taken out).
 *
 * CPU is this process's, read from /proc. Results are in BENCHMARKS.md ("Several nodes on
 * PostgreSQL").
 *
 *   deno run -A bench/postgres_costs.ts
 *
 * Needs PostgreSQL's server binaries (tests/postgres.ts starts a private cluster). Linux only.
 *
 * @module
 */
import pg from "pg";
import { clientConfig } from "../src/store/postgres/connect.ts";
import { CHANNEL, openPostgres, PostgresChanges } from "../src/store/postgres/mod.ts";
import type { NewMessage } from "../src/store/types.ts";
import { PostgresCluster } from "../tests/postgres.ts";

const COMMITS = 3_000;
const NOTIFY_RATE = 600;
const NOTIFY_SECONDS = 6;

/** This process's CPU time so far (user + system), in microseconds. */
function cpuUs(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function message(sender: string, id: string): NewMessage {
  const body = new TextEncoder().encode(`a line of chat of a usual length, ${id}`);
  return {
    group: "general",
    senderId: sender,
    senderName: sender,
    clientMsgId: id,
    text: "",
    sentAtMs: Date.now(),
    body,
  };
}

/** `notify URL`: commits one message at a time at NOTIFY_RATE for NOTIFY_SECONDS. */
async function notifier(url: string): Promise<void> {
  const store = await openPostgres(url);
  const start = performance.now();
  for (let n = 0; performance.now() - start < NOTIFY_SECONDS * 1000; n++) {
    await store.writer.commit([message("other", `n${n}-${start}`)], []);
    const wait = start + (n + 1) * 1000 / NOTIFY_RATE - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await store.close();
}

/** CPU per notification while `listen` hears another process's commits. */
async function perNotification(
  url: string,
  listen: (heard: () => void) => Promise<() => Promise<void>>,
): Promise<number> {
  let heard = 0;
  const stop = await listen(() => heard++);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, "notify", url],
  }).spawn();
  // Counted from the first notification: the other process's start is not this one's cost.
  while (heard === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const [cpu0, heard0] = [cpuUs(), heard];
  await child.status;
  const [cpu1, heard1] = [cpuUs(), heard];
  await stop();
  return (cpu1 - cpu0) / (heard1 - heard0);
}

if (Deno.args[0] === "notify") {
  await notifier(Deno.args[1]);
  Deno.exit(0);
}

await using cluster = await PostgresCluster.start();
const url = await cluster.createDatabase();
const store = await openPostgres(url);
for (const [label, writers] of [["one at a time", 1], ["four at once", 4]] as const) {
  const [cpu0, t0] = [cpuUs(), performance.now()];
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < COMMITS / writers; i++) {
      await store.writer.commit([message(`s${w}`, `${label}-${i}`)], [
        { clientId: `s${w}`, group: "general", seq: 1 },
      ]);
    }
  }));
  const [cpu1, t1] = [cpuUs(), performance.now()];
  console.log(
    `group commit of 1 message and 1 cursor, ${label}: ${
      ((cpu1 - cpu0) / COMMITS).toFixed(0)
    } us CPU each, ${(COMMITS / ((t1 - t0) / 1000)).toFixed(0)} commits/s`,
  );
}
await store.close();
{
  const client = new pg.Client(clientConfig(url));
  await client.connect();
  const cpu0 = cpuUs();
  for (let i = 0; i < COMMITS; i++) await client.query("SELECT 1");
  console.log(`SELECT 1 on one connection: ${((cpuUs() - cpu0) / COMMITS).toFixed(0)} us CPU each`);
  await client.end();
}
const bare = await perNotification(url, async (heard) => {
  const client = new pg.Client(clientConfig(url));
  await client.connect();
  client.on("notification", heard);
  await client.query(`LISTEN ${CHANNEL}`);
  return () => client.end();
});
console.log(`a notification heard by a bare pg client: ${bare.toFixed(0)} us CPU each`);
const ours = await perNotification(url, async (heard) => {
  const changes = await PostgresChanges.start(clientConfig(url), "listener");
  changes.subscribe((change) => {
    if (change.kind === "messages" && change.messages?.length === 1) heard();
  });
  return () => changes.close();
});
console.log(
  `a notification heard through PostgresChanges, messages decoded: ${ours.toFixed(0)} us CPU each`,
);
