/**
 * Probe for issue 14 (several server nodes on one PostgreSQL): the npm drivers `postgres`
 * (porsager) and `pg` (node-postgres) under Deno, measured on the shapes the server would use.
 *
 *     deno run --allow-net=127.0.0.1 --allow-env=CHAT_PG_URL,CHAT_PG_CTL,PG* \
 *       --allow-run=runuser,deno bench/postgres_drivers.ts [--quick] [--seconds=3] \
 *       [--notifies=2000] [--repeats=3] [--only=postgres,pg] [--no-restart]
 *
 * `PG*`: both drivers read PGPASSWORD and other PG variables when they connect, and fail without
 * leave to (see part 4). `CHAT_PG_URL` (default `postgres://chat@127.0.0.1:55432/postgres`) names
 * a server on which the role may create databases: the probe works in a database of its own,
 * `chat_driver_probe`, made afresh and dropped at the end. `CHAT_PG_CTL`, a JSON array, is the
 * pg_ctl command line without its subcommand (default: `runuser -u postgres --
 * /usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pgprobe/data -o "-p 55432 -k /tmp/pgprobe -c
 * listen_addresses=127.0.0.1" -l /tmp/pgprobe/pg.log`); the probe appends `restart -m fast`.
 * `--no-restart` leaves the server running (then `--allow-run=deno` is enough). `--quick`:
 * 1-second throughput cells, 500 notifications, one of each disruption. A full run takes about
 * three minutes, more when a listener stays deaf after a restart (it is watched for up to 60 s).
 *
 * For each driver:
 *  1. commit throughput: batches of 1, 32 and 256 messages over 10 groups, one writer, each batch
 *     one transaction (an `UPDATE groups ... RETURNING last_seq` per group, in name order, then
 *     one INSERT from `unnest` of arrays; prepared statements); messages/s and transaction p50/p99
 *     (BEGIN to COMMIT acknowledged, `synchronous_commit` on). Once awaiting each statement, once
 *     pipelined: postgres sends the UPDATEs together (`Promise.all` inside `sql.begin`); pg with
 *     `pipeline: true` clients sends BEGIN with the UPDATEs and the INSERT with COMMIT.
 *  2. gap-free: 300 concurrent one-message transactions from a pool of 10 to 3 groups, every 17th
 *     rolled back after its INSERT; each group must then hold exactly 1..N, `last_seq` = N, and
 *     the seqs acknowledged must be those rows.
 *  3. LISTEN/NOTIFY: `pg_notify` (NOTIFY with parameters) in a transaction on a pool connection;
 *     latency from sending COMMIT to the listener's callback, one at a time. Then, with the pool
 *     warmed to 10 connections and a sender notifying every 10 ms from it: the listener's backend
 *     terminated, and the server restarted (`--repeats` times each). Does the listener resume by
 *     itself (watched for 10 s, 60 s if it reconnects by design); when does LISTEN take effect
 *     again (as the driver reports it) and when does the first notification sent after the
 *     disruption arrive; is the program told of the drop and of the re-LISTEN; how many committed
 *     notifications did it never see. postgres: `sql.listen`
 *     with its default back-off and with one capped at 1 s; pg: a bare `Client` with `LISTEN`,
 *     and the same in a small reconnecting wrapper (what a program on pg has to write).
 *  4. under Deno: children `deno run` each driver, with `DENO_AUDIT_PERMISSIONS` listing every
 *     permission asked for: import alone, then connect, query, LISTEN/NOTIFY; then the same with
 *     `--allow-env=CHAT_PG_URL` only, with `PG*` added, and with exactly the names asked for; and
 *     whether a program with no 'error' handler survives its backends being terminated. Install
 *     footprint: packages from `deno info --json`, bytes from a child that may read only their
 *     directories in Deno's npm cache.
 *
 * Progress goes to stderr; stdout gets a Markdown table and, last, one JSON line.
 *
 * @module
 */
import type postgresT from "postgres";
import type pgT from "pg";
import { Buffer } from "node:buffer";

type DriverName = "postgres" | "pg";
const DRIVERS: readonly DriverName[] = ["postgres", "pg"];

const DEFAULT_URL = "postgres://chat@127.0.0.1:55432/postgres";
const DEFAULT_PG_CTL = [
  "runuser",
  "-u",
  "postgres",
  "--",
  "/usr/lib/postgresql/15/bin/pg_ctl",
  "-D",
  "/tmp/pgprobe/data",
  "-o",
  "-p 55432 -k /tmp/pgprobe -c listen_addresses=127.0.0.1",
  "-l",
  "/tmp/pgprobe/pg.log",
];
const PROBE_DB = "chat_driver_probe";
const CHANNEL = "chat";
const POOL_SIZE = 10;
const GROUPS = 10;
const BATCH_SIZES = [1, 32, 256] as const;
const BODY_BYTES = 100;
const CONCURRENT_SENDS = 300;
const CONCURRENT_GROUPS = 3;
/** Every 17th of the 300 concurrent sends is rolled back: 18 of them. */
const ROLLBACK_EVERY = 17;
/** How long a disrupted listener is watched for notifications again (bare pg Client). */
const RESUME_TIMEOUT_MS = 10_000;
/** The same for a listener that reconnects by design (postgres, the pg wrapper). */
const RECONNECT_TIMEOUT_MS = 60_000;
const SENDER_PERIOD_MS = 10;

const SCHEMA = `
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS groups;
CREATE TABLE groups (name text PRIMARY KEY, last_seq bigint NOT NULL);
CREATE TABLE messages (
  grp text, seq bigint, client_msg_id text, sender text, body bytea, sent_at bigint,
  PRIMARY KEY (grp, seq), UNIQUE (sender, client_msg_id)
);
INSERT INTO groups SELECT 'g' || i, 0 FROM generate_series(0, ${GROUPS - 1}) i;
`;
const UPDATE_SEQ = "UPDATE groups SET last_seq = last_seq + $1 WHERE name = $2 RETURNING last_seq";
const INSERT_BATCH = "INSERT INTO messages (grp, seq, client_msg_id, sender, body, sent_at) " +
  "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bytea[], " +
  "$6::bigint[])";
const INSERT_ONE = "INSERT INTO messages (grp, seq, client_msg_id, sender, body, sent_at) " +
  "VALUES ($1, $2, $3, $4, $5, $6)";
const NOTIFY = "SELECT pg_notify($1, $2)";

/** One chat message as the server would store it. */
interface Msg {
  grp: string;
  clientMsgId: string;
  sender: string;
  body: Buffer;
  sentAt: number;
}

/** What a listener reports. */
interface ListenEvents {
  onPayload(payload: string): void;
  /** LISTEN is in effect (again): the moment for a catch-up read. */
  onListen(): void;
  /** The driver said the listening connection is gone. */
  onDrop(reason: string): void;
}

/** The operations measured, written as each driver does them best. */
interface Driver {
  readonly name: DriverName;
  /** How it was set up, for the table ("" for the defaults). */
  readonly variant: string;
  /** Runs statements without parameters (simple protocol) and returns the last result's rows. */
  simple(text: string): Promise<Record<string, unknown>[]>;
  /** One group-commit batch in one transaction; the seqs given, in batch order. */
  commitBatch(batch: Msg[], pipelined: boolean): Promise<number[]>;
  /** One message in its own transaction; `rollback` aborts it after its INSERT. */
  sendOne(msg: Msg, rollback: boolean): Promise<number>;
  /** Commits a transaction that notifies; `beforeCommit` runs just before COMMIT is sent. */
  notify(payload: string, beforeCommit?: () => void): Promise<void>;
  /** Listens on CHANNEL; `reconnecting` asks for the wrapper (pg; postgres always reconnects). */
  listen(events: ListenEvents, reconnecting: boolean): Promise<{ close(): Promise<void> }>;
  /** 'error' events outside any call (pg: of idle clients, via the pool, and checked-out ones). */
  readonly stray: string[];
  close(): Promise<void>;
}

/** Thrown inside a transaction to roll it back on purpose. */
class Rollback extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];
const log = (line: string) => console.error(line);

/** The seqs of a batch: each group's messages numbered on from its old last_seq, in order. */
function assignSeqs(batch: Msg[], newLast: Map<string, number>, counts: Map<string, number>) {
  const next = new Map<string, number>();
  for (const [g, n] of counts) next.set(g, newLast.get(g)! - n + 1);
  return batch.map((m) => {
    const s = next.get(m.grp)!;
    next.set(m.grp, s + 1);
    return s;
  });
}

/** Messages per group, groups in name order (every writer locks counter rows in one order). */
function countByGroup(batch: Msg[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of batch) counts.set(m.grp, (counts.get(m.grp) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The batch as column arrays, for `unnest`. */
function columns(batch: Msg[], seqs: number[]) {
  return [
    batch.map((m) => m.grp),
    seqs,
    batch.map((m) => m.clientMsgId),
    batch.map((m) => m.sender),
    batch.map((m) => m.body),
    batch.map((m) => m.sentAt),
  ] as const;
}

/**
 * The `postgres` driver. `cappedBackoff`: reconnect delays of 50 ms doubling up to 1 s instead of
 * its default, (0.5-1) x min(3^n / 100, 20) s, where n counts failed connections of the whole
 * instance (pool and listener share it) since its last successful connect.
 */
async function openPostgres(url: string, cappedBackoff = false): Promise<Driver> {
  const { default: postgres } = await import("postgres");
  const sql: postgresT.Sql = postgres(url, {
    max: POOL_SIZE,
    onnotice: () => {},
    ...(cappedBackoff ? { backoff: (n: number) => Math.min(0.05 * 2 ** n, 1) } : {}),
  });
  const update = (tx: postgresT.TransactionSql, g: string, n: number) =>
    tx`UPDATE groups SET last_seq = last_seq + ${n} WHERE name = ${g} RETURNING last_seq`;
  return {
    name: "postgres",
    variant: cappedBackoff ? "back-off <= 1 s" : "",
    stray: [],
    async simple(text) {
      const results = await sql.unsafe(text).simple();
      const last = Array.isArray(results[0]) || results.length === 0 ? results.at(-1) : results;
      return [...(last ?? [])] as Record<string, unknown>[];
    },
    async commitBatch(batch, pipelined) {
      const counts = countByGroup(batch);
      return await sql.begin(async (tx) => {
        const newLast = new Map<string, number>();
        if (pipelined) {
          const rows = await Promise.all([...counts].map(([g, n]) => update(tx, g, n)));
          [...counts.keys()].forEach((g, i) => newLast.set(g, Number(rows[i][0].last_seq)));
        } else {
          for (const [g, n] of counts) {
            const [r] = await update(tx, g, n);
            newLast.set(g, Number(r.last_seq));
          }
        }
        const seqs = assignSeqs(batch, newLast, counts);
        const [grps, s, ids, senders, bodies, at] = columns(batch, seqs);
        // A plain Buffer[] goes as bytea (its first element's type); sql.array makes it bytea[].
        await tx`INSERT INTO messages (grp, seq, client_msg_id, sender, body, sent_at)
          SELECT * FROM unnest(${grps}::text[], ${s}::bigint[], ${ids}::text[],
            ${senders}::text[], ${tx.array(bodies)}::bytea[], ${at}::bigint[])`;
        return seqs;
      });
    },
    async sendOne(m, rollback) {
      return await sql.begin(async (tx) => {
        const [r] = await update(tx, m.grp, 1);
        const seq = Number(r.last_seq);
        await tx`INSERT INTO messages (grp, seq, client_msg_id, sender, body, sent_at)
          VALUES (${m.grp}, ${seq}, ${m.clientMsgId}, ${m.sender}, ${m.body}, ${m.sentAt})`;
        if (rollback) {
          await sleep(1);
          throw new Rollback();
        }
        return seq;
      });
    },
    async notify(payload, beforeCommit) {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_notify(${CHANNEL}, ${payload})`;
        beforeCommit?.();
      });
    },
    async listen(events) {
      const meta = await sql.listen(CHANNEL, (p) => events.onPayload(p), () => events.onListen());
      return { close: () => meta.unlisten() };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** The `pg` driver: a Pool (and one with `pipeline: true`), Clients for LISTEN. */
async function openPg(url: string): Promise<Driver> {
  const { default: pg } = await import("pg");
  const stray: string[] = [];
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  const pipePool = new pg.Pool({ connectionString: url, max: POOL_SIZE, pipeline: true });
  // The pool's 'error' covers idle clients only: a checked-out client whose socket dies emits
  // 'error' too (even with a query running), and with no listener that ends the process.
  for (const p of [pool, pipePool]) {
    p.on("error", (e) => stray.push(`idle client: ${message(e)}`));
    p.on("connect", (c) => c.on("error", (e) => stray.push(`client: ${message(e)}`)));
  }

  async function inTx<T>(p: pgT.Pool, fn: (c: pgT.PoolClient) => Promise<T>): Promise<T> {
    const c = await p.connect();
    let broken: Error | undefined;
    try {
      await c.query("BEGIN");
      const result = await fn(c);
      await c.query("COMMIT");
      return result;
    } catch (e) {
      await c.query("ROLLBACK").catch((r) => broken = r);
      throw e;
    } finally {
      c.release(broken);
    }
  }
  const update = (c: pgT.PoolClient, g: string, n: number) =>
    c.query<{ last_seq: string }>({ name: "update_seq", text: UPDATE_SEQ, values: [n, g] });
  const insert = (c: pgT.PoolClient, batch: Msg[], seqs: number[]) =>
    c.query({ name: "insert_batch", text: INSERT_BATCH, values: [...columns(batch, seqs)] });

  /** A bare Client: LISTEN once, report 'error'/'end'; nothing more. */
  async function bareListener(events: ListenEvents) {
    const c = new pg.Client({ connectionString: url });
    c.on("error", (e) => events.onDrop(`error: ${message(e)}`));
    c.on("end", () => events.onDrop("end"));
    c.on("notification", (n) => events.onPayload(n.payload ?? ""));
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    events.onListen();
    return c;
  }

  /** What a program on pg has to write: a new Client and LISTEN after each loss, with back-off. */
  async function reconnectingListener(events: ListenEvents) {
    let closed = false;
    let current: pgT.Client | undefined;
    const start = async () => {
      for (let attempt = 0; !closed; attempt++) {
        const c = new pg.Client({ connectionString: url });
        c.on("error", (e) => events.onDrop(`error: ${message(e)}`));
        c.on("notification", (n) => events.onPayload(n.payload ?? ""));
        try {
          await c.connect();
          await c.query(`LISTEN ${CHANNEL}`);
        } catch {
          await c.end().catch(() => {});
          await sleep(Math.min(1000, 50 * 2 ** attempt));
          continue;
        }
        current = c;
        c.once("end", () => !closed && start());
        events.onListen();
        return;
      }
    };
    await start();
    return {
      close: async () => {
        closed = true;
        await current?.end().catch(() => {});
      },
    };
  }

  return {
    name: "pg",
    variant: "",
    stray,
    async simple(text) {
      const r = await pool.query(text) as unknown as pgT.QueryResult | pgT.QueryResult[];
      return (Array.isArray(r) ? r.at(-1)!.rows : r.rows) as Record<string, unknown>[];
    },
    commitBatch(batch, pipelined) {
      const counts = countByGroup(batch);
      if (!pipelined) {
        return inTx(pool, async (c) => {
          const newLast = new Map<string, number>();
          for (const [g, n] of counts) {
            newLast.set(g, Number((await update(c, g, n)).rows[0].last_seq));
          }
          const seqs = assignSeqs(batch, newLast, counts);
          await insert(c, batch, seqs);
          return seqs;
        });
      }
      return (async () => {
        const c = await pipePool.connect();
        let broken: Error | undefined;
        try {
          const [, ...updated] = await Promise.all([
            c.query("BEGIN"),
            ...[...counts].map(([g, n]) => update(c, g, n)),
          ]);
          const newLast = new Map<string, number>();
          [...counts.keys()].forEach((g, i) => newLast.set(g, Number(updated[i].rows[0].last_seq)));
          const seqs = assignSeqs(batch, newLast, counts);
          await Promise.all([insert(c, batch, seqs), c.query("COMMIT")]);
          return seqs;
        } catch (e) {
          await c.query("ROLLBACK").catch((r) => broken = r);
          throw e;
        } finally {
          c.release(broken);
        }
      })();
    },
    sendOne(m, rollback) {
      return inTx(pool, async (c) => {
        const seq = Number((await update(c, m.grp, 1)).rows[0].last_seq);
        await c.query({
          name: "insert_one",
          text: INSERT_ONE,
          values: [m.grp, seq, m.clientMsgId, m.sender, m.body, m.sentAt],
        });
        if (rollback) {
          await sleep(1);
          throw new Rollback();
        }
        return seq;
      });
    },
    async notify(payload, beforeCommit) {
      await inTx(pool, async (c) => {
        await c.query({ name: "notify", text: NOTIFY, values: [CHANNEL, payload] });
        beforeCommit?.();
      });
    },
    async listen(events, reconnecting) {
      if (reconnecting) return await reconnectingListener(events);
      const c = await bareListener(events);
      return { close: () => c.end().catch(() => {}) };
    },
    async close() {
      await Promise.all([pool.end(), pipePool.end()]);
    },
  };
}

function openDriver(name: DriverName, url: string): Promise<Driver> {
  return name === "postgres" ? openPostgres(url) : openPg(url);
}

// ---------------------------------------------------------------------------------------------
// Measurements

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Figures of one batch size and shape. */
interface CommitFigures {
  batch: number;
  pipelined: boolean;
  batches: number;
  msgs_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

let msgCounter = 0;
const BODY = Buffer.alloc(BODY_BYTES, "x");
function newMsg(grp: string): Msg {
  const i = msgCounter++;
  return { grp, clientMsgId: `c${i}`, sender: `u${i % 100}`, body: BODY, sentAt: Date.now() };
}

async function commitThroughput(d: Driver, seconds: number): Promise<CommitFigures[]> {
  const out: CommitFigures[] = [];
  for (const pipelined of [false, true]) {
    for (const size of BATCH_SIZES) {
      const makeBatch = () =>
        Array.from({ length: size }, () => newMsg(`g${Math.floor(Math.random() * GROUPS)}`));
      for (let i = 0; i < 5; i++) await d.commitBatch(makeBatch(), pipelined);
      const times: number[] = [];
      const start = performance.now();
      const end = start + seconds * 1000;
      let msgs = 0;
      while (performance.now() < end) {
        const batch = makeBatch();
        const t0 = performance.now();
        await d.commitBatch(batch, pipelined);
        times.push(performance.now() - t0);
        msgs += size;
      }
      const elapsed = (performance.now() - start) / 1000;
      times.sort((a, b) => a - b);
      const f: CommitFigures = {
        batch: size,
        pipelined,
        batches: times.length,
        msgs_per_s: Math.round(msgs / elapsed),
        p50_ms: round(percentile(times, 50)),
        p99_ms: round(percentile(times, 99)),
      };
      log(
        `  ${d.name} commit batch=${size}${pipelined ? " pipelined" : ""}: ` +
          `${f.msgs_per_s} msgs/s, p50 ${f.p50_ms} ms, p99 ${f.p99_ms} ms (${f.batches} batches)`,
      );
      out.push(f);
    }
  }
  // The rows written must be gap-free too: each group 1..last_seq.
  const [check] = await d.simple(
    "SELECT count(*)::int AS bad FROM (SELECT g.name FROM groups g LEFT JOIN messages m " +
      "ON m.grp = g.name GROUP BY g.name, g.last_seq " +
      "HAVING count(m.seq) <> g.last_seq OR coalesce(max(m.seq), 0) <> g.last_seq) x",
  );
  if (Number(check.bad) !== 0) {
    throw new Error(`commit throughput left gaps in ${check.bad} groups`);
  }
  return out;
}

interface GapFigures {
  pass: boolean;
  committed: number;
  rolled_back: number;
  errors: string[];
  per_group: Record<
    string,
    { n: number; distinct: number; min: number; max: number; last: number }
  >;
  elapsed_ms: number;
}

async function gapFree(d: Driver): Promise<GapFigures> {
  const expected = new Map<string, number[]>();
  const errors: string[] = [];
  let rolledBack = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENT_SENDS }, async (_, i) => {
    const grp = `g${i % CONCURRENT_GROUPS}`;
    const rollback = i % ROLLBACK_EVERY === 0;
    try {
      const seq = await d.sendOne(newMsg(grp), rollback);
      expected.set(grp, [...(expected.get(grp) ?? []), seq]);
    } catch (e) {
      if (e instanceof Rollback && rollback) rolledBack++;
      else errors.push(message(e));
    }
  }));
  const elapsed = performance.now() - start;
  const rows = await d.simple(
    "SELECT m.grp, count(*)::int AS n, count(DISTINCT m.seq)::int AS distinct_n, " +
      "min(m.seq)::int AS min, max(m.seq)::int AS max, g.last_seq::int AS last " +
      "FROM messages m JOIN groups g ON g.name = m.grp " +
      `WHERE m.grp IN (${Array.from({ length: CONCURRENT_GROUPS }, (_, i) => `'g${i}'`)}) ` +
      "GROUP BY m.grp, g.last_seq ORDER BY m.grp",
  );
  const perGroup: GapFigures["per_group"] = {};
  let pass = errors.length === 0 && rows.length === CONCURRENT_GROUPS;
  for (const r of rows) {
    const g = String(r.grp);
    const f = {
      n: Number(r.n),
      distinct: Number(r.distinct_n),
      min: Number(r.min),
      max: Number(r.max),
      last: Number(r.last),
    };
    perGroup[g] = f;
    const acked = (expected.get(g) ?? []).sort((a, b) => a - b);
    const exact = acked.length === f.n && acked.every((s, i) => s === i + 1);
    pass &&= exact && f.min === 1 && f.max === f.n && f.distinct === f.n && f.last === f.n;
  }
  const committed = [...expected.values()].reduce((a, s) => a + s.length, 0);
  pass &&= committed + rolledBack === CONCURRENT_SENDS;
  return {
    pass,
    committed,
    rolled_back: rolledBack,
    errors: errors.slice(0, 5),
    per_group: perGroup,
    elapsed_ms: Math.round(elapsed),
  };
}

interface NotifyFigures {
  count: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

async function notifyLatency(d: Driver, count: number): Promise<NotifyFigures> {
  let waiting: { payload: string; resolve: (t: number) => void } | undefined;
  const listener = await d.listen({
    onPayload(p) {
      if (waiting && p === waiting.payload) waiting.resolve(performance.now());
    },
    onListen() {},
    onDrop() {},
  }, false);
  const lat: number[] = [];
  try {
    for (let i = 0; i < count + 20; i++) {
      const payload = `lat:${i}`;
      let t0 = 0;
      const got = new Promise<number>((resolve, reject) => {
        waiting = { payload, resolve };
        setTimeout(() => reject(new Error(`notification ${payload} not received in 5 s`)), 5000);
      });
      await d.notify(payload, () => t0 = performance.now());
      const t1 = await got;
      if (i >= 20) lat.push(t1 - t0); // the first 20 warm up
    }
  } finally {
    await listener.close();
  }
  lat.sort((a, b) => a - b);
  return {
    count: lat.length,
    p50_ms: round(percentile(lat, 50), 3),
    p99_ms: round(percentile(lat, 99), 3),
    max_ms: round(lat.at(-1)!, 3),
  };
}

/** What happened to one listener across one disruption. */
interface DisruptionFigures {
  driver: DriverName;
  /** The listener: postgres's `listen()` (with its options), pg's bare Client or the wrapper. */
  listener: string;
  disruption: "backend terminated" | "server restarted";
  /** Did a notification sent after the disruption reach it (in 10 s; 60 s if it reconnects)? */
  resumed: boolean;
  /** From the disruption's start to LISTEN in effect again (the driver's onListen), if it said. */
  relisten_ms: number | null;
  /** From the disruption's start to the first notification received that was sent after it. */
  flowing_ms: number | null;
  /** How long the disruption took: until the killed backends were gone, or pg_ctl returned. */
  disruption_ms: number;
  /** What the driver told the program: a drop ('error'/'end'), a re-LISTEN (onlisten). */
  drop_reported: boolean;
  relisten_reported: boolean;
  /** Notifications whose commit was acknowledged but that this listener never received. */
  lost: number;
  /** Notify transactions that failed during the disruption (the sender's pool recovering). */
  sender_errors: number;
  /** Unhandled rejections and uncaught errors meanwhile: each would have ended the process. */
  uncaught: number;
}

/**
 * Listeners on `d` while a sender on `d`'s pool notifies every SENDER_PERIOD_MS; `disrupt` runs
 * once notifications flow. The pool is warmed to POOL_SIZE connections first, as a busy node's is.
 */
async function disruption(
  d: Driver,
  kind: DisruptionFigures["disruption"],
  disrupt: () => Promise<void>,
): Promise<DisruptionFigures[]> {
  const tag = `${kind === "server restarted" ? "r" : "k"}${Date.now()}`;
  const kinds = d.name === "pg"
    ? [
      { label: "Client", wrapped: false, reconnects: false },
      { label: "Client + wrapper", wrapped: true, reconnects: true },
    ]
    : [{ label: `listen()${d.variant ? `, ${d.variant}` : ""}`, wrapped: false, reconnects: true }];
  await Promise.all(
    Array.from({ length: POOL_SIZE }, () => retrying(() => d.simple("SELECT pg_sleep(0.05)"))),
  );
  const sentAt = new Map<number, number>();
  const acked = new Set<number>();
  let senderErrors = 0;
  const states = await Promise.all(kinds.map(async (k) => {
    const s = {
      ...k,
      received: new Map<number, number>(),
      listens: [] as number[],
      drops: [] as number[],
      close: async () => {},
    };
    const l = await retrying(() =>
      d.listen({
        onPayload(p) {
          const [t, n] = p.split(":");
          if (t === tag) s.received.set(Number(n), performance.now());
        },
        onListen: () => s.listens.push(performance.now()),
        onDrop: () => s.drops.push(performance.now()),
      }, k.wrapped)
    );
    s.close = l.close;
    return s;
  }));
  let sending = true;
  const sender = (async () => {
    for (let k = 0; sending; k++) {
      sentAt.set(k, performance.now());
      try {
        await d.notify(`${tag}:${k}`);
        acked.add(k);
      } catch {
        senderErrors++;
      }
      await sleep(SENDER_PERIOD_MS);
    }
  })();
  const until = async (ok: () => boolean, ms: number) => {
    const end = performance.now() + ms;
    while (!ok() && performance.now() < end) await sleep(5);
    return ok();
  };
  const stop = async () => {
    sending = false;
    await sender;
  };
  try {
    if (!await until(() => states.every((s) => s.received.size >= 10), 5000)) {
      throw new Error("listeners received nothing before the disruption");
    }
    const before = states.map((s) => s.listens.length);
    const t0 = performance.now();
    await disrupt();
    const tUp = performance.now();
    /** Receipt times of notifications sent once the disruption was over. */
    const after = (s: (typeof states)[number]) =>
      [...s.received].filter(([k]) => sentAt.get(k)! >= tUp).map(([, t]) => t);
    await until(() => states.every((s) => after(s).length > 0), RESUME_TIMEOUT_MS);
    await until(
      () => states.every((s) => !s.reconnects || after(s).length > 0),
      RECONNECT_TIMEOUT_MS - RESUME_TIMEOUT_MS,
    );
    await sleep(500);
    await stop();
    await sleep(300);
    const out = states.map((s, i): DisruptionFigures => {
      const got = after(s);
      const relistens = s.listens.slice(before[i]);
      return {
        driver: d.name,
        listener: s.label,
        disruption: kind,
        resumed: got.length > 0,
        relisten_ms: relistens.length ? Math.round(relistens[0] - t0) : null,
        flowing_ms: got.length ? Math.round(Math.min(...got) - t0) : null,
        disruption_ms: Math.round(tUp - t0),
        drop_reported: s.drops.length > 0,
        relisten_reported: relistens.length > 0,
        lost: [...acked].filter((k) => !s.received.has(k)).length,
        sender_errors: senderErrors,
        uncaught: 0,
      };
    });
    for (const f of out) {
      log(
        `  ${f.driver} ${f.listener}, ${f.disruption} (${f.disruption_ms} ms): ` +
          `resumed=${f.resumed} re-LISTEN ${f.relisten_ms} ms, flowing ${f.flowing_ms} ms, ` +
          `${f.lost} lost, drop reported=${f.drop_reported}, sender errors ${f.sender_errors}`,
      );
    }
    return out;
  } finally {
    await stop();
    await Promise.all(states.map((s) => s.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// Deno: permissions asked for, install footprint

interface PermissionFigures {
  /** Permissions asked for by `import` alone (beyond a bare child's), kind:value. */
  import: string[];
  /** Asked for when connecting, querying, LISTEN/NOTIFY (beyond import). */
  use: string[];
  /** Does a child work with these flags (besides --allow-net)? The error if not. */
  runs: { flags: string; works: boolean; error: string | null }[];
  /** Does a process with no 'error' handlers survive its backends being terminated? */
  survives_unhandled: { works: boolean; error: string | null };
}

const configPath = () => new URL("../deno.json", import.meta.url).pathname;
const scriptPath = () => new URL(import.meta.url).pathname;

/** Runs this script in a child mode; the permissions it asked for come from Deno's audit log. */
async function child(args: string[], denoFlags: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", "--config", configPath(), ...denoFlags, scriptPath(), ...args],
    env: { ...env, DENO_AUDIT_PERMISSIONS: "/dev/stderr", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const asked = new Set<string>();
  const other: string[] = [];
  for (const line of new TextDecoder().decode(out.stderr).split("\n")) {
    if (line.startsWith('{"v":')) {
      const a = JSON.parse(line) as { permission: string; value: string | null };
      asked.add(a.value === null ? a.permission : `${a.permission}:${a.value}`);
    } else if (line.trim() && !line.trim().startsWith("at ")) other.push(line.trim());
  }
  const error = out.success ? null : other.join(" ").slice(0, 200);
  return { ok: out.success, stdout: new TextDecoder().decode(out.stdout), asked, error };
}

async function permissions(name: DriverName, url: string): Promise<PermissionFigures> {
  const net = `--allow-net=${new URL(url).hostname}`;
  const env = { CHAT_PG_URL: url };
  const use = ["--child=use", `--driver=${name}`];
  // Everything a driver might read is granted here, so that the audit lists all of it.
  const open = [net, "--allow-env", "--allow-sys", "--allow-read"];
  const [bare, imported, used, unhandled] = await Promise.all([
    child(["--child=import", "--driver=none"], open, env),
    child(["--child=import", `--driver=${name}`], open, env),
    child(use, open, env),
    child(["--child=unhandled", `--driver=${name}`], open, env),
  ]);
  for (const c of [bare, imported, used]) {
    if (!c.ok) throw new Error(`permission probe child failed: ${c.error}`);
  }
  const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();
  const mine = new Set(["env:CHAT_PG_URL", ...bare.asked]);
  const asked = minus(used.asked, mine).filter((a) => !a.startsWith("net:"));
  const of = (kind: string) =>
    asked.filter((a) => a.startsWith(`${kind}:`)).map((a) => a.slice(kind.length + 1));
  const exact = [`--allow-env=${["CHAT_PG_URL", ...of("env")].join(",")}`];
  if (of("sys").length) exact.push(`--allow-sys=${of("sys").join(",")}`);
  if (of("read").length) exact.push(`--allow-read=${of("read").join(",")}`);
  const tries = [["--allow-env=CHAT_PG_URL"], ["--allow-env=CHAT_PG_URL,PG*"], exact];
  const runs = await Promise.all(tries.map(async (flags) => {
    const c = await child(use, [net, ...flags], env);
    return { flags: flags.join(" "), works: c.ok, error: c.error };
  }));
  return {
    import: minus(imported.asked, mine),
    use: minus(used.asked, new Set([...mine, ...imported.asked])),
    runs,
    survives_unhandled: { works: unhandled.ok, error: unhandled.error },
  };
}

interface FootprintFigures {
  version: string;
  /** The packages it brings, itself included, name@version. */
  packages: string[];
  bytes: number;
  files: number;
}

async function footprints(): Promise<Record<string, FootprintFigures>> {
  const info = await new Deno.Command("deno", {
    args: ["info", "--json", "--config", configPath(), scriptPath()],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!info.success) throw new Error(new TextDecoder().decode(info.stderr));
  const pkgs = (JSON.parse(new TextDecoder().decode(info.stdout)) as {
    npmPackages: Record<string, { name: string; version: string; dependencies: string[] }>;
  }).npmPackages;
  const dirs = new Map<string, string>();
  const out: Record<string, FootprintFigures> = {};
  for (const root of ["postgres", "pg", "@types/pg"]) {
    const key = Object.keys(pkgs).find((k) => pkgs[k].name === root);
    if (!key) continue;
    const seen = new Set<string>();
    const walk = (k: string) => {
      if (seen.has(k) || !pkgs[k]) return;
      seen.add(k);
      pkgs[k].dependencies.forEach(walk);
    };
    walk(key);
    out[root] = {
      version: pkgs[key].version,
      packages: [...seen].map((k) => `${pkgs[k].name}@${pkgs[k].version}`).sort(),
      bytes: 0,
      files: 0,
    };
    for (const k of seen) {
      dirs.set(k, (pkgs[k] as unknown as { localPath: string }).localPath);
    }
  }
  // Sizes: a child allowed to read those directories and nothing else.
  const paths = [...new Set(dirs.values())];
  const sized = await child(["--child=sizes", ...paths], [`--allow-read=${paths.join(",")}`]);
  if (!sized.ok) throw new Error(`sizes: ${sized.error}`);
  const sizes = JSON.parse(sized.stdout) as Record<string, { bytes: number; files: number }>;
  for (const f of Object.values(out)) {
    for (const p of f.packages) {
      const key = Object.keys(pkgs).find((k) => `${pkgs[k].name}@${pkgs[k].version}` === p)!;
      const s = sizes[dirs.get(key)!];
      f.bytes += s?.bytes ?? 0;
      f.files += s?.files ?? 0;
    }
  }
  return out;
}

/**
 * A driver used as a program would use it without any 'error' handler: a pool connection and a
 * listener, both then terminated from another connection. Exits non-zero if that kills it.
 */
async function unhandledChild(name: DriverName, url: string) {
  const app = `probe-unhandled-${Deno.pid}`;
  const kill = "SELECT count(pg_terminate_backend(pid, 5000))::int AS n FROM pg_stat_activity " +
    `WHERE application_name = '${app}'`;
  if (name === "postgres") {
    const { default: postgres } = await import("postgres");
    const sql = postgres(url, { connection: { application_name: app } });
    const admin = postgres(url, { max: 1 });
    await sql`SELECT 1`;
    await sql.listen(CHANNEL, () => {});
    await admin.unsafe(kill);
    await sleep(500);
    await Promise.all([sql.end({ timeout: 1 }), admin.end({ timeout: 1 })]);
  } else {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url, application_name: app });
    const listener = new pg.Client({ connectionString: url, application_name: app });
    const admin = new pg.Client({ connectionString: url });
    await Promise.all([listener.connect(), admin.connect(), pool.query("SELECT 1")]);
    await listener.query(`LISTEN ${CHANNEL}`);
    await admin.query(kill);
    await sleep(500);
    await Promise.all([pool.end(), admin.end(), listener.end().catch(() => {})]);
  }
  console.log("alive");
}

/** Child modes, run by {@link permissions} and {@link footprints}. */
async function runChild(mode: string, driver: string, rest: string[]) {
  if (mode === "sizes") {
    const sizes: Record<string, { bytes: number; files: number }> = {};
    for (const dir of rest) {
      const s = { bytes: 0, files: 0 };
      const walk = async (p: string) => {
        for await (const e of Deno.readDir(p)) {
          const full = `${p}/${e.name}`;
          if (e.isDirectory) await walk(full);
          else if (e.isFile) {
            s.bytes += (await Deno.stat(full)).size;
            s.files++;
          }
        }
      };
      await walk(dir);
      sizes[dir] = s;
    }
    console.log(JSON.stringify(sizes));
    return;
  }
  if (driver === "none") return;
  const name = driver as DriverName;
  if (mode === "import") {
    await (name === "postgres" ? import("postgres") : import("pg"));
    return;
  }
  const url = Deno.env.get("CHAT_PG_URL") ?? DEFAULT_URL;
  if (mode === "unhandled") return await unhandledChild(name, url);
  const d = await openDriver(name, url);
  await d.simple("SELECT 1");
  let got!: () => void;
  const received = new Promise<void>((r) => got = r);
  const l = await d.listen({ onPayload: () => got(), onListen() {}, onDrop() {} }, false);
  await d.notify("child:1");
  await received;
  await l.close();
  await d.close();
}

// ---------------------------------------------------------------------------------------------
// Main

function flag(name: string): string | undefined {
  const a = Deno.args.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : (a.split("=")[1] ?? "");
}

async function main() {
  const childMode = flag("child");
  if (childMode !== undefined) {
    await runChild(
      childMode,
      flag("driver") ?? "none",
      Deno.args.filter((a) => !a.startsWith("--")),
    );
    return;
  }
  const quick = flag("quick") !== undefined;
  const seconds = Number(flag("seconds") ?? (quick ? 1 : 3));
  const notifies = Number(flag("notifies") ?? (quick ? 500 : 2000));
  const only = (flag("only")?.split(",") ?? DRIVERS) as DriverName[];
  const noRestart = flag("no-restart") !== undefined;
  const repeats = Number(flag("repeats") ?? (quick ? 1 : 3));
  const adminUrl = Deno.env.get("CHAT_PG_URL") ?? DEFAULT_URL;
  const pgCtl = JSON.parse(Deno.env.get("CHAT_PG_CTL") ?? "null") as string[] | null ??
    DEFAULT_PG_CTL;
  const probeUrl = (() => {
    const u = new URL(adminUrl);
    u.pathname = `/${PROBE_DB}`;
    return u.toString();
  })();
  const restartServer = async () => {
    const r = await new Deno.Command(pgCtl[0], {
      args: [...pgCtl.slice(1), "restart", "-m", "fast"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`pg_ctl restart failed: ${new TextDecoder().decode(r.stderr).trim()}`);
    }
  };
  const started = performance.now();
  // A driver's stray rejection or 'error' event would end the probe, possibly with the server
  // stopped mid-restart: count them instead (each would have ended a server process).
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    uncaught.push({ phase, error: `unhandled rejection: ${message(e.reason)}` });
    log(`  ! ${uncaught.at(-1)!.error} (${phase})`);
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    uncaught.push({ phase, error: `uncaught: ${message(e.error)}` });
    log(`  ! ${uncaught.at(-1)!.error} (${phase})`);
  });

  // The probe's database, made afresh with whichever driver comes first.
  const admin = await openDriver(only[0], adminUrl);
  const [{ version: server }] = await admin.simple("SELECT version()");
  await admin.simple(`DROP DATABASE IF EXISTS ${PROBE_DB} WITH (FORCE)`);
  await admin.simple(`CREATE DATABASE ${PROBE_DB}`);
  await admin.close();
  log(`server: ${server}`);

  const summary: Record<string, unknown> = {
    probe: "postgres_drivers",
    deno: Deno.version.deno,
    server: String(server).split(" on ")[0],
    seconds_per_cell: seconds,
  };
  const results: Partial<Record<DriverName, DriverResults>> = {};
  const disruptions: DisruptionFigures[] = [];
  try {
    for (const name of only) {
      log(`${name}:`);
      phase = name;
      const d = await openDriver(name, probeUrl);
      let commit: CommitFigures[], gap: GapFigures, notify: NotifyFigures;
      try {
        await d.simple(SCHEMA);
        commit = await commitThroughput(d, seconds);
        await d.simple(SCHEMA);
        gap = await gapFree(d);
        log(
          `  ${name} gap-free: ${gap.pass ? "pass" : "FAIL"} (${gap.committed} committed, ` +
            `${gap.rolled_back} rolled back, ${gap.elapsed_ms} ms)`,
        );
        notify = await notifyLatency(d, notifies);
        log(`  ${name} notify latency: p50 ${notify.p50_ms} ms, p99 ${notify.p99_ms} ms`);
      } finally {
        await d.close();
      }
      // Disruptions, each set on an instance of its own (postgres also with a capped back-off).
      const stray: Record<string, number> = {};
      const variants = name === "postgres" ? [false, true] : [false];
      for (const capped of variants) {
        const di = name === "postgres"
          ? await openPostgres(probeUrl, capped)
          : await openPg(probeUrl);
        try {
          const run = async (kind: DisruptionFigures["disruption"], f: () => Promise<void>) => {
            phase = `${name}${di.variant ? ` (${di.variant})` : ""}, ${kind}`;
            const before = uncaught.length;
            const figures = await disruption(di, kind, f);
            await sleep(200);
            for (const x of figures) x.uncaught = uncaught.length - before;
            disruptions.push(...figures);
          };
          for (let i = 0; i < repeats; i++) {
            await run("backend terminated", () => killListeners(di));
            if (!noRestart) await run("server restarted", restartServer);
          }
          for (const e of di.stray) {
            const kind = e.split(":")[0];
            stray[kind] = (stray[kind] ?? 0) + 1;
          }
        } finally {
          await di.close();
        }
      }
      phase = "children";
      const perms = await permissions(name, probeUrl);
      log(`  ${name} permissions: ${JSON.stringify(perms)}`);
      results[name] = { commit, gap_free: gap, notify, stray_errors: stray, permissions: perms };
    }
    const fp = await footprints();
    for (const name of only) results[name]!.footprint = fp[name];
    summary.types_pg = fp["@types/pg"];
  } finally {
    const admin2 = await openDriver(only[0], adminUrl);
    await admin2.simple(`DROP DATABASE IF EXISTS ${PROBE_DB} WITH (FORCE)`)
      .catch((e) => log(`drop: ${message(e)}`));
    await admin2.close();
  }
  summary.drivers = results;
  summary.disruptions = disruptions;
  summary.uncaught = uncaught;
  summary.retried = retried;
  printTable(only, results, disruptions, notifies);
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  console.log(JSON.stringify(summary));
}

/** What the probe is doing, for {@link uncaught}. */
let phase = "start";
/** Unhandled rejections and uncaught errors, with the phase they came in. */
const uncaught: { phase: string; error: string }[] = [];

/** Queries of the probe's own that failed after a disruption and were tried again. */
const retried: { phase: string; error: string }[] = [];

/** Runs `f`, again (up to 5 times, 100 ms apart) if it fails: for the probe's own queries. */
async function retrying<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (attempt === 5) throw e;
      retried.push({ phase, error: message(e) });
      log(`  (retrying after: ${message(e)})`);
      await sleep(100);
    }
  }
}

/** Terminates the backends that last ran LISTEN, and waits until they are gone. */
async function killListeners(d: Driver) {
  const [{ pids }] = await retrying(() =>
    d.simple(
      "SELECT string_agg(pid::text, ',') AS pids, bool_and(pg_terminate_backend(pid)) AS ok " +
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() " +
        "AND query ILIKE 'listen%'",
    )
  );
  if (!pids) throw new Error("no listening backend to terminate");
  const alive = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid IN (${pids})`;
  while (Number((await d.simple(alive))[0].n) > 0) await sleep(2);
}

/** Everything measured of one driver but the disruptions. */
interface DriverResults {
  commit: CommitFigures[];
  gap_free: GapFigures;
  notify: NotifyFigures;
  /** 'error' events during the disruptions (pg: idle clients via the pool, checked-out clients). */
  stray_errors: Record<string, number>;
  permissions: PermissionFigures;
  footprint?: FootprintFigures;
}

function printTable(
  only: DriverName[],
  results: Partial<Record<DriverName, DriverResults>>,
  disruptions: DisruptionFigures[],
  notifies: number,
) {
  const rows: string[][] = [];
  const add = (measure: string, f: (r: DriverResults) => string) =>
    rows.push([measure, ...only.map((n) => f(results[n]!))]);
  for (const pipelined of [false, true]) {
    for (const size of BATCH_SIZES) {
      add(
        `commit, batch of ${size}${pipelined ? ", UPDATEs pipelined" : ""}: msgs/s (p50 / p99 ms)`,
        (r) => {
          const c = r.commit.find((x) => x.batch === size && x.pipelined === pipelined)!;
          return `${c.msgs_per_s.toLocaleString("en")} (${c.p50_ms} / ${c.p99_ms})`;
        },
      );
    }
  }
  add(`gap-free: ${CONCURRENT_SENDS} sends, pool of ${POOL_SIZE}, 3 groups`, (r) => {
    const g = r.gap_free;
    return `${g.pass ? "pass" : "FAIL"}: ${g.committed} + ${g.rolled_back} rolled back, ` +
      `${g.elapsed_ms} ms`;
  });
  add(`NOTIFY, COMMIT sent to callback, p50 / p99 / max ms (${notifies})`, (r) => {
    const n = r.notify;
    return `${n.p50_ms} / ${n.p99_ms} / ${n.max_ms}`;
  });
  const groups = new Map<string, DisruptionFigures[]>();
  for (const f of disruptions) {
    const key = `${f.driver}\t${f.disruption}: ${f.listener}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const [key, fs] of groups) {
    const [driver, label] = key.split("\t");
    const list = (xs: (number | null)[]) => xs.map((x) => x ?? "never").join(", ");
    const text = `resumed ${fs.filter((f) => f.resumed).length}/${fs.length}; ` +
      `re-LISTEN ${list(fs.map((f) => f.relisten_ms))} ms; ` +
      `flowing ${list(fs.map((f) => f.flowing_ms))} ms; lost ${list(fs.map((f) => f.lost))}; ` +
      `drop reported: ${fs.some((f) => f.drop_reported) ? "yes" : "no"}, ` +
      `re-LISTEN reported: ${fs.some((f) => f.relisten_reported) ? "yes" : "no"}; ` +
      `process-ending errors ${list(fs.map((f) => f.uncaught))}`;
    rows.push([
      `${label} (${list(fs.map((f) => f.disruption_ms))} ms)`,
      ...only.map((n) => n === driver ? text : ""),
    ]);
  }
  /** Events of `n`'s phases, counted, each kind once with its phase. */
  const events = (list: { phase: string; error: string }[], n: DriverName) => {
    const mine = list.filter((u) =>
      u.phase === n || /^[ ,(]/.test(u.phase.slice(n.length)) &&
        u.phase.startsWith(n)
    );
    const kinds = [...new Set(mine.map((u) => `${u.error} (${u.phase})`))];
    return mine.length ? `${mine.length}: ${kinds.join("; ")}` : "0";
  };
  rows.push([
    "process-ending errors in the run (unhandled rejections, uncaught 'error')",
    ...only.map((n) => events(uncaught, n)),
  ]);
  rows.push([
    "probe's own queries that failed after a disruption (then retried)",
    ...only.map((n) => events(retried, n)),
  ]);
  add("permissions asked at import", (r) => r.permissions.import.join(", ") || "none");
  add("asked in use (connect, query, LISTEN)", (r) => r.permissions.use.join(", ") || "none");
  for (let i = 0; i < 3; i++) {
    const flags = only.map((n) => results[n]!.permissions.runs[i].flags);
    add(
      `works with --allow-net and ${i === 2 ? "exactly what it asked for" : flags[0]}`,
      (r) => {
        const run = r.permissions.runs[i];
        return (run.works ? "yes" : `no: ${run.error}`) + (i === 2 ? ` (${run.flags})` : "");
      },
    );
  }
  add("survives its backends terminated with no 'error' handler", (r) => {
    const u = r.permissions.survives_unhandled;
    return u.works ? "yes" : `no: ${u.error}`;
  });
  add("install: packages, files, KiB", (r) => {
    const f = r.footprint;
    return f ? `${f.packages.length}, ${f.files}, ${Math.round(f.bytes / 1024)}` : "?";
  });
  console.log(`| measure | ${only.join(" | ")} |\n| --- |${" --- |".repeat(only.length)}`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(e);
    Deno.exit(1);
  }
}
