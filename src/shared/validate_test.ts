import assert from "node:assert/strict";
import { checkClientMsgId, checkHandle, checkName, checkText, handleOf } from "./validate.ts";
import { MAX_NAME_LENGTH, MAX_TEXT_BYTES } from "./limits.ts";

Deno.test("validate: names", () => {
  assert.equal(checkName("Luis"), undefined);
  assert.equal(checkName("José María"), undefined);
  assert.equal(checkName("界".repeat(MAX_NAME_LENGTH)), undefined, "the limit counts characters");
  assert.equal(checkName(""), "the name is empty");
  assert.equal(checkName("   "), "the name is empty");
  assert.equal(checkName("x".repeat(65)), "the name is 65 characters long; the limit is 64");
  assert.equal(checkName("Lu\u0000is"), "the name contains a control character");
  assert.equal(checkName("Lu\nis"), "the name contains a control character");
  assert.equal(checkName("evil\u202e"), "the name contains a control character");
  assert.equal(checkName(" Luis"), "the name starts or ends with a space");
});

Deno.test("validate: texts", () => {
  assert.equal(checkText("hello"), undefined);
  assert.equal(checkText("tab\tok"), undefined);
  assert.equal(checkText("é".repeat(MAX_TEXT_BYTES / 2)), undefined, "the limit counts bytes");
  assert.equal(
    checkText("é".repeat(MAX_TEXT_BYTES / 2 + 1)),
    "the message is 4098 bytes long; the limit is 4096 bytes",
  );
  assert.equal(checkText(""), "the message is empty");
  assert.equal(checkText("two\nlines"), "the message contains a control character");
  assert.equal(checkText("\u001b[2Jclear"), "the message contains a control character");
});

Deno.test("validate: client message ids", () => {
  assert.equal(checkClientMsgId("a1b2"), undefined);
  assert.match(checkClientMsgId("")!, /empty/);
  assert.match(checkClientMsgId("x".repeat(65))!, /65 characters long/);
  assert.match(checkClientMsgId("a\u0001")!, /control character/);
});

Deno.test("validate: a name may not hide characters that make two names look alike", () => {
  for (const hidden of ["\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u3164", "\ufe0f"]) {
    assert.equal(
      checkName(`al${hidden}ice`),
      "the name contains an invisible character",
      JSON.stringify(hidden),
    );
  }
  assert.equal(checkName("al\u202eice"), "the name contains a control character");
  assert.equal(checkName("José 界"), undefined, "letters of any script are fine in a display name");
});

Deno.test("validate: handles are ASCII, so no lookalike letter can pass for one", () => {
  assert.equal(handleOf("Alice"), "alice");
  assert.equal(handleOf("bob.smith-2_x"), "bob.smith-2_x");
  assert.equal(handleOf("\u0430lice"), undefined, "a Cyrillic a is not an a");
  assert.equal(handleOf("Mary Ann"), undefined);
  assert.equal(checkHandle(""), "the handle is empty");
  assert.equal(checkHandle("x".repeat(65)), "the handle is 65 characters long; the limit is 64");
  assert.equal(
    checkHandle("al ice"),
    "a handle may have only ASCII letters, digits, '.', '_' and '-'",
  );
});
