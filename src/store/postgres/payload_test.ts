import assert from "node:assert/strict";
import { decodePayload, encodePayload } from "./payload.ts";

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
    ]
  ) {
    assert.equal(decodePayload(payload), undefined, payload);
  }
});
