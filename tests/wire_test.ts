/**
 * What arrives on the server's port that is not gRPC: junk bytes, HTTP/1.1,
 * a broken HTTP/2 preface, a connection dropped mid-frame. The server must
 * drop that connection and go on serving everyone else.
 */
import assert from "node:assert/strict";
import { startServer } from "./harness.ts";
import { rawClient, register, send } from "./grpc.ts";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** Writes `bytes`, then reads until the server closes or `timeoutMs` passes. */
async function poke(
  port: number,
  bytes: Uint8Array,
  timeoutMs: number,
): Promise<{ closed: boolean; reply: Uint8Array }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes).catch(() => 0);
  const chunks: number[] = [];
  let closed = true;
  const timer = setTimeout(() => {
    closed = false;
    conn.close();
  }, timeoutMs);
  try {
    for await (const chunk of conn.readable) chunks.push(...chunk);
  } catch {
    // Reset by the server: also a way of closing.
  }
  clearTimeout(timer);
  return { closed, reply: new Uint8Array(chunks) };
}

/** HTTP/2 frame types in a byte stream from the server (it starts with frames, no preface). */
function frameTypes(bytes: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at + 9 <= bytes.length;) {
    const length = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
    types.push(bytes[at + 3]);
    at += 9 + length;
  }
  return types;
}

const GOAWAY = 7;

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

Deno.test("wire: junk, HTTP/1.1 and broken HTTP/2 on the port do not disturb the server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-wire-" });
  const server = await startServer({ db: `${dir}/chat.db` });
  const client = rawClient(server.port);
  const me = await register(client, "Steady");
  const random = seeded(42);
  const enc = (s: string) => new TextEncoder().encode(s);
  // [what, bytes, whether the server must refuse the connection at once with GOAWAY]
  const cases: [string, Uint8Array, boolean][] = [
    ["random bytes", Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256)), true],
    ["HTTP/1.1 request", enc("GET / HTTP/1.1\r\nHost: chat\r\n\r\n"), true],
    ["broken HTTP/2 preface", enc("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"), true],
    [
      "preface then a garbage frame",
      enc(PREFACE + "\x00\x00\x04\xff\x00\x00\x00\x00\x01junk"),
      true,
    ],
    // These two are not errors yet (more bytes may come): the connection just waits.
    ["preface then a frame cut short", enc(PREFACE + "\x00\x10\x00\x01\x04"), false],
    ["nothing at all", new Uint8Array(), false],
  ];
  let seq = 0;
  for (const [label, bytes, refused] of cases) {
    const { closed, reply } = await poke(server.port, bytes, refused ? 5_000 : 300);
    if (refused) {
      assert.ok(closed, `${label}: the server closed the connection`);
      assert.ok(frameTypes(reply).includes(GOAWAY), `${label}: the server said GOAWAY`);
    }
    // After each, the server still answers a real client.
    const reply2 = await send(client, me, `after ${label}`);
    assert.equal(reply2.seq, ++seq, label);
  }
  const status = await Promise.race([server.proc.status, Promise.resolve("running")]);
  assert.equal(status, "running", "the server process is still up");
  client.close();
  await server.proc.stop();
});
