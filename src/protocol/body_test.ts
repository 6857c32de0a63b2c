import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeBody, encodeFrame, encodeHistoryReply } from "./body.ts";
import { chatProto } from "./proto.ts";

const decodeDelivery = chatProto.chat.Chat.service.Subscribe.responseDeserialize;
const decodeHistory = chatProto.chat.Chat.service.History.responseDeserialize;

Deno.test("body: frames built from stored bodies decode as standard chat.Delivery", () => {
  const messages = [
    {
      seq: 1,
      senderId: "ab".repeat(16),
      senderName: "Luis",
      text: "hola",
      sentAtMs: 1_795_000_000_123,
      senderHandle: "luis",
    },
    {
      seq: 300,
      senderId: "cd".repeat(16),
      senderName: "José 界",
      text: "é".repeat(3000),
      sentAtMs: 1,
      senderHandle: "jose.x-1",
    },
    {
      seq: 2 ** 40,
      senderId: "ef".repeat(16),
      senderName: "x",
      text: "tab\tand emoji 🎉",
      sentAtMs: 0,
      senderHandle: "", // a guest
    },
  ];
  const frame = encodeFrame(
    "general",
    2 ** 40 + 5,
    messages.map((m) => ({ seq: m.seq, body: encodeBody(m) })),
  );
  const decoded = decodeDelivery(Buffer.from(frame));
  assert.deepEqual(decoded, {
    group: "general",
    throughSeq: 2 ** 40 + 5,
    messages,
    events: [],
    more: [],
  });
});

Deno.test("body: an empty frame (only the client's own messages) decodes too", () => {
  assert.deepEqual(decodeDelivery(Buffer.from(encodeFrame("general", 7, []))), {
    group: "general",
    throughSeq: 7,
    messages: [],
    events: [],
    more: [],
  });
});

Deno.test("body: a history page built from stored bodies decodes as standard chat.HistoryReply", () => {
  const messages = [1, 2, 200].map((seq) => ({
    seq,
    senderId: "ab".repeat(16),
    senderName: "Luis",
    text: `message ${seq}`,
    sentAtMs: 1_795_000_000_000 + seq,
    senderHandle: seq === 2 ? "" : "luis",
  }));
  const bodies = messages.map((m) => ({ seq: m.seq, body: encodeBody(m) }));
  assert.deepEqual(decodeHistory(Buffer.from(encodeHistoryReply(bodies, true))), {
    messages,
    more: true,
  });
  assert.deepEqual(decodeHistory(Buffer.from(encodeHistoryReply(bodies, false))), {
    messages,
    more: false,
  });
  assert.deepEqual(decodeHistory(Buffer.from(encodeHistoryReply([], false))), {
    messages: [],
    more: false,
  });
});
