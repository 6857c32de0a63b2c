import assert from "node:assert/strict";
import { messageOf } from "./errors.ts";

Deno.test("errors: messageOf gives an Error's message and anything else as a string", () => {
  assert.equal(messageOf(new RangeError("port 70000")), "port 70000");
  assert.equal(messageOf("timeout"), "timeout");
  assert.equal(messageOf(undefined), "undefined");
});
