import assert from "node:assert/strict";
import { decodePayload, encodePayload, sentBy } from "./payload.ts";

Deno.test("payload: each announcement round-trips with its node", () => {
  for (
    const change of [
      { kind: "room", name: "dev" },
      { kind: "client", id: "c1" },
      { kind: "account", handle: "alice" },
    ] as const
  ) {
    assert.deepEqual(decodePayload(encodePayload("n1", change)), { node: "n1", change });
  }
});

Deno.test("payload: messages as PostgreSQL's json_build_object writes them", () => {
  assert.deepEqual(
    decodePayload('{"n" : "n2", "k" : "m", "g" : "général", "s" : 42}'),
    { node: "n2", change: { kind: "messages", group: "général", through: 42 } },
  );
});

Deno.test("payload: messages carried along, with their bodies in base64", () => {
  assert.deepEqual(
    decodePayload(
      '{"n" : "n2", "k" : "m", "g" : "dev", "s" : 8, "b" : [[7,"c1","AAH/"],[8,"c2",""]]}',
    ),
    {
      node: "n2",
      change: {
        kind: "messages",
        group: "dev",
        through: 8,
        messages: [
          { seq: 7, senderId: "c1", body: new Uint8Array([0, 1, 255]) },
          { seq: 8, senderId: "c2", body: new Uint8Array([]) },
        ],
      },
    },
  );
  // null: too large to carry; only the group and its last sequence.
  assert.deepEqual(decodePayload('{"n":"n2","k":"m","g":"dev","s":8,"b":null}'), {
    node: "n2",
    change: { kind: "messages", group: "dev", through: 8 },
  });
});

Deno.test("payload: anything else is ignored, not thrown", () => {
  for (
    const payload of [
      "",
      "not json",
      "null",
      "42",
      '{"k":"r","r":"dev"}',
      '{"n":"n1","k":"x"}',
      '{"n":"n1","k":"m","g":"general","s":"7"}',
      '{"n":"n1","k":"c"}',
      // Messages that do not end at the sequence, have a gap, or are not what they should be.
      '{"n":"n1","k":"m","g":"dev","s":9,"b":[[7,"c1",""],[8,"c1",""]]}',
      '{"n":"n1","k":"m","g":"dev","s":8,"b":[[6,"c1",""],[8,"c1",""]]}',
      '{"n":"n1","k":"m","g":"dev","s":8,"b":[[8,"c1"]]}',
      '{"n":"n1","k":"m","g":"dev","s":8,"b":[]}',
      '{"n":"n1","k":"m","g":"dev","s":8,"b":"x"}',
    ]
  ) {
    assert.equal(decodePayload(payload), undefined, payload);
  }
});

Deno.test("payload: a node's own payloads are told from their first bytes", () => {
  const own = sentBy("a1b2");
  assert.ok(own(encodePayload("a1b2", { kind: "room", name: "dev" })));
  assert.ok(own('{"n" : "a1b2", "k" : "m", "g" : "dev", "s" : 8, "b" : [[8,"c1","AA=="]]}'));
  for (
    const payload of [
      encodePayload("a1b2c", { kind: "room", name: "dev" }),
      '{"n" : "a1b", "k" : "m", "g" : "dev", "s" : 8}',
      '{"k" : "m", "n" : "a1b2", "g" : "dev", "s" : 8}',
      "",
    ]
  ) {
    assert.ok(!own(payload), payload);
  }
});
