import assert from "node:assert/strict";
import { displayName, formatMessage } from "./format.ts";

Deno.test("format: an account's device shows its handle first; a guest is marked, whatever its name", () => {
  assert.equal(displayName({ name: "Alice", id: "67f6aa", handle: "alice" }), "@alice Alice#67f6");
  assert.equal(displayName({ name: "alice", id: "c0de11" }), "~alice#c0de");
  assert.equal(displayName({ name: "alice", id: "c0de11", handle: "" }), "~alice#c0de");
  // A guest cannot put "@alice " where the account's mark goes: its line starts with "~".
  assert.equal(
    formatMessage("general", { senderName: "@alice Alice", senderId: "c0de11", text: "hi" }),
    "[general] ~@alice Alice#c0de: hi",
  );
  assert.equal(
    formatMessage("general", {
      senderName: "Alice",
      senderId: "67f6aa",
      senderHandle: "alice",
      text: "hi",
    }),
    "[general] @alice Alice#67f6: hi",
  );
});
