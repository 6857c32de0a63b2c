import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { chatProto, type Delivery } from "./proto.ts";
import { encodeBody } from "./body.ts";
import {
  combineWithMore,
  encodeDelivery,
  encodeEvents,
  encodePublishReply,
  MORE_FIELD,
  moreOverhead,
} from "./wire.ts";

const combine = (frames: Uint8Array[]) => combineWithMore(frames, MORE_FIELD.delivery);

const decode = (bytes: Buffer) =>
  chatProto.chat.Chat.service.Subscribe.responseDeserialize(bytes) as Delivery;

function frame(group: string, seqs: number[], text = "hi") {
  return {
    group,
    throughSeq: seqs.at(-1) ?? 0,
    messages: seqs.map((seq) => ({
      seq,
      senderId: "s",
      body: encodeBody({
        senderId: "s",
        senderName: "S",
        text: `${text} ${seq}`,
        sentAtMs: 1,
        senderHandle: "",
      }),
    })),
  };
}

Deno.test("wire: combined frames decode as the first frame with the others in `more`, in order, each whole", () => {
  const a = encodeDelivery(frame("a", [1, 2]));
  // A frame whose length needs a two-byte varint, to check the prefix.
  const b = encodeDelivery(frame("b", [7], "x".repeat(300)));
  const c = encodeEvents("c", [{
    kind: 1,
    member: { handle: "bob", role: 0, name: "Bob", clientId: "", devicesOnline: 0 },
    by: "",
  }]);
  const combined = combine([a, b, c]);
  assert.equal(
    combined.length,
    a.length + moreOverhead(b.length) + b.length + moreOverhead(c.length) + c.length,
  );
  const d = decode(combined);
  assert.deepEqual([d.group, d.throughSeq, d.messages.map((m) => m.text)], ["a", 2, [
    "hi 1",
    "hi 2",
  ]]);
  assert.deepEqual(d.more.map((m) => [m.group, m.throughSeq, m.messages.length, m.events.length]), [
    ["b", 7, 1, 0],
    ["c", 0, 0, 1],
  ]);
  assert.equal(d.more[0].messages[0].text, `${"x".repeat(300)} 7`);
  assert.deepEqual(d.more[1].events[0].member?.handle, "bob");
  // One frame alone is the frame itself.
  assert.deepEqual(combine([a]), a);
});

Deno.test("wire: a PublishReply written by hand decodes as what protobufjs writes decodes, and is no longer", () => {
  const { responseSerialize, responseDeserialize } = chatProto.chat.Chat.service.Publish;
  const cases = [
    {
      clientMsgId: "m1",
      seq: 1,
      sentAtMs: 1_764_000_000_000,
      duplicate: false,
      code: 0,
      details: "",
    },
    { clientMsgId: "m1", seq: 2 ** 40 + 5, sentAtMs: 1, duplicate: true, code: 0, details: "" },
    {
      clientMsgId: "",
      seq: 0,
      sentAtMs: 0,
      duplicate: false,
      code: 3,
      details: "the message is empty",
    },
    {
      clientMsgId: "ü✓",
      seq: 0,
      sentAtMs: 0,
      duplicate: false,
      code: 16,
      details: "wrong key: ✗".repeat(20),
    },
  ];
  for (const reply of cases) {
    const mine = encodePublishReply(reply);
    const theirs = responseSerialize(reply);
    assert.deepEqual(responseDeserialize(mine), responseDeserialize(theirs), JSON.stringify(reply));
    assert.deepEqual(responseDeserialize(mine), { ...reply, more: [] });
    // protobufjs writes the fields it was given even when they hold defaults; proto3 need not.
    assert.ok(mine.length <= theirs.length);
  }
});
