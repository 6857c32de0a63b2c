/**
 * The standard health service (grpc.health.v1.Health) of a real server on 127.0.0.1: Check and
 * Watch say SERVING once it has started, NOT_SERVING as soon as shutdown starts (Watch streams
 * are told, then ended, so they do not hold the drain) and when its storage writer dies; and
 * `deno task admin health`, what Docker's HEALTHCHECK runs, exits 0 only when SERVING.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { type ChatServerOptions, type RunningChatServer } from "../src/server/chat_server.ts";
import {
  checkHealth,
  type HealthClient,
  healthClient,
  type HealthStatus,
} from "../src/server/ops/mod.ts";
import { auth, rawClient, RawSubscription, refusal, register, send } from "./grpc.ts";
import { runToEnd, startServer } from "./harness.ts";
import { startTestServer } from "./local_server.ts";

/** What a Check may wait for: the server is local, any answer comes at once. */
const CHECK_MS = 5_000;

function testServer(options: Partial<ChatServerOptions> = {}): Promise<RunningChatServer> {
  return startTestServer("chat-health-", options);
}

function client(port: number): HealthClient {
  return healthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** A Watch stream that records every status it is sent, and how it ended. */
class Watch {
  readonly statuses: HealthStatus[] = [];
  readonly ended: Promise<grpc.StatusObject>;
  #waiters = new Set<() => void>();

  constructor(health: HealthClient, service: string) {
    const call = health.Watch({ service });
    call.on("data", ({ status }) => {
      this.statuses.push(status);
      for (const wake of this.#waiters) wake();
    });
    call.on("error", () => {}); // The status below says it.
    this.ended = new Promise((resolve) => call.on("status", resolve));
  }

  /** Resolves once `count` statuses have come; rejects after `timeoutMs` with those that did. */
  until(count: number, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.statuses.length < count) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${count} statuses not seen within ${timeoutMs} ms: [${this.statuses}]`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

/** Resolves with `promise`'s value, or rejects naming `what` if it takes over `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("health: Check says SERVING for the server and each chat service once started, NOT_FOUND for another name", async () => {
  const server = await testServer();
  const health = client(server.port);
  try {
    for (const service of ["", "chat.Chat", "chat.Admin"]) {
      assert.equal(await checkHealth(health, service, CHECK_MS), "SERVING", `"${service}"`);
    }
    assert.deepEqual(await refusal(checkHealth(health, "chat.Nope", CHECK_MS)), {
      code: "NOT_FOUND",
      details: "Health status unknown for service chat.Nope",
    });
    // Watch does not end for a name it does not know (health.proto): it says so and waits.
    const unknown = new Watch(health, "chat.Nope");
    await unknown.until(1);
    assert.deepEqual(unknown.statuses, ["SERVICE_UNKNOWN"]);
  } finally {
    health.close();
    await server.shutdown();
  }
});

Deno.test("health: a Watch stream sees SERVING, then NOT_SERVING when shutdown starts, then ends, without holding the drain", async () => {
  const server = await testServer();
  const health = client(server.port);
  const whole = new Watch(health, "");
  const chat = new Watch(health, "chat.Chat");
  await whole.until(1);
  await chat.until(1);
  // A grace period far longer than the deadline below: had a Watch stream held the drain
  // open, shutdown would only end when the grace period forced it.
  await within(server.shutdown(60_000), 10_000, "shutdown with two Watch streams open");
  for (const watch of [whole, chat]) {
    assert.deepEqual(watch.statuses, ["SERVING", "NOT_SERVING"]);
    const ended = await watch.ended;
    assert.deepEqual({ code: grpc.status[ended.code], details: ended.details }, {
      code: "UNAVAILABLE",
      details: "the server is shutting down; watch again once it is back",
    });
  }
  // Gone for good: a probe now cannot connect at all.
  assert.equal((await refusal(checkHealth(health, "", CHECK_MS))).code, "UNAVAILABLE");
  health.close();
});

Deno.test("health: a writer that dies turns Check and Watch NOT_SERVING, and the probe exits 1", async () => {
  const server = await testServer({
    sqlite: {
      workerUrl: new URL("../src/store/sqlite/testdata/dying_worker.ts", import.meta.url),
    },
  });
  const chatClient = rawClient(server.port);
  const health = client(server.port);
  try {
    const watch = new Watch(health, "chat.Chat");
    await watch.until(1);
    assert.equal(await checkHealth(health, "", CHECK_MS), "SERVING");
    const a = await register(chatClient, "A");
    const b = await register(chatClient, "B");
    const sub = new RawSubscription(chatClient, auth(b.clientId, b.key));
    sub.call.write({ open: { seen: [] } });
    // The fixture's writer dies at its first commit: this send's.
    assert.equal((await refusal(send(chatClient, a, "one"))).code, "UNAVAILABLE");
    await server.failed;
    await watch.until(2);
    assert.deepEqual(watch.statuses, ["SERVING", "NOT_SERVING"]);
    for (const service of ["", "chat.Chat", "chat.Admin"]) {
      assert.equal(await checkHealth(health, service, CHECK_MS), "NOT_SERVING", `"${service}"`);
    }
    const probe = await runToEnd("admin", ["health", "-port", String(server.port)]);
    assert.deepEqual(probe, { code: 1, stdout: "server: NOT_SERVING\n", stderr: "" });
    await sub.status;
  } finally {
    chatClient.close();
    health.close();
    await server.shutdown();
  }
});

Deno.test("health: deno task admin health exits 0 for a serving server, 1 for an unknown service or a stopped server, and needs no secret", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-health-" });
  const { proc, port } = await startServer({ db: `${dir}/chat.db` });
  // No operator secret where admin would look for it: health must not need one.
  const noSecret = ["-secret_file", `${dir}/none`];
  const probe = (...args: string[]) =>
    runToEnd("admin", ["health", "-port", String(port), ...noSecret, ...args]);
  try {
    assert.deepEqual(await probe(), { code: 0, stdout: "server: SERVING\n", stderr: "" });
    assert.deepEqual(await probe("-service", "chat.Chat"), {
      code: 0,
      stdout: "chat.Chat: SERVING\n",
      stderr: "",
    });
    assert.deepEqual(await probe("-service", "chat.Nope"), {
      code: 1,
      stdout: "",
      stderr: `admin: health of chat.Nope at 127.0.0.1:${port}: NOT_FOUND: ` +
        "Health status unknown for service chat.Nope\n",
    });
  } finally {
    assert.equal((await proc.stop()).code, 0, proc.transcript());
  }
  const stopped = await probe();
  assert.equal(stopped.code, 1);
  assert.equal(stopped.stdout, "");
  assert.match(
    stopped.stderr,
    new RegExp(`^admin: health of server at 127\\.0\\.0\\.1:${port}: UNAVAILABLE: .+\\n$`),
  );
});
