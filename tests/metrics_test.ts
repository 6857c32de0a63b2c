/**
 * The metrics an operator scrapes: `-metrics ADDR:PORT` serves Prometheus text that a strict
 * parser accepts, whose counters move by exactly the messages a test sends and whose labels
 * name no client; the SIGUSR2 line reads the same registry; flag errors; and the live view
 * (`deno task metrics`), run against a server with its output piped, and its arithmetic.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  formatLine,
  formatTable,
  parseSamples,
  quantile,
  summarize,
} from "../tools/metrics_view.ts";
import { encodeBody } from "../src/protocol/body.ts";
import { Fanout } from "../src/server/delivery/fanout.ts";
import { GroupFeed } from "../src/server/delivery/feed.ts";
import { Subscription } from "../src/server/delivery/subscription.ts";
import { SqliteReader, SqliteStore } from "../src/store/sqlite/mod.ts";
import {
  eventually,
  openSubscription,
  Publisher,
  rawClient,
  refusal,
  register,
  send,
} from "./grpc.ts";
import {
  ChatProcess,
  runToEnd,
  serverMetrics,
  type ServerProcess,
  startServer,
  statsLine,
} from "./harness.ts";

/** One metric family of a Prometheus text page. */
interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  /** Its samples: series name, labels, value. */
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)$/;

/**
 * Parses the Prometheus text format (version 0.0.4) strictly: every line is a HELP, a TYPE,
 * a sample `name{labels} value` or empty; a family's HELP and TYPE come once, before its
 * samples; a sample belongs to a declared family (a histogram's `_bucket`, `_sum`, `_count`);
 * no series appears twice.
 *
 * @throws {Error} naming the line that breaks a rule.
 */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const fail = (n: number, line: string, why: string): never => {
    throw new Error(`line ${n + 1}: ${why}: ${JSON.stringify(line)}`);
  };
  const lines = text.split("\n");
  assert.equal(lines.at(-1), "", "the page ends with a newline");
  lines.forEach((line, n) => {
    if (line === "") return;
    const meta = line.match(/^# (HELP|TYPE) (\S+) (.*)$/);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) fail(n, line, "bad metric name");
      const family = families.get(name) ??
        { help: "", type: "" as Family["type"], samples: [] };
      if (family.samples.length > 0) fail(n, line, `${kind} after the samples`);
      if (kind === "HELP") {
        if (family.help !== "") fail(n, line, "a second HELP");
        if (rest.trim() === "") fail(n, line, "empty HELP");
        family.help = rest;
      } else {
        if (family.type !== ("" as Family["type"])) fail(n, line, "a second TYPE");
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest)) fail(n, line, "bad TYPE");
        family.type = rest as Family["type"];
      }
      families.set(name, family);
      return;
    }
    if (line.startsWith("#")) fail(n, line, "a comment that is neither HELP nor TYPE");
    const sample = line.match(/^([^{\s]+)(?:\{(.*)\})? (\S+)$/);
    if (!sample) fail(n, line, "not `name{labels} value`");
    const [, name, labelText = "", value] = sample!;
    if (!NAME.test(name)) fail(n, line, "bad metric name");
    if (!VALUE.test(value)) fail(n, line, "bad value");
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const m = LABEL.exec(labelText);
      if (!m) fail(n, line, "bad labels");
      if (m![1] in labels) fail(n, line, "a label twice");
      labels[m![1]] = m![2];
    }
    const base = name.replace(/_(bucket|sum|count)$/, "");
    const family = families.get(name) ?? families.get(base);
    if (!family) fail(n, line, "a sample of an undeclared metric");
    if (!family!.help || !family!.type) fail(n, line, "a sample before its HELP and TYPE");
    if (families.get(name) === undefined && family!.type !== "histogram") {
      fail(n, line, "a _bucket, _sum or _count of a metric that is not a histogram");
    }
    if (name.endsWith("_bucket") && !("le" in labels)) fail(n, line, "a bucket without le");
    const series = `${name}{${Object.entries(labels).sort().join(";")}}`;
    if (seen.has(series)) fail(n, line, "a series twice");
    seen.add(series);
    family!.samples.push({ name, labels, value: Number(value) });
  });
  for (const [name, family] of families) {
    assert.ok(family.help && family.type, `${name} has both HELP and TYPE`);
    if (family.type === "counter") assert.match(name, /_total$/, `counter ${name} ends in _total`);
    if (family.type === "histogram") checkHistogram(name, family);
  }
  return families;
}

/** A histogram's buckets are cumulative, end with +Inf, and +Inf equals `_count`. */
function checkHistogram(name: string, family: Family): void {
  const buckets = family.samples.filter((s) => s.name === `${name}_bucket`);
  const count = family.samples.find((s) => s.name === `${name}_count`)?.value;
  assert.ok(buckets.length > 1 && count !== undefined, `${name} has buckets and a count`);
  assert.equal(buckets.at(-1)!.labels.le, "+Inf", `${name}'s last bucket is +Inf`);
  assert.equal(buckets.at(-1)!.value, count, `${name}'s +Inf bucket is its count`);
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i].value >= buckets[i - 1].value, `${name}'s buckets are cumulative`);
    if (i < buckets.length - 1) {
      assert.ok(Number(buckets[i].labels.le) > Number(buckets[i - 1].labels.le));
    }
  }
}

/** The value of one series (0 when the family has no such series). */
function sample(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(name) ?? families.get(base);
  assert.ok(family, `${name} is served`);
  const found = family!.samples.find((s) =>
    s.name === name && Object.keys(labels).every((k) => s.labels[k] === labels[k]) &&
    Object.keys(s.labels).length === Object.keys(labels).length
  );
  return found?.value ?? 0;
}

/** The metrics URL a server started with `-metrics` printed in its listening line. */
function metricsUrl(server: ServerProcess): string {
  const line = server.proc.stdout.find((l) => l.includes("listening on"))!;
  const url = line.match(/, metrics at (http:\/\/\S+\/metrics)$/)?.[1];
  assert.ok(url, `the listening line names the metrics URL: ${line}`);
  return url!;
}

async function scrape(url: string): Promise<{ families: Map<string, Family>; type: string }> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const text = await response.text();
  return { families: parsePrometheus(text), type: response.headers.get("content-type") ?? "" };
}

Deno.test("metrics: /metrics is strict Prometheus text whose counters move by exactly the messages sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-metrics-" });
  const server = await startServer({
    db: `${dir}/chat.db`,
    members: ["alice", "bob", "chad"],
    extra: ["-metrics", "127.0.0.1:0"],
  });
  const client = rawClient(server.port);
  const streams: { cancel(): void }[] = [];
  try {
    const url = metricsUrl(server);
    const [alice, bob, chad] = [
      await register(client, "Alice"),
      await register(client, "Bob"),
      await register(client, "Chad"),
    ];
    // Her name, but the handle is Alice's: a guest, refused in the closed group.
    const impostor = await register(client, "Alice");
    assert.equal(impostor.handle, "", "the second Alice is a guest");
    const ids = [alice, bob, chad, impostor].map((r) => r.clientId);
    const names = ["Alice", "Bob", "Chad"];

    const before = await scrape(url);
    assert.equal(before.type, "text/plain; version=0.0.4; charset=utf-8");
    const b = before.families;

    // Three messages while no one reads: the first reader is sent them from the store.
    for (const n of [1, 2, 3]) await send(client, alice, `early ${n}`);
    const received = new Map<string, number>();
    const subscribe = async (who: typeof alice) => {
      const call = await openSubscription(client, who);
      streams.push(call);
      received.set(who.clientId, 0);
      call.on("data", (d: { messages: unknown[] }) => {
        received.set(who.clientId, received.get(who.clientId)! + d.messages.length);
      });
      call.on("error", () => {});
    };
    await subscribe(bob);
    await until(() => received.get(bob.clientId) === 3, "Bob got the early messages");
    await subscribe(chad);
    await subscribe(alice);
    await until(() => received.get(chad.clientId) === 3, "Chad got the early messages");

    // Five more on a Publish stream, the last one sent twice (a retry, stored once).
    const publisher = new Publisher(client, alice);
    const open = await scrape(url);
    let last = "";
    for (const n of [1, 2, 3, 4, 5]) {
      last = crypto.randomUUID();
      assert.equal((await publisher.send(`live ${n}`, last)).code, 0);
    }
    const retry = await publisher.send("live 5", last);
    assert.ok(retry.duplicate, "the retry is answered as a duplicate");
    publisher.close();
    await until(
      () => received.get(bob.clientId) === 8 && received.get(chad.clientId) === 8,
      "Bob and Chad got the live messages",
    );
    assert.equal(received.get(alice.clientId), 0, "Alice is sent none of her own");
    const denied = await refusal(send(client, impostor, "let me in"));
    assert.equal(denied.code, "PERMISSION_DENIED");

    const after = await scrape(url);
    const a = after.families;
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sample(a, name, labels) - sample(b, name, labels);
    assert.equal(moved("chat_messages_stored_total"), 8, "8 messages stored, the retry not");
    assert.equal(moved("chat_sends_committed_total"), 9, "9 sends committed, the retry too");
    assert.equal(moved("chat_deliveries_total"), 3 + 3 + 2 * 5, "each message once per reader");
    assert.equal(moved("chat_catchup_messages_total"), 3 + 3, "the early ones, from the store");
    assert.equal(
      moved("chat_delivery_writes_total"),
      2 * (1 + 5),
      "Bob and Chad: the early ones in one write, then a write per live message; Alice none",
    );
    assert.equal(moved("chat_refusals_total", { code: "PERMISSION_DENIED" }), 1);
    assert.equal(moved("chat_send_ack_seconds_count"), 9, "every answered send is observed");
    assert.ok(moved("chat_send_ack_seconds_sum") > 0);
    assert.equal(moved("chat_commit_batch_messages_sum"), 9, "messages per commit add up");
    assert.equal(
      sample(a, "chat_commit_batch_messages_count"),
      sample(a, "chat_commits_total"),
      "one batch size per commit",
    );
    assert.equal(
      sample(a, "chat_commit_duration_seconds_count"),
      sample(a, "chat_commits_total"),
      "one commit time per commit",
    );
    assert.equal(sample(a, "chat_sends_in_flight"), 0);
    assert.equal(sample(open.families, "chat_open_streams", { kind: "publish" }), 1);
    assert.equal(sample(open.families, "chat_open_streams", { kind: "subscribe" }), 3);
    assert.equal(sample(a, "chat_open_streams", { kind: "publish" }), 0, "the publisher left");
    assert.equal(sample(a, "chat_clients_online", { kind: "account" }), 3);
    assert.equal(sample(a, "chat_clients_online", { kind: "guest" }), 0);
    assert.equal(sample(a, "chat_accounts_online"), 3);
    assert.equal(sample(a, "chat_guests_registered"), 1);
    assert.ok(sample(a, "process_resident_memory_bytes") > 10e6);
    assert.ok(sample(a, "process_cpu_seconds_total") > 0);
    assert.ok(sample(a, "nodejs_heap_size_used_bytes") > 1e6);

    // Bounded labels: each label name from a fixed set, and no value a client chose or is.
    const allowed = new Set(["code", "kind", "le", "space"]);
    for (const [name, family] of a) {
      for (const s of family.samples) {
        for (const [label, value] of Object.entries(s.labels)) {
          assert.ok(allowed.has(label), `${name} has label ${label}`);
          for (const id of [...ids, ...names]) {
            assert.ok(!value.includes(id), `${name}{${label}="${value}"} names a client`);
          }
        }
      }
    }

    // The SIGUSR2 lines read the same registry.
    const json = await serverMetrics(server.proc);
    const now = (await scrape(url)).families;
    for (const name of ["chat_messages_stored_total", "chat_deliveries_total"]) {
      assert.equal(json[name], sample(now, name), `${name} in the JSON line`);
    }
    assert.equal(json['chat_refusals_total{code="PERMISSION_DENIED"}'], 1);
    assert.equal(json.chat_open_streams, 3);
    assert.match(await statsLine(server.proc), / 3 open streams, \d+ sends in \d+ commits, /);

    // Only /metrics is served.
    const other = await fetch(url.replace(/\/metrics$/, "/other"));
    assert.equal(other.status, 404);
    await other.body?.cancel();
  } finally {
    for (const s of streams) s.cancel();
    client.close();
    await server.proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(server.proc.stdout.some((l) => / stopped after /.test(l)), "a clean stop");
});

Deno.test("metrics: a bad -metrics is one line and the usage (exit 2); a busy port exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-metrics-" });
  try {
    const cases: [string, RegExp][] = [
      ["9464", /^server: flag -metrics must be ADDR:PORT, e\.g\. 127\.0\.0\.1:9464, got '9464'$/],
      ["127.0.0.1:http", /^server: flag -metrics: the port must be a whole number from 0 to/],
      ["127.0.0.1:70000", /^server: flag -metrics: the port must be a whole number from 0 to/],
    ];
    for (const [value, line] of cases) {
      const { code, stderr } = await runToEnd("server", ["-db", `${dir}/x.db`, "-metrics", value]);
      assert.equal(code, 2, value);
      assert.match(stderr.split("\n")[0], line);
      assert.match(stderr, /\nusage: deno task server /);
    }
    using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (busy.addr as Deno.NetAddr).port;
    const { code, stderr } = await runToEnd("server", [
      "-host",
      "127.0.0.1",
      "-port",
      "0",
      "-db",
      `${dir}/chat.db`,
      "-metrics",
      `127.0.0.1:${port}`,
    ]);
    assert.equal(code, 1);
    assert.equal(
      stderr.trim().split("\n").at(-1),
      `server: metrics port ${port} on 127.0.0.1 is in use; stop what holds it or pick another with -metrics`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The live view as a person would start it, with stdout piped (not a terminal). */
function startView(url: string): ChatProcess {
  return new ChatProcess("view", Deno.execPath(), [
    "run",
    "--allow-net",
    "tools/metrics_view.ts",
    url,
  ]);
}

Deno.test("metrics: the live view prints a line a second from a running server, and quits on Ctrl-C", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-metrics-" });
  const server = await startServer({ db: `${dir}/chat.db`, extra: ["-metrics", "127.0.0.1:0"] });
  const client = rawClient(server.port);
  try {
    const alice = await register(client, "Alice");
    const view = startView(metricsUrl(server));
    await view.waitForLine(/ sends\/s=/, { timeoutMs: 30_000 });
    await send(client, alice, "counted");
    await view.waitForCount(/ sends\/s=/, 3, { timeoutMs: 10_000 });
    view.kill("SIGINT");
    assert.equal((await view.status).code, 0, "Ctrl-C quits cleanly");
    const lines = view.stdout.filter((l) => / sends\/s=/.test(l));
    for (const line of lines) {
      assert.match(
        line,
        /^\d\d:\d\d:\d\d sends\/s=\d+ deliveries\/s=\d+ .* subscribe=0 publish=0 online=0 .* rss_mb=\d+\.\d cpu_pct=\d+$/,
      );
    }
    assert.ok(lines.some((l) => / sends\/s=1 /.test(l)), `the send shows:\n${lines.join("\n")}`);
    assert.deepEqual(view.stderr, []);
  } finally {
    client.close();
    await server.proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("metrics: the live view says once that it cannot reach the URL, and keeps trying", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const view = startView(`http://127.0.0.1:${port}/metrics`);
  await view.waitForLine(
    /^metrics: cannot reach http:\/\/127\.0\.0\.1:\d+\/metrics \(.*\); retrying every second, Ctrl-C quits$/,
    {
      stream: "stderr",
    },
  );
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(view.stderr.length, 1, "one line per outage");
  view.kill("SIGINT");
  assert.equal((await view.status).code, 0);
  assert.deepEqual(view.stdout, []);
});

Deno.test("metrics: the live view's rates and percentiles from two scrapes", () => {
  const page = (sends: number[], extra: string) =>
    [
      "# TYPE chat_send_ack_seconds histogram",
      `chat_send_ack_seconds_bucket{le="0.001"} ${sends[0]}`,
      `chat_send_ack_seconds_bucket{le="0.01"} ${sends[1]}`,
      `chat_send_ack_seconds_bucket{le="+Inf"} ${sends[2]}`,
      `chat_send_ack_seconds_count ${sends[2]}`,
      extra,
    ].join("\n");
  const before = {
    atMs: 0,
    samples: parseSamples(page(
      [10, 10, 10],
      'chat_deliveries_total 100\nchat_refusals_total{code="NOT_FOUND"} 1\nprocess_cpu_seconds_total 1',
    )),
  };
  const after = {
    atMs: 2_000,
    samples: parseSamples(page(
      [60, 110, 110],
      [
        "chat_deliveries_total 5100",
        'chat_refusals_total{code="NOT_FOUND"} 3',
        'chat_refusals_total{code="PERMISSION_DENIED"} 2',
        "process_cpu_seconds_total 2.5",
        'chat_open_streams{kind="subscribe"} 50',
        'chat_clients_online{kind="guest"} 7',
        "process_resident_memory_bytes 104857600",
      ].join("\n"),
    )),
  };
  // 100 sends in the interval: 50 under 1 ms, 50 between 1 and 10 ms.
  assert.equal(quantile(before.samples, after.samples, "chat_send_ack_seconds", 0.5), 0.001);
  assert.ok(
    Math.abs(quantile(before.samples, after.samples, "chat_send_ack_seconds", 0.99)! - 0.00982) <
      1e-9,
  );
  assert.equal(quantile(before.samples, before.samples, "chat_send_ack_seconds", 0.5), undefined);
  const s = summarize(before, after);
  assert.equal(s.sendsPerS, 50);
  assert.equal(s.deliveriesPerS, 2_500);
  assert.equal(s.refusalsPerS, 2);
  assert.deepEqual(s.refusedCodes, [["NOT_FOUND", 2], ["PERMISSION_DENIED", 2]]);
  assert.equal(s.cpuPercent, 75);
  assert.equal(s.streams.subscribe, 50);
  assert.equal(s.clients.guest, 7);
  const at = new Date(2026, 0, 1, 12, 0, 5);
  assert.equal(
    formatLine(s, at),
    "12:00:05 sends/s=50 deliveries/s=2500 catchup/s=0 refusals/s=2 in_flight=0 " +
      "ack_p50_ms=1.00 ack_p99_ms=9.82 commits/s=0 batch_mean=- fsync_mean_ms=- fsync_p99_ms=- " +
      "subscribe=50 publish=0 online=7 window_waits/s=0 rss_mb=100.0 cpu_pct=75",
  );
  const table = formatTable(s, "http://x/metrics", at, false);
  assert.match(table, /^grpc-chat http:\/\/x\/metrics {2}12:00:05\n/);
  assert.match(table, /\n {2}refusals\/s +2 \(NOT_FOUND 2, PERMISSION_DENIED 2\)\n/);
  assert.match(table, /\n {2}send ack p50 \/ p99 +1\.00 ms \/ 9\.82 ms\n/);
  assert.ok(!table.includes("\x1b["), "no colour when told so");
  assert.ok(formatTable(s, "http://x/metrics", at, true).includes("\x1b[1m"));
});

Deno.test("metrics: a subscription reports frames read from the store, and one window wait per stall", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "chat-metrics-" });
  const store = new SqliteStore(`${dir}/chat.db`);
  try {
    const feed = new GroupFeed("general", new SqliteReader(store), 0);
    const fanout = new Fanout((g) => g === feed.name ? feed : undefined, (wake) => wake());
    let n = 0;
    const sendFromA = (count: number) => {
      const batch = Array.from({ length: count }, () => {
        const fields = { senderId: "a", senderName: "A", senderHandle: "", text: "x", sentAtMs: 0 };
        return { group: "general", clientMsgId: `m${++n}`, ...fields, body: encodeBody(fields) };
      });
      fanout.publish(store.commit(batch));
    };
    const frames: [number[], boolean][] = [];
    let waits = 0;
    const sub = new Subscription({
      feed,
      clientId: "b",
      cursor: 0,
      window: 2,
      write: (frame, done, fromStore) => {
        frames.push([frame.messages.map((m) => m.seq), fromStore]);
        done();
      },
      onAcked: () => {},
      onWindowFull: () => waits++,
    });
    sendFromA(3); // No one reads yet: kept in the store only.
    sub.start();
    await eventually(() => frames.length === 1, "the first frame, read from the store");
    assert.deepEqual(frames, [[[1, 2], true]]);
    assert.equal(waits, 1, "stopped with #3 to send");
    sendFromA(1); // Still full: the same wait.
    assert.equal(waits, 1);
    sub.ack(2);
    await eventually(() => frames.length === 2, "the second frame, read from the store");
    assert.deepEqual(frames.at(-1), [[3, 4], true], "#3 is older than memory holds");
    assert.equal(waits, 1, "caught up: no wait");
    sendFromA(2);
    assert.equal(waits, 2, "a second stall");
    sub.ack(4);
    assert.deepEqual(frames.at(-1), [[5, 6], false], "live messages come from memory");
    sub.stop();
  } finally {
    store.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

/** Waits until `check()` holds, looking every 10 ms; fails naming `what` after 10 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
