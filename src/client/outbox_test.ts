/**
 * The outbox over real gRPC: against the real server where that is what a user meets, and
 * against fake servers that store like the real one (a retry answered with its original
 * sequence) and then misbehave on purpose: a stream broken mid-flight, a message answered
 * UNAVAILABLE, a stream that stops answering, an identity the server forgets, no Publish.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { startChatServer } from "../server/chat_server.ts";
import { PUBLISH_WINDOW } from "../shared/limits.ts";
import {
  type ChatHandlers,
  CLIENT_ID_HEADER,
  PUBLISH_ORDER_HEADER,
  PUBLISH_ORDERED,
  type SendRequest,
} from "../protocol/proto.ts";
import { RefusedError } from "./calls.ts";
import type { ClientEvent, OfflineEvent } from "./events.ts";
import { IdentityStore } from "./identity_store.ts";
import { ChatSession } from "./session.ts";
import { fakeHandlers, startFake, unimplementedPublish, until } from "./testing.ts";

type PublishCall = Parameters<ChatHandlers["Publish"]>[0];
type PublishReplyOut = Parameters<PublishCall["write"]>[0];

interface Opened {
  s: ChatSession;
  events: ClientEvent[];
  offline(): OfflineEvent[];
}

/** A started session named `name` on 127.0.0.1:`port`, with quick retries. */
async function open(port: number, name = "Pat", callTimeoutMs = 3_000): Promise<Opened> {
  const events: ClientEvent[] = [];
  const dir = await Deno.makeTempDir({ prefix: "chat-outbox-" });
  const address = `127.0.0.1:${port}`;
  const s = new ChatSession({
    name,
    address,
    identity: await IdentityStore.open(dir, address, name),
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 20, maxMs: 200 },
    callTimeoutMs,
  });
  await s.start();
  const offline = () => events.flatMap((e) => e.type === "offline" ? [e] : []);
  return { s, events, offline };
}

/** `count` lines, `line 1` on. */
function lines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}`);
}

/**
 * What a fake server stores, keyed as the real one keys retries (sender, group,
 * client_msg_id): a retry is answered with its original sequence and stores nothing.
 */
class FakeStore {
  readonly stored: { clientId: string; group: string; text: string; clientMsgId: string }[] = [];
  #seqs = new Map<string, number>();

  /** Stores `request` from `clientId` unless it is a retry; its answer. */
  store(clientId: string, request: SendRequest): PublishReplyOut {
    const { group, text, clientMsgId } = request;
    const key = `${clientId}/${group}/${clientMsgId}`;
    const known = this.#seqs.get(key);
    if (known !== undefined) return stored(clientMsgId, known, true);
    this.stored.push({ clientId, group, text, clientMsgId });
    this.#seqs.set(key, this.stored.length);
    return stored(clientMsgId, this.stored.length, false);
  }

  /** The stored texts, in the order stored. */
  texts(): string[] {
    return this.stored.map((m) => m.text);
  }
}

function stored(clientMsgId: string, seq: number, duplicate: boolean): PublishReplyOut {
  return { clientMsgId, seq, sentAtMs: 1, duplicate, code: grpc.status.OK, details: "" };
}

/** One Publish stream as a fake server saw it. */
interface SeenStream {
  call: PublishCall;
  clientId: string;
  /** The client_msg_ids it carried, in order. */
  ids: string[];
  openedAt: number;
}

/**
 * A Publish handler that records each stream and hands each message to `onMessage` with
 * the stream's index; a stream the client half-closes is ended once `onMessage` has
 * answered all it was given (it says so by returning the number answered so far). It says
 * `x-chat-publish: ordered` as today's server does, unless `ordered` is false (an older one).
 */
function recordingPublish(
  streams: SeenStream[],
  onMessage: (stream: SeenStream, index: number, request: SendRequest) => void,
  { ordered = true } = {},
): ChatHandlers["Publish"] {
  return (call) => {
    if (ordered) {
      const headers = new grpc.Metadata();
      headers.set(PUBLISH_ORDER_HEADER, PUBLISH_ORDERED);
      call.sendMetadata(headers);
    }
    const seen: SeenStream = {
      call,
      clientId: String(call.metadata.get(CLIENT_ID_HEADER)[0] ?? ""),
      ids: [],
      openedAt: performance.now(),
    };
    const index = streams.push(seen) - 1;
    call.on("data", (request: SendRequest) => {
      seen.ids.push(request.clientMsgId);
      onMessage(seen, index, request);
    });
    call.on("end", () => call.end());
    call.on("error", () => {});
  };
}

Deno.test("outbox: many lines are pipelined on one Publish stream and stored once each, in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-outbox-" });
  const srv = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: null,
  });
  const pat = await open(srv.port, "Pat");
  const bob = await open(srv.port, "Bob");
  const texts = lines(2_000);
  const replies = await Promise.all(texts.map((t) => pat.s.send(t)));
  assert.deepEqual(replies.map((r) => [r.seq, r.duplicate]), texts.map((_, i) => [i + 1, false]));
  const inStore = await srv.reader.readRange("general", 0, await srv.reader.lastSeq("general"));
  assert.deepEqual(inStore.map((m) => m.text), texts, "stored once each, in the order sent");
  assert.ok(inStore.every((m) => m.senderId === pat.s.clientId));
  // One Send at a time never puts two messages of one client in a commit.
  assert.ok(srv.committer.stats.largestBatch > 1, JSON.stringify(srv.committer.stats));
  const received = () => bob.events.flatMap((e) => e.type === "message" ? [e.message.text] : []);
  await until(() => received().length === texts.length, "bob receives every line", 20_000);
  assert.deepEqual(received(), texts);
  assert.equal(pat.s.unsent, 0);
  assert.deepEqual(pat.offline(), []);
  await Promise.all([pat.s.close(), bob.s.close()]);
  await srv.shutdown();
});

Deno.test("outbox: the server restarted while lines are on their way: each stored once, in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-outbox-" });
  const options = { host: "127.0.0.1", port: 0, dbPath: `${dir}/chat.db`, members: null };
  const first = await startChatServer(options);
  const pat = await open(first.port);
  const texts = lines(3_000);
  const sends = texts.map((t) => pat.s.send(t));
  await until(async () => await first.reader.lastSeq("general") >= 500, "500 lines stored", 20_000);
  await first.shutdown();
  const second = await startChatServer({ ...options, port: first.port });
  const replies = await Promise.all(sends);
  assert.deepEqual(replies.map((r) => r.seq), texts.map((_, i) => i + 1));
  const inStore = await second.reader.readRange(
    "general",
    0,
    await second.reader.lastSeq("general"),
  );
  assert.deepEqual(inStore.map((m) => m.text), texts, "stored once each, in the order typed");
  assert.equal(pat.offline().length, 1, "the outage is said once");
  await pat.s.close();
  await second.shutdown();
});

Deno.test("outbox: a refusal in the middle of a stream drops that message only; the rest go on, in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-outbox-" });
  const logs: string[] = [];
  const srv = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: null,
    log: (line) => logs.push(line),
  });
  const pat = await open(srv.port);
  const texts = lines(50);
  const sends = texts.map((t, i) => pat.s.send(t, i === 24 ? "nowhere" : "general"));
  const outcomes = await Promise.allSettled(sends);
  const refusedAt = outcomes.flatMap((o, i) => o.status === "rejected" ? [i] : []);
  assert.deepEqual(refusedAt, [24]);
  const refusal = (outcomes[24] as PromiseRejectedResult).reason;
  assert.ok(refusal instanceof RefusedError && refusal.code === grpc.status.NOT_FOUND, refusal);
  const kept = texts.filter((_, i) => i !== 24);
  assert.deepEqual(
    outcomes.flatMap((o) => o.status === "fulfilled" ? [o.value.seq] : []),
    kept.map((_, i) => i + 1),
  );
  assert.deepEqual((await srv.reader.readRange("general", 0, 100)).map((m) => m.text), kept);
  const refused = pat.events.filter((e) => e.type === "refused");
  assert.equal(refused.length, 1);
  const [event] = refused;
  assert.ok(event.type === "refused");
  assert.deepEqual({ ...event, details: "" }, {
    type: "refused",
    group: "nowhere",
    text: "line 25",
    code: grpc.status.NOT_FOUND,
    details: "",
  });
  assert.match(event.details, /^there is no group "nowhere"/);
  // The server refused it as a message of a Publish stream, which then went on.
  assert.equal(logs.filter((l) => /^refused publish from .*: NOT_FOUND: /.test(l)).length, 1);
  assert.equal(pat.s.unsent, 0);
  await pat.s.close();
  await srv.shutdown();
});

Deno.test("outbox: a stream broken mid-flight: what was unanswered goes again with the same ids, after the backoff; stored once each, in order", async () => {
  const store = new FakeStore();
  const streams: SeenStream[] = [];
  let brokenAt = 0;
  let tenAnswered!: () => void;
  const answeredTen = new Promise<void>((resolve) => tenAnswered = resolve);
  const unary: string[] = [];
  const { fake, port } = await startFake(fakeHandlers({
    Send: (call) => void unary.push(call.request.text),
    Publish: recordingPublish(streams, (stream, index, request) => {
      if (index > 0) return stream.call.write(store.store(stream.clientId, request));
      const n = stream.ids.length;
      if (n > 30) return; // Arrived on a stream already broken: never read.
      const answer = store.store(stream.clientId, request);
      if (n <= 10) stream.call.write(answer);
      if (n === 30) {
        // 30 stored, 10 of them answered: the connection goes once the client has those
        // answers (grpc-js may send the status ahead of answers still being written).
        answeredTen.then(() => {
          brokenAt = performance.now();
          stream.call.emit("error", { code: grpc.status.UNAVAILABLE, details: "connection reset" });
        });
      }
    }),
  }));
  const pat = await open(port);
  const texts = lines(100);
  const sends = texts.map((t) => pat.s.send(t));
  Promise.all(sends.slice(0, 10)).then(() => tenAnswered());
  const replies = await Promise.all(sends);
  assert.deepEqual(
    replies.map((r) => [r.seq, r.duplicate]),
    texts.map((_, i) => [i + 1, i >= 10 && i < 30]),
    "the stored but unanswered are answered as retries, with their original sequence",
  );
  assert.deepEqual(store.texts(), texts, "stored once each, in order");
  assert.equal(streams.length, 2);
  const [first, second] = streams;
  // The first stream was read up to its break (30 and more); the second carries the 90 that
  // were unanswered, beginning with those the first took in, in the same order.
  assert.ok(first.ids.length >= 30, `${first.ids.length}`);
  assert.equal(second.ids.length, 90);
  assert.deepEqual(second.ids.slice(0, first.ids.length - 10), first.ids.slice(10));
  assert.equal(new Set([...first.ids.slice(0, 10), ...second.ids]).size, 100);
  const [offline] = pat.offline();
  assert.equal(pat.offline().length, 1);
  assert.deepEqual([offline.call, offline.details], ["send", "connection reset"]);
  assert.ok(
    second.openedAt - brokenAt >= offline.retryMs - 1,
    `the new stream came ${second.openedAt - brokenAt} ms after the break, ` +
      `the backoff said ${offline.retryMs} ms`,
  );
  assert.deepEqual(unary, [], "no Send: a backlog goes on a stream");
  assert.equal(pat.s.unsent, 0);
  await pat.s.close();
  fake.forceShutdown();
});

Deno.test("outbox: a message answered UNAVAILABLE goes again with everything after it, in order", async () => {
  const store = new FakeStore();
  const streams: SeenStream[] = [];
  const { fake, port } = await startFake(fakeHandlers({
    Publish: recordingPublish(streams, (stream, index, request) => {
      if (index === 0 && stream.ids.length === 5) {
        stream.call.write({
          clientMsgId: request.clientMsgId,
          seq: 0,
          sentAtMs: 0,
          duplicate: false,
          code: grpc.status.UNAVAILABLE,
          details: "the server cannot store messages now; retry shortly",
        });
        return;
      }
      if (index === 0 && stream.ids.length > 5) return; // After the failure: not stored.
      stream.call.write(store.store(stream.clientId, request));
    }),
  }));
  const pat = await open(port);
  const texts = lines(20);
  const replies = await Promise.all(texts.map((t) => pat.s.send(t)));
  assert.deepEqual(replies.map((r) => r.seq), texts.map((_, i) => i + 1));
  assert.deepEqual(store.texts(), texts);
  assert.equal(streams.length, 2);
  assert.deepEqual(streams[1].ids, streams[0].ids.slice(4));
  assert.deepEqual(
    pat.offline().map((e) => e.details),
    ["the server cannot store messages now; retry shortly"],
  );
  assert.deepEqual(pat.events.filter((e) => e.type === "refused"), []);
  await pat.s.close();
  fake.forceShutdown();
});

Deno.test("outbox: at most PUBLISH_WINDOW messages are on their way; the rest wait in the queue", async () => {
  const store = new FakeStore();
  const streams: SeenStream[] = [];
  const held: { stream: SeenStream; request: SendRequest }[] = [];
  let holding = true;
  let unanswered = 0;
  let mostUnanswered = 0;
  const answer = (stream: SeenStream, request: SendRequest) => {
    unanswered--;
    stream.call.write(store.store(stream.clientId, request));
  };
  const { fake, port } = await startFake(fakeHandlers({
    Publish: recordingPublish(streams, (stream, _index, request) => {
      mostUnanswered = Math.max(mostUnanswered, ++unanswered);
      if (holding) held.push({ stream, request });
      else answer(stream, request);
    }),
  }));
  const pat = await open(port);
  const count = PUBLISH_WINDOW + 100;
  const sends = lines(count).map((t) => pat.s.send(t));
  const received = () => streams.reduce((n, s) => n + s.ids.length, 0);
  await until(() => received() >= PUBLISH_WINDOW, "a full window");
  assert.equal(received(), PUBLISH_WINDOW, "no more than the window before an answer");
  assert.equal(pat.s.unsent, count);
  // Ten answers let ten more go.
  for (const { stream, request } of held.splice(0, 10)) answer(stream, request);
  await until(() => received() >= PUBLISH_WINDOW + 10, "ten more");
  assert.equal(received(), PUBLISH_WINDOW + 10);
  assert.equal(mostUnanswered, PUBLISH_WINDOW);
  holding = false;
  for (const { stream, request } of held.splice(0)) answer(stream, request);
  const replies = await Promise.all(sends);
  assert.deepEqual(replies.map((r) => r.seq), lines(count).map((_, i) => i + 1));
  assert.deepEqual(store.texts(), lines(count));
  assert.equal(streams.length, 1, "one stream carried them all");
  assert.equal(mostUnanswered, PUBLISH_WINDOW);
  await pat.s.close();
  fake.forceShutdown();
});

Deno.test("outbox: a server that does not say it keeps a stream's order (an older one) is sent one message at a time on its stream", async () => {
  const store = new FakeStore();
  const streams: SeenStream[] = [];
  let unanswered = 0;
  let mostUnanswered = 0;
  const { fake, port } = await startFake(fakeHandlers({
    Publish: recordingPublish(streams, (stream, _index, request) => {
      mostUnanswered = Math.max(mostUnanswered, ++unanswered);
      // Answered a little later, so that a client writing ahead would be seen doing it.
      setTimeout(() => {
        unanswered--;
        stream.call.write(store.store(stream.clientId, request));
      }, 2);
    }, { ordered: false }),
  }));
  const pat = await open(port);
  const replies = await Promise.all(lines(20).map((t) => pat.s.send(t)));
  assert.deepEqual(replies.map((r) => r.seq), lines(20).map((_, i) => i + 1));
  assert.deepEqual(store.texts(), lines(20));
  assert.equal(mostUnanswered, 1);
  await pat.s.close();
  fake.forceShutdown();
});

Deno.test("outbox: a stream that answers nothing for the call timeout is given up, and its messages sent again", async () => {
  const store = new FakeStore();
  const streams: SeenStream[] = [];
  const { fake, port } = await startFake(fakeHandlers({
    Publish: recordingPublish(streams, (stream, index, request) => {
      // The first stream takes everything in and never answers (a server that hangs).
      if (index > 0) stream.call.write(store.store(stream.clientId, request));
    }),
  }));
  const pat = await open(port, "Pat", 300);
  const texts = lines(10);
  const started = performance.now();
  const replies = await Promise.all(texts.map((t) => pat.s.send(t)));
  assert.ok(performance.now() - started >= 300, "not before the deadline");
  assert.deepEqual(replies.map((r) => r.seq), texts.map((_, i) => i + 1));
  assert.deepEqual(store.texts(), texts);
  assert.equal(streams.length, 2);
  assert.deepEqual(streams[1].ids, streams[0].ids);
  assert.deepEqual(
    pat.offline().map((e) => [e.call, e.details]),
    [["send", "the server did not answer within 300 ms"]],
  );
  await pat.s.close();
  fake.forceShutdown();
});

Deno.test("outbox: an identity the server forgets: registered anew, the stream restarts as the new one", async () => {
  const OLD = "0a".repeat(16);
  const NEW = "0b".repeat(16);
  let registrations = 0;
  const store = new FakeStore();
  const streams: SeenStream[] = [];
  let released = false;
  const { fake, port } = await startFake(fakeHandlers({
    Register: (call, cb) => {
      if (call.request.clientId === OLD) {
        cb({ code: grpc.status.NOT_FOUND, details: "no such client" });
        return;
      }
      const clientId = registrations++ === 0 ? OLD : NEW;
      cb(null, { clientId, key: "k", resumed: false, groups: [] });
    },
    Publish: (call) => {
      const clientId = String(call.metadata.get(CLIENT_ID_HEADER)[0]);
      if (clientId === OLD && released) {
        call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "unknown client" });
        return;
      }
      recordingPublish(streams, (stream, _index, request) => {
        if (stream.clientId === OLD) {
          // The server forgets the client while its messages are on their way: none stored.
          if (stream.ids.length === 3) {
            released = true;
            stream.call.emit("error", {
              code: grpc.status.UNAUTHENTICATED,
              details: "unknown client",
            });
          }
          return;
        }
        stream.call.write(store.store(stream.clientId, request));
      })(call);
    },
  }));
  const pat = await open(port);
  assert.equal(pat.s.clientId, OLD);
  const texts = lines(12);
  const replies = await Promise.all(texts.map((t) => pat.s.send(t)));
  assert.equal(pat.s.clientId, NEW);
  assert.deepEqual(replies.map((r) => r.seq), texts.map((_, i) => i + 1));
  assert.deepEqual(store.stored.map((m) => [m.clientId, m.text]), texts.map((t) => [NEW, t]));
  const last = streams.at(-1)!;
  assert.equal(last.clientId, NEW);
  assert.deepEqual(last.ids.length, texts.length);
  assert.deepEqual(
    last.ids.slice(0, 3),
    streams[0].ids.slice(0, 3),
    "the same messages, the same ids, in order",
  );
  assert.equal(pat.events.filter((e) => e.type === "identity-revoked").length, 1);
  assert.deepEqual(pat.offline(), [], "a new identity is not an outage");
  await pat.s.close();
  fake.forceShutdown();
});

Deno.test("outbox: a server without Publish (UNIMPLEMENTED) is sent one Send at a time, in order", async () => {
  let publishes = 0;
  let sending = 0;
  let mostSending = 0;
  const store = new FakeStore();
  const { fake, port } = await startFake(fakeHandlers({
    Publish: (call) => {
      publishes++;
      unimplementedPublish(call);
    },
    Send: (call, cb) => {
      mostSending = Math.max(mostSending, ++sending);
      setTimeout(() => {
        sending--;
        const { seq, duplicate } = store.store("me", call.request);
        cb(null, { seq, sentAtMs: 1, duplicate });
      }, 1);
    },
  }));
  const pat = await open(port);
  const texts = lines(20);
  const replies = await Promise.all(texts.map((t) => pat.s.send(t)));
  assert.deepEqual(replies.map((r) => r.seq), texts.map((_, i) => i + 1));
  assert.deepEqual(store.texts(), texts);
  assert.equal(mostSending, 1, "one at a time");
  // More lines later: Publish is not asked again.
  await Promise.all(lines(5).map((t) => pat.s.send(`again ${t}`)));
  assert.equal(publishes, 1);
  assert.deepEqual(pat.events.filter((e) => e.type === "refused" || e.type === "offline"), []);
  await pat.s.close();
  fake.forceShutdown();
});
