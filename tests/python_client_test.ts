/**
 * A client written by other people than ours: Python's `grpcio` (Debian's `python3-grpcio`, with
 * `python3-grpc-tools` to make its stubs from chat.proto at run time) registers, sends, retries,
 * subscribes, receives and acks against a real server process (`tests/python/chat_client.py`
 * says what it checks). Then the server is asked, through our own client, that the message was
 * stored once.
 *
 * Without a `python3` that imports `grpc` and `grpc_tools`, the test fails with one line saying
 * what to install; `CHAT_SKIP_PYTHON=1` ignores it instead. `CHAT_PYTHON` names the interpreter
 * to use; otherwise `python3` on the PATH, then `/usr/bin/python3` (Debian's packages are for
 * the system's Python, which a pyenv or venv `python3` earlier on the PATH does not see).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ChatMessage } from "../src/protocol/proto.ts";
import { rawClient, register, roomCall } from "./grpc.ts";
import { serverMetrics, startServer } from "./harness.ts";

const ROOT = new URL("../", import.meta.url);
const INSTALL = "apt-get install -y python3-grpcio python3-grpc-tools python3-pkg-resources";
const SKIP = Deno.env.get("CHAT_SKIP_PYTHON") === "1";

/** The first interpreter that imports grpc and grpc_tools, or why none did. */
async function findPython(): Promise<{ python?: string; tried: string[] }> {
  const candidates = [
    ...new Set([Deno.env.get("CHAT_PYTHON") ?? "", "python3", "/usr/bin/python3"]),
  ].filter(Boolean);
  const tried: string[] = [];
  for (const python of candidates) {
    try {
      const probe = await new Deno.Command(python, {
        args: ["-c", "import grpc, grpc_tools.protoc"],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      if (probe.success) return { python, tried };
      const why = new TextDecoder().decode(probe.stderr).trim().split("\n").pop();
      tried.push(`${python}: ${why || `exit ${probe.code}`}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      tried.push(`${python}: not found`);
    }
  }
  return { tried };
}

/** One line the Python client printed: a step that held, or (with `error`) the one that did not. */
interface Step {
  step: string;
  error?: string;
  [field: string]: unknown;
}

const STEPS = [
  "stubs",
  "register",
  "register",
  "subscribe",
  "send",
  "retry",
  "receive",
  "ack",
  "send2",
  "receive2",
  "ack2",
  "cursor",
  "not_member",
  "unknown",
  "bad_key",
  "close",
];

Deno.test({
  name: SKIP
    ? "python: a grpcio client (ignored: CHAT_SKIP_PYTHON=1)"
    : "python: a grpcio client made from chat.proto registers, sends, retries, subscribes, receives and acks; the server stored the message once",
  ignore: SKIP,
  async fn() {
    const { python, tried } = await findPython();
    if (!python) {
      throw new Error(
        `no python3 with the grpc and grpc_tools modules (${tried.join("; ")}): ` +
          `install them with: ${INSTALL} (or set CHAT_SKIP_PYTHON=1 to skip this test)`,
      );
    }
    const dir = await Deno.makeTempDir({ prefix: "chat-python-" });
    // `staff` is closed to an account nobody here has: Pyalice is not a member.
    const server = await startServer({ db: `${dir}/chat.db`, extra: ["-group", "staff=carol"] });
    const checker = rawClient(server.port);
    try {
      const run = await new Deno.Command(python, {
        args: [
          "tests/python/chat_client.py",
          "--port",
          String(server.port),
          "--closed-group",
          "staff",
          "--timeout",
          "50",
        ],
        cwd: ROOT,
        env: { PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stdout = new TextDecoder().decode(run.stdout);
      const stderr = new TextDecoder().decode(run.stderr);
      const transcript = () =>
        `${python} tests/python/chat_client.py exited ${run.code}\n--- stdout\n${stdout}` +
        `--- stderr\n${stderr}--- server\n${server.proc.transcript()}`;
      const steps: Step[] = stdout.split("\n").filter((l) => l.trim()).map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return { step: "?", error: `not a JSON line: ${line}` };
        }
      });
      const failed = steps.find((s) => s.error !== undefined);
      assert.equal(failed, undefined, transcript());
      assert.equal(run.code, 0, transcript());
      assert.deepEqual(steps.map((s) => s.step), STEPS, transcript());

      const at = (name: string, nth = 0) => steps.filter((s) => s.step === name)[nth];
      const pick = (s: Step, ...keys: string[]) => Object.fromEntries(keys.map((k) => [k, s[k]]));
      assert.deepEqual(pick(at("register", 0), "name", "handle", "guest"), {
        name: "Pyalice",
        handle: "pyalice",
        guest: false,
      });
      assert.deepEqual(pick(at("register", 1), "name", "handle", "guest"), {
        name: "Pybob",
        handle: "pybob",
        guest: false,
      });
      assert.deepEqual(pick(at("send"), "group", "seq", "duplicate"), {
        group: "general",
        seq: 1,
        duplicate: false,
      });
      assert.deepEqual(pick(at("retry"), "seq", "duplicate"), { seq: 1, duplicate: true });
      const text = "hello from grpcio, ünïcode ✓";
      assert.deepEqual(
        pick(at("receive"), "group", "through_seq", "seq", "sender_name", "sender_handle", "text"),
        {
          group: "general",
          through_seq: 1,
          seq: 1,
          sender_name: "Pyalice",
          sender_handle: "pyalice",
          text,
        },
      );
      assert.deepEqual(pick(at("ack"), "group", "seq"), { group: "general", seq: 1 });
      assert.deepEqual(pick(at("send2"), "seq", "duplicate"), { seq: 2, duplicate: false });
      assert.deepEqual(pick(at("receive2"), "through_seq", "seq", "text"), {
        through_seq: 2,
        seq: 2,
        text: "second, after the retry",
      });
      assert.deepEqual(pick(at("ack2"), "group", "seq"), { group: "general", seq: 2 });
      assert.deepEqual(pick(at("cursor"), "resumed", "cursor", "last_seq", "unread"), {
        resumed: true,
        cursor: 2,
        last_seq: 2,
        unread: 0,
      });
      assert.deepEqual(pick(at("not_member"), "group", "code"), {
        group: "staff",
        code: "PERMISSION_DENIED",
      });
      assert.deepEqual(pick(at("unknown"), "code"), { code: "NOT_FOUND" });
      assert.match(String(at("unknown").details), /no group "no-such-group"/);
      assert.equal(at("bad_key").code, "UNAUTHENTICATED");
      assert.equal(at("close").code, "OK");

      // The server's side, through our own client: stored once, the retry not again.
      const me = await register(checker, "Checker");
      const general = me.groups.find((g) => g.name === "general");
      assert.equal(general?.lastSeq, 2, "general holds the two messages, not the retry");
      const page = await roomCall<{ messages: ChatMessage[]; more: boolean }>(
        checker,
        me,
        "History",
        { room: "general" },
      );
      assert.deepEqual(
        page.messages.map((m) => [m.seq, m.senderName, m.senderHandle, m.text]),
        [[1, "Pyalice", "pyalice", text], [2, "Pyalice", "pyalice", "second, after the retry"]],
      );
      assert.equal(page.more, false);
      const metrics = await serverMetrics(server.proc);
      assert.equal(metrics.chat_messages_stored_total, 2, "stored once each");
      assert.equal(metrics.chat_deliveries_total, 2, "Pybob was sent each once");
    } finally {
      checker.close();
      await server.proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
