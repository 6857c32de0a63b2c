/**
 * Several server nodes on one PostgreSQL database act as one chat service (README, "Several
 * nodes"): real node processes (`deno task server -db postgres://...`) on a private cluster
 * (tests/postgres.ts), real clients and raw gRPC calls spread over the nodes. Ignored when
 * `CHAT_SKIP_POSTGRES=1`.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { checkHealth, healthClient } from "../src/server/ops/mod.ts";
import {
  auth,
  eventually,
  rawAdmin,
  rawClient,
  RawSubscription,
  refusal,
  register,
  roomCall,
  send,
} from "./grpc.ts";
import {
  type ChatProcess,
  connectClient,
  receivedMessages,
  type ServerProcess,
  startServer,
} from "./harness.ts";
import { PostgresCluster, postgresTest } from "./postgres.ts";

/** A node of the service: a server process on the shared database. */
interface Node extends ServerProcess {
  label: string;
}

/** The operator secret every node of these tests is given (`-admin_secret`), and its file. */
const SECRET = crypto.randomUUID();
const SECRET_FILE = `${Deno.makeTempDirSync({ prefix: "chat-node-" })}/admin-secret`;
Deno.writeTextFileSync(SECRET_FILE, `${SECRET}\n`, { mode: 0o600 });

/** Starts `count` nodes on `url`, each on a free port (or the one given). */
async function startNodes(
  url: string,
  count: number,
  { extra = [] as string[], ports = [] as number[] } = {},
): Promise<Node[]> {
  return await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const label = `node${i + 1}`;
      const node = await startServer({
        db: url,
        label,
        port: ports[i] ?? 0,
        extra: ["-admin_secret", SECRET_FILE, ...extra],
      });
      return { ...node, label };
    }),
  );
}

async function stopAll(procs: readonly ChatProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
}

/** `addresses` of the nodes, as `-server_ip` takes them. */
function addresses(nodes: readonly Node[]): string {
  return nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
}

/**
 * `count` nodes on `url` (see {@link startNodes}), each with a raw client of its own; for
 * `await using`, which closes the clients and stops the nodes.
 */
async function nodesWithClients(
  url: string,
  count: number,
  options: Parameters<typeof startNodes>[2] = {},
) {
  const nodes = await startNodes(url, count, options);
  const clients = nodes.map((n) => rawClient(n.port, { ownConnection: true }));
  return {
    nodes,
    clients,
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.close();
      await stopAll(nodes.map((n) => n.proc));
    },
  };
}

/**
 * `call` again while it is refused NOT_FOUND: a node hears within moments of what another one
 * made (a room, a member), and until then does not know it.
 */
function onceKnown(call: () => Promise<unknown>, what: string): Promise<void> {
  return eventually(
    () =>
      call().then(() => true, (error: grpc.ServiceError) => {
        if (error.code !== grpc.status.NOT_FOUND) throw error;
        return false;
      }),
    what,
  );
}

postgresTest(
  "cluster: clients on three nodes: each message reaches every other member once, not the sender, not outsiders; one who was away gets exactly its unread on another node",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    const nodes = await startNodes(url, 3, { extra: ["-group", "ops=alice,bob,chad"] });
    const dir = await Deno.makeTempDir({ prefix: "chat-cluster-" });
    const client = (name: string, node: Node, serverIp = "127.0.0.1") =>
      connectClient({ name, port: node.port, serverIp, stateDir: `${dir}/${name}` });
    const alice = await client("Alice", nodes[0]);
    const bob = await client("Bob", nodes[1]);
    let chad = await client("Chad", nodes[2]);
    const dave = await client("Dave", nodes[2]);
    try {
      await alice.proc.type("/to ops");
      await alice.proc.type("hello from node 1");
      await bob.proc.waitForLine(/\[ops\] .*: hello from node 1$/);
      await chad.proc.waitForLine(/\[ops\] .*: hello from node 1$/);
      await bob.proc.type("/to ops");
      await bob.proc.type("hi from node 2");
      await alice.proc.waitForLine(/\[ops\] .*: hi from node 2$/);
      await chad.proc.waitForLine(/\[ops\] .*: hi from node 2$/);
      // Chad goes away; two messages while he is; he comes back through node 1.
      await chad.proc.stop();
      await alice.proc.type("while you were out 1");
      await bob.proc.waitForLine(/: while you were out 1$/);
      await bob.proc.type("while you were out 2");
      await alice.proc.waitForLine(/: while you were out 2$/);
      // A marker in general, after both: once Chad has it, he has all he will get.
      await dave.proc.type("marker");
      await alice.proc.waitForLine(/\[general\] .*: marker$/);
      // Node 1 first, then the node he used: his key may go to node 1, which is in his list.
      chad = await client("Chad", nodes[0], addresses([nodes[0], nodes[2]]));
      await chad.proc.waitForLine(/\[general\] .*: marker$/);
      await chad.proc.waitForLine(/\[ops\] .*: while you were out 2$/);
      assert.match(
        chad.proc.stderr.join("\n"),
        new RegExp(`^\\* connected to 127.0.0.1:${nodes[0].port} as ${chad.id} \\(resumed\\)`, "m"),
        "the same identity on another node, at once",
      );
      // Groups are delivered side by side: the order within each is what is asserted.
      const byGroup = (proc: ChatProcess) =>
        receivedMessages(proc).sort((a, b) => a.group < b.group ? -1 : a.group > b.group ? 1 : 0);
      assert.deepEqual(byGroup(chad.proc), [
        { group: "general", from: dave.id, text: "marker" },
        { group: "ops", from: alice.id, text: "while you were out 1" },
        { group: "ops", from: bob.id, text: "while you were out 2" },
      ]);
      assert.deepEqual(byGroup(alice.proc), [
        { group: "general", from: dave.id, text: "marker" },
        { group: "ops", from: bob.id, text: "hi from node 2" },
        { group: "ops", from: bob.id, text: "while you were out 2" },
      ]);
      assert.deepEqual(byGroup(bob.proc), [
        { group: "general", from: dave.id, text: "marker" },
        { group: "ops", from: alice.id, text: "hello from node 1" },
        { group: "ops", from: alice.id, text: "while you were out 1" },
      ]);
      assert.deepEqual(receivedMessages(dave.proc), [], "Dave is not in ops");
    } finally {
      await stopAll([alice.proc, bob.proc, chad.proc, dave.proc, ...nodes.map((n) => n.proc)]);
    }
  },
);

postgresTest(
  "cluster: sends to one group from every node at once are numbered 1..N without a gap or a repeat; each node's subscriber gets them all once, in order; a retry on another node gets the original",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    await using fixture = await nodesWithClients(url, 3, { extra: ["-rate_limits", "off"] });
    const { clients } = fixture;
    const senders = await Promise.all(clients.map((c, i) => register(c, `Sender${i}`)));
    const readers = await Promise.all(clients.map((c, i) => register(c, `Reader${i}`)));
    const subs = readers.map((r, i) => {
      const sub = new RawSubscription(clients[i], auth(r.clientId, r.key));
      sub.call.write({ open: { seen: [], acceptMore: false } });
      return sub;
    });
    const EACH = 150;
    const sent = await Promise.all(senders.map(async (s, i) => {
      const seqs: number[] = [];
      // Ten at a time per sender, so that every node's commits interleave with the others'.
      for (let n = 0; n < EACH; n += 10) {
        const replies = await Promise.all(
          Array.from(
            { length: 10 },
            (_, k) => send(clients[i], s, `s${i} m${n + k}`, `s${i}-${n + k}`),
          ),
        );
        seqs.push(...replies.map((r) => r.seq));
      }
      return seqs;
    }));
    const all = sent.flat().sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 3 * EACH }, (_, i) => i + 1), "gap-free, unique");
    for (const [i, sub] of subs.entries()) {
      await sub.until(() => sub.seqs.length >= 3 * EACH, 20_000);
      assert.deepEqual(sub.seqs, all, `node${i + 1}'s reader: each once, in order`);
      // Every message of each sender, once (ten at a time were in flight: no order among them).
      const texts = sub.deliveries.flatMap((d) => d.messages.map((m) => m.text));
      for (let s = 0; s < 3; s++) {
        const mine = texts.filter((t) => t.startsWith(`s${s} `));
        const order = mine.map((t) => Number(t.split(" m")[1])).sort((a, b) => a - b);
        assert.deepEqual(order, Array.from({ length: EACH }, (_, k) => k), `sender ${s}'s, once`);
      }
    }
    // A retry of a message sent through node 1, sent through node 3: the original's seq.
    const retry = await send(clients[2], senders[0], "s0 m0", "s0-0");
    assert.deepEqual([retry.seq, retry.duplicate], [sent[0][0], true]);
    assert.equal(await pg.psql("select count(*) from messages", { url }), String(3 * EACH));
    for (const sub of subs) sub.call.cancel();
  },
);

postgresTest(
  "cluster: a member removed on one node stops receiving the room at once on another, and his sends there are refused",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    await using fixture = await nodesWithClients(url, 2);
    const { clients: [one, two] } = fixture;
    const alice = await register(one, "alice");
    const bob = await register(two, "bob");
    await roomCall(one, alice, "CreateRoom", { name: "crew" });
    // Bob joins through node 2: node 2 must know the room node 1 made.
    await onceKnown(
      () => roomCall(two, bob, "JoinRoom", { room: "crew" }),
      "node 2 knows the room",
    );
    const bobs = new RawSubscription(two, auth(bob.clientId, bob.key));
    bobs.call.write({ open: { seen: [], acceptMore: false } });
    await send(one, alice, "welcome", "w1", "crew");
    await bobs.until(() => bobs.seqs.length === 1);
    await roomCall(one, alice, "RemoveMember", { room: "crew", handle: "bob" });
    // Within the time node 2 takes to hear of it, his sends there are refused.
    await eventually(
      async () => {
        try {
          await send(two, bob, "still here?", crypto.randomUUID(), "crew");
          return false;
        } catch (error) {
          assert.equal((error as grpc.ServiceError).code, grpc.status.PERMISSION_DENIED);
          return true;
        }
      },
      "node 2 refuses bob in crew",
      2_000,
    );
    await send(one, alice, "after", "w2", "crew");
    await send(one, alice, "marker", "m1");
    await bobs.until(() => bobs.deliveries.some((d) => d.group === "general"));
    const crew = bobs.deliveries.filter((d) => d.group === "crew").flatMap((d) => d.messages);
    assert.deepEqual(crew.map((m) => m.text), ["welcome"], "nothing of crew after the removal");
    const stored = await pg.psql(
      "select string_agg(text, ',' order by seq) from messages where grp = 'crew'",
      { url },
    );
    assert.equal(stored, "welcome,after", "bob's refused send stored nothing");
    bobs.call.cancel();
  },
);

postgresTest(
  "cluster: PostgreSQL restarted under load: nodes say NOT_SERVING, then SERVING; every acknowledged message is stored once and delivered once",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    await using fixture = await nodesWithClients(url, 2, { extra: ["-rate_limits", "off"] });
    const { nodes, clients: [one, two] } = fixture;
    const health = healthClient(`127.0.0.1:${nodes[1].port}`, grpc.credentials.createInsecure());
    try {
      const alice = await register(one, "Alice");
      const bob = await register(two, "Bob");
      const bobs = new RawSubscription(two, auth(bob.clientId, bob.key));
      bobs.call.write({ open: { seen: [], acceptMore: false } });
      const acked = new Map<string, number>();
      let stop = false;
      let n = 0;
      const sending = (async () => {
        while (!stop) {
          const id = `m${n++}`;
          // As a client does: the same id again until it is answered.
          for (;;) {
            try {
              acked.set(id, (await send(one, alice, id, id)).seq);
              break;
            } catch (error) {
              const code = (error as grpc.ServiceError).code;
              assert.ok(
                code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED,
                `a send in the outage: ${(error as grpc.ServiceError).details}`,
              );
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        }
      })();
      await eventually(() => acked.size >= 50, "sends before the restart", 10_000);
      await pg.stop();
      await eventually(
        async () => await checkHealth(health, "", 1_000).catch(() => "") === "NOT_SERVING",
        "node 2 says NOT_SERVING",
        10_000,
      );
      await pg.start();
      await eventually(
        async () => await checkHealth(health, "", 1_000).catch(() => "") === "SERVING",
        "node 2 serving again",
        20_000,
      );
      const before = acked.size;
      await eventually(() => acked.size >= before + 50, "sends after the restart", 20_000);
      stop = true;
      await sending;
      const seqs = [...acked.values()].sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1));
      assert.equal(await pg.psql("select count(*) from messages", { url }), String(acked.size));
      await bobs.until(() => bobs.seqs.length >= acked.size, 20_000);
      // A stream ended by the outage was opened again by a client; this raw one may have ended.
      const got = bobs.seqs;
      assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i + 1));
      bobs.call.cancel();
    } finally {
      health.close();
    }
  },
  { controlsServer: true },
);

postgresTest(
  "cluster: a random node SIGKILLed again and again while clients type: every message reaches every other member exactly once, in each sender's order",
  async () => {
    const CLIENTS = ["Alice", "Bob", "Chad"];
    const EACH = 50;
    const KILLS = 6;
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    const nodes = await startNodes(url, 3);
    const ports = nodes.map((n) => n.port);
    const procs: ChatProcess[] = nodes.map((n) => n.proc);
    const dir = await Deno.makeTempDir({ prefix: "chat-cluster-crash-" });
    // Each client starts at another node and knows them all.
    const clients = await Promise.all(CLIENTS.map((name, i) =>
      connectClient({
        name,
        port: ports[i],
        serverIp: [...ports.slice(i), ...ports.slice(0, i)].map((p) => `127.0.0.1:${p}`).join(","),
        stateDir: `${dir}/${name}`,
      })
    ));
    try {
      const typing = clients.map(async ({ proc }, c) => {
        for (let i = 1; i <= EACH; i++) {
          await proc.type(`${CLIENTS[c]} ${i}`);
          await new Promise((r) => setTimeout(r, 40));
        }
      });
      // Kill a random node, start it again on its port, again and again.
      for (let kill = 1; kill <= KILLS; kill++) {
        await new Promise((r) => setTimeout(r, 300));
        const i = Math.floor(Math.random() * nodes.length);
        nodes[i].proc.kill("SIGKILL");
        assert.equal((await nodes[i].proc.status).signal, "SIGKILL");
        const [again] = await startNodes(url, 1, { ports: [ports[i]] });
        nodes[i] = { ...again, label: `node${i + 1}-${kill}` };
        procs.push(again.proc);
      }
      await Promise.all(typing);
      const expected = EACH * (CLIENTS.length - 1);
      await Promise.all(
        clients.map(({ proc }) =>
          proc.waitForCount(/^\[general\] /, expected, { timeoutMs: 60_000 })
        ),
      );
      // A last message from each: once the others have it, they have all before it.
      for (const [c, { proc }] of clients.entries()) {
        await proc.type(`last from ${CLIENTS[c]}`);
        for (const [o, other] of clients.entries()) {
          if (o !== c) {
            await other.proc.waitForLine(new RegExp(`: last from ${CLIENTS[c]}$`), {
              timeoutMs: 30_000,
            });
          }
        }
      }
      for (const [c, { proc }] of clients.entries()) {
        const got = receivedMessages(proc).filter((m) => !m.text.startsWith("last from"));
        for (const [s, sender] of clients.entries()) {
          const texts = got.filter((m) => m.from === sender.id).map((m) => m.text);
          const want = s === c
            ? []
            : Array.from({ length: EACH }, (_, i) => `${CLIENTS[s]} ${i + 1}`);
          assert.deepEqual(
            texts,
            want,
            `${CLIENTS[c]} got ${CLIENTS[s]}'s messages once each, in order`,
          );
        }
      }
      assert.equal(
        await pg.psql("select count(*) from messages", { url }),
        String(EACH * CLIENTS.length + CLIENTS.length),
        "each stored once",
      );
      // Each client kept its one identity across the nodes.
      assert.equal(await pg.psql("select count(*) from clients", { url }), String(CLIENTS.length));
    } finally {
      await stopAll([...clients.map((c) => c.proc), ...procs]);
    }
  },
  { controlsServer: true },
);

postgresTest(
  "cluster: two owners on two nodes demoting each other at once: one change is made, the other refused; the room keeps an owner",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    await using fixture = await nodesWithClients(url, 2, { extra: ["-rate_limits", "off"] });
    const { clients: [one, two] } = fixture;
    const alice = await register(one, "alice");
    const bob = await register(two, "bob");
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 10; round++) {
      const room = `duel${round}`;
      await roomCall(one, alice, "CreateRoom", { name: room });
      await onceKnown(() => roomCall(two, bob, "JoinRoom", { room }), `${room} joined`);
      // Node 1 hears of his join within moments; until then it does not know him there.
      await onceKnown(
        () => roomCall(one, alice, "SetRole", { room, handle: "bob", role: 3 }),
        `node 1 knows bob is in ${room}`,
      );
      // Node 2 must know bob is an owner before he acts there.
      await eventually(async () => {
        const { members } = await roomCall<{ members: { handle: string; role: number }[] }>(
          two,
          bob,
          "ListMembers",
          { room },
        );
        return members.find((m) => m.handle === "bob")?.role === 3;
      }, `node 2 knows bob owns ${room}`);
      const duel = await Promise.allSettled([
        roomCall(one, alice, "SetRole", { room, handle: "bob", role: 1 }),
        roomCall(two, bob, "SetRole", { room, handle: "alice", role: 1 }),
      ]);
      const codes = duel.map((r) =>
        r.status === "fulfilled" ? "OK" : grpc.status[(r.reason as grpc.ServiceError).code]
      );
      assert.equal(codes.filter((c) => c === "OK").length, 1, `one change is made: ${codes}`);
      for (const code of codes) outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      const owners = await pg.psql(
        `select count(*) from room_members where room = '${room}' and role = 'owner'`,
        { url },
      );
      assert.equal(owners, "1", `${room} keeps one owner`);
    }
    // Refused by the node that knew (PERMISSION_DENIED), or by the store when both acted on
    // what they held (ABORTED): never both made.
    assert.ok(
      [...outcomes.keys()].every((c) => ["OK", "ABORTED", "PERMISSION_DENIED"].includes(c)),
      JSON.stringify(Object.fromEntries(outcomes)),
    );
  },
);

postgresTest(
  "cluster: the operator revokes a device through one node: its stream on another node ends at once, and it is refused there",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    await using fixture = await nodesWithClients(url, 2);
    const { nodes, clients: [, two] } = fixture;
    const admin = rawAdmin(nodes[0].port, SECRET);
    try {
      const gus = await register(two, "Gus");
      const sub = new RawSubscription(two, auth(gus.clientId, gus.key));
      sub.call.write({ open: { seen: [], acceptMore: false } });
      await send(two, gus, "hello", "h1");
      await admin.revoke(gus.clientId);
      const status = await sub.status;
      assert.equal(status.code, grpc.status.UNAUTHENTICATED, status.details);
      assert.equal((await refusal(send(two, gus, "again", "h2"))).code, "UNAUTHENTICATED");
    } finally {
      admin.close();
    }
  },
);

postgresTest(
  "cluster: /who counts the devices online on every node, and stops counting those gone",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    await using fixture = await nodesWithClients(url, 2, { extra: ["-group", "ops=alice,bob"] });
    const { clients: [one, two] } = fixture;
    const alice = await register(one, "alice");
    const bob = await register(two, "bob");
    const streams = [
      new RawSubscription(one, auth(alice.clientId, alice.key)),
      new RawSubscription(two, auth(bob.clientId, bob.key)),
    ];
    for (const s of streams) s.call.write({ open: { seen: [], acceptMore: false } });
    type Members = { members: { handle: string; devicesOnline: number }[] };
    const who = async (group: string) =>
      Object.fromEntries(
        (await roomCall<Members>(one, alice, "ListMembers", { room: group })).members.map((
          m,
        ) => [m.handle, m.devicesOnline]),
      );
    // Node 1 learns of bob's device on node 2 within a report (a second).
    await eventually(async () => (await who("ops")).bob === 1, "bob online, seen from node 1");
    assert.deepEqual(await who("ops"), { alice: 1, bob: 1 });
    assert.deepEqual(await who("general"), { alice: 1, bob: 1 }, "the open group: all online");
    streams[1].call.cancel();
    await eventually(async () => (await who("ops")).bob === 0, "bob gone, seen from node 1");
    assert.deepEqual(await who("general"), { alice: 1 });
    streams[0].call.cancel();
  },
);

/**
 * The PostgreSQL backend process of the one node's LISTEN connection now open on `url`: stopping
 * it (SIGSTOP) makes that node deaf to the others' commits, as a stalled listener would be.
 */
async function listenerBackend(pg: PostgresCluster, url: string): Promise<number> {
  let pid = 0;
  await eventually(async () => {
    const pids = (await pg.psql(
      "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
      { url },
    )).split("\n").filter((line) => line !== "");
    pid = Number(pids[0]);
    return pids.length === 1;
  }, "one node listening");
  return pid;
}

postgresTest(
  "cluster: a client that moves to a node behind the others is sent only what it has not printed, and not told the database was restored",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    const [behind] = await startNodes(url, 1);
    const deaf = await listenerBackend(pg, url);
    const [ahead] = await startNodes(url, 1);
    const dir = await Deno.makeTempDir({ prefix: "chat-cluster-lag-" });
    const alice = await connectClient({
      name: "Alice",
      port: ahead.port,
      serverIp: addresses([ahead, behind]),
      stateDir: dir,
    });
    const raw = rawClient(ahead.port, { ownConnection: true });
    try {
      const bob = await register(raw, "Bob");
      for (const text of ["m1", "m2", "m3"]) await send(raw, bob, text);
      await alice.proc.waitForLine(/: m3$/);
      // The node behind stops hearing; two more are sent through the other, which then dies.
      Deno.kill(deaf, "SIGSTOP");
      for (const text of ["m4", "m5"]) await send(raw, bob, text);
      await alice.proc.waitForLine(/: m5$/);
      ahead.proc.kill("SIGKILL");
      await alice.proc.waitForLine(new RegExp(`connected to 127.0.0.1:${behind.port} `), {
        stream: "stderr",
        timeoutMs: 30_000,
      });
      Deno.kill(deaf, "SIGCONT");
      const other = rawClient(behind.port, { ownConnection: true });
      try {
        await send(other, bob, "m6");
      } finally {
        other.close();
      }
      await alice.proc.waitForLine(/: m6$/);
      assert.deepEqual(receivedMessages(alice.proc).map((m) => m.text), [
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m6",
      ]);
      assert.doesNotMatch(alice.proc.stderr.join("\n"), /restored/);
    } finally {
      Deno.kill(deaf, "SIGCONT");
      raw.close();
      await stopAll([alice.proc, ahead.proc, behind.proc]);
    }
  },
);

postgresTest(
  "cluster: an operator's change on a node that has not yet heard of a removal made on another applies that removal to the streams there too",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    const [late] = await startNodes(url, 1);
    const deaf = await listenerBackend(pg, url);
    const [first] = await startNodes(url, 1);
    const [one, two] = [first, late].map((n) => rawClient(n.port, { ownConnection: true }));
    const admin = rawAdmin(late.port, SECRET);
    try {
      const alice = await register(one, "alice");
      const bob = await register(two, "bob");
      const zed = await register(two, "zed");
      await roomCall(one, alice, "CreateRoom", { name: "r" });
      await onceKnown(
        () => roomCall(two, bob, "JoinRoom", { room: "r" }),
        "bob joined r through the late node",
      );
      const bobs = new RawSubscription(two, auth(bob.clientId, bob.key));
      bobs.call.write({ open: { seen: [], acceptMore: false } });
      await send(one, alice, "before", "b1", "r");
      await bobs.until(() => bobs.seqs.length === 1);
      Deno.kill(deaf, "SIGSTOP");
      await roomCall(one, alice, "RemoveMember", { room: "r", handle: "bob" });
      await admin.revoke(zed.clientId); // any operator's change through the late node
      Deno.kill(deaf, "SIGCONT");
      await send(one, alice, "after removal", "b2", "r");
      await send(one, alice, "marker", "mk");
      await bobs.until(() => bobs.deliveries.some((d) => d.group === "general"), 10_000);
      const texts = bobs.deliveries.flatMap((d) => d.messages.map((m) => `${d.group}:${m.text}`));
      assert.deepEqual(texts, ["r:before", "general:marker"]);
      bobs.call.cancel();
    } finally {
      Deno.kill(deaf, "SIGCONT");
      admin.close();
      one.close();
      two.close();
      await stopAll([first.proc, late.proc]);
    }
  },
);

postgresTest(
  "cluster: a node frozen while it holds a room's lock does not stall another node's sends: the change waiting for it is refused UNAVAILABLE, sends go on",
  async () => {
    await using pg = await PostgresCluster.start();
    const url = await pg.createDatabase();
    const [node] = await startNodes(url, 1);
    const raw = rawClient(node.port, { ownConnection: true });
    try {
      const alice = await register(raw, "alice");
      const bob = await register(raw, "bob");
      await roomCall(raw, alice, "CreateRoom", { name: "r" });
      await roomCall(raw, bob, "JoinRoom", { room: "r" });
      // Stands in for another node stopped inside a room change, after it locked the room.
      const holder = pg.psql(
        "BEGIN; SELECT 1 FROM rooms WHERE name = 'r' FOR UPDATE; SELECT pg_sleep(60); COMMIT;",
        { url, timeoutMs: 90_000 },
      ).catch(() => "ended");
      const active = (what: string) =>
        pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ${what}`, {
          url,
        });
      await eventually(
        async () => await active("query LIKE '%pg_sleep(60)%' AND state = 'active'") === "1",
        "the lock held",
      );
      const change = refusal(roomCall(raw, alice, "RemoveMember", { room: "r", handle: "bob" }));
      await eventually(
        async () => await active("wait_event_type = 'Lock'") === "1",
        "the change waiting for the lock",
      );
      // Held between commits by the change, the node's sends wait at most the lock's bound.
      const reply = await send(raw, bob, "hello general");
      assert.equal(reply.seq, 1);
      const refused = await change;
      assert.equal(refused.code, "UNAVAILABLE", refused.details);
      assert.equal(
        await pg.psql("SELECT count(*) FROM room_members WHERE room = 'r'", { url }),
        "2",
      );
      await pg.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
        { url },
      );
      await holder;
    } finally {
      raw.close();
      await stopAll([node.proc]);
    }
  },
);
