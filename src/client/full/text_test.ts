import assert from "node:assert/strict";
import fc from "fast-check";
import { cellWidth, graphemes, inert, padEnd, truncate, wrap } from "./text.ts";

// deno-lint-ignore no-control-regex -- what the tests look for
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const FAMILY = "👨‍👩‍👧";

/** Asserts that nothing in `text` is a character a terminal acts on. */
function assertInert(text: string) {
  assert.doesNotMatch(text, CONTROL);
  assert.doesNotMatch(text, BIDI_CONTROL);
  assert.ok(text.isWellFormed(), "no lone surrogate");
}

Deno.test("text: inert shows an escape sequence as visible characters", () => {
  assert.equal(inert("\x1b[2J\x1b[31mred"), "␛[2J␛[31mred");
  assert.equal(inert("\x1b]0;title\x07"), "␛]0;title␇");
  assert.equal(inert("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "␛]8;;http://x␛\\link␛]8;;␛\\");
  for (const text of ["\x1b[2J\x1b[31mred", "\x1b]0;title\x07", "\x1bc\x1b[H\x1b[?1049h"]) {
    assertInert(inert(text));
  }
});

Deno.test("text: inert shows every C0 control and DEL as its control picture", () => {
  assert.equal(inert("\x00"), "␀");
  assert.equal(inert("a\nb\rc"), "a␊b␍c");
  assert.equal(inert("\x08\x0c\x1f"), "␈␌␟");
  assert.equal(inert("\x7f"), "␡");
  for (let code = 0; code < 0x20; code++) {
    if (code === 0x09) continue;
    assert.equal(inert(String.fromCharCode(code)), String.fromCharCode(0x2400 + code));
  }
});

Deno.test("text: inert turns a tab into one space", () => {
  assert.equal(inert("a\tb\t\tc"), "a b  c");
});

Deno.test("text: inert replaces C1 controls, the one-byte CSI among them", () => {
  assert.equal(inert("\x9b2J\x9b31mred"), "\ufffd2J\ufffd31mred");
  assert.equal(inert("\x80\x85\x90\x9d\x9f"), "\ufffd".repeat(5));
  for (let code = 0x80; code < 0xa0; code++) {
    assert.equal(inert(String.fromCharCode(code)), "\ufffd");
  }
  // The first character after C1 is an ordinary letter.
  assert.equal(inert("\xa0é"), "\xa0é");
});

Deno.test("text: inert disarms bidirectional formatting but keeps the joiners", () => {
  assert.equal(inert("user\u202Egpj.exe"), "user\ufffdgpj.exe");
  const bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069";
  assert.equal(inert(bidi), "\ufffd".repeat(12));
  assert.equal(inert(FAMILY), FAMILY);
  assert.equal(inert("می\u200Cخواهم"), "می\u200Cخواهم");
});

Deno.test("text: inert replaces line separators and lone surrogates", () => {
  assert.equal(inert("a\u2028b\u2029c"), "a\ufffdb\ufffdc");
  assert.equal(inert("a\ud800b"), "a\ufffdb");
  assert.equal(inert("\udfffa\ud83d"), "\ufffda\ufffd");
  assert.equal(inert("😀\ud83d"), "😀\ufffd");
  assert.equal(inert("\x1b\ud800"), "␛\ufffd");
  assertInert(inert("\ud83d\x1b[0m\u202e\udc00"));
});

Deno.test("text: inert keeps right-to-left letters, measured by their columns", () => {
  assert.equal(inert("שלום"), "שלום");
  assert.equal(inert("مرحبا"), "مرحبا");
  assert.equal(cellWidth("שלום"), 4);
  assert.equal(cellWidth("مرحبا"), 5);
  assert.deepEqual(wrap("שלום עולם", 5), ["שלום", "עולם"]);
});

Deno.test("text: inert returns text with nothing to change as it is, without copying", () => {
  const clean = ["", "hello", "你好 😀 " + FAMILY, "e\u0301", "שלום", "\u200d\u200c", "…␛"];
  for (const text of clean) assert.equal(inert(text), text);
  // A string's identity cannot be observed, so look for the slow path instead.
  const original = String.prototype.toWellFormed;
  let slow = 0;
  String.prototype.toWellFormed = function (this: string) {
    slow++;
    return original.call(this);
  };
  try {
    for (const text of clean) inert(text);
    assert.equal(slow, 0);
    inert("\x1b");
    assert.equal(slow, 1);
  } finally {
    String.prototype.toWellFormed = original;
  }
});

Deno.test("text: cellWidth counts terminal columns", () => {
  assert.equal(cellWidth(""), 0);
  assert.equal(cellWidth("hello"), 5);
  assert.equal(cellWidth("你好"), 4);
  assert.equal(cellWidth("😀"), 2);
  assert.equal(cellWidth(FAMILY), 2);
  assert.equal(cellWidth("🇫🇷"), 2);
  assert.equal(cellWidth("e\u0301"), 1);
  assert.equal(cellWidth("\u200d"), 0);
  // What inert puts in place of controls is one column each.
  assert.equal(cellWidth("␛␀␊␍␡\ufffd"), 6);
  // Ambiguous width is narrow, as in ink.
  assert.equal(cellWidth("±§…"), 3);
});

Deno.test("text: graphemes keeps user-perceived characters whole", () => {
  assert.deepEqual(graphemes(""), []);
  assert.deepEqual(graphemes("ab"), ["a", "b"]);
  assert.deepEqual(graphemes(`e\u0301${FAMILY}!`), ["e\u0301", FAMILY, "!"]);
  assert.deepEqual(graphemes("🇫🇷🇩🇪"), ["🇫🇷", "🇩🇪"]);
  assert.deepEqual(graphemes("你好"), ["你", "好"]);
});

Deno.test("text: wrap breaks after spaces", () => {
  assert.deepEqual(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
  assert.deepEqual(wrap("the quick brown fox", 9), ["the quick", "brown fox"]);
  assert.deepEqual(wrap("the quick brown fox", 15), ["the quick brown", "fox"]);
  assert.deepEqual(wrap("aa bb cc", 2), ["aa", "bb", "cc"]);
  // The spaces at a break go, and so does a continuation row's indentation.
  assert.deepEqual(wrap("aaa    bbb", 4), ["aaa", "bbb"]);
  assert.deepEqual(wrap("aaa    bbb", 5), ["aaa", "bbb"]);
  assert.deepEqual(wrap("aaaa   ", 4), ["aaaa"]);
  // The first row keeps its own.
  assert.deepEqual(wrap("  ab cd", 5), ["  ab", "cd"]);
  assert.deepEqual(wrap("      x", 3), ["   ", "x"]);
});

Deno.test("text: wrap returns a text that fits as its only row, and an empty text as one row", () => {
  assert.deepEqual(wrap("", 10), [""]);
  assert.deepEqual(wrap("hello", 5), ["hello"]);
  assert.deepEqual(wrap(" hi  ", 10), [" hi  "]);
  assert.deepEqual(wrap("你好", 4), ["你好"]);
});

Deno.test("text: wrap breaks a word longer than the row", () => {
  assert.deepEqual(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrap("a verylongword b", 5), ["a", "veryl", "ongwo", "rd b"]);
  assert.deepEqual(wrap("ab cdefgh", 4), ["ab", "cdef", "gh"]);
  assert.deepEqual(wrap("e\u0301e\u0301e\u0301", 2), ["e\u0301e\u0301", "e\u0301"]);
});

Deno.test("text: wrap breaks CJK between characters, never inside one", () => {
  assert.deepEqual(wrap("你好世界", 5), ["你好", "世界"]);
  assert.deepEqual(wrap("你好世界", 3), ["你", "好", "世", "界"]);
  assert.deepEqual(wrap("a你好", 2), ["a", "你", "好"]);
  assert.deepEqual(wrap("ab😀cd", 3), ["ab", "😀c", "d"]);
});

Deno.test("text: wrap never splits a ZWJ sequence", () => {
  assert.deepEqual(wrap(`ab${FAMILY}cd`, 3), ["ab", `${FAMILY}c`, "d"]);
  assert.deepEqual(wrap(FAMILY.repeat(3), 5), [FAMILY.repeat(2), FAMILY]);
  assert.deepEqual(wrap(FAMILY, 1), [FAMILY]);
});

Deno.test("text: wrap gives a character wider than the row a row to itself", () => {
  assert.deepEqual(wrap("a你b", 1), ["a", "你", "b"]);
  assert.deepEqual(wrap("你 好", 1), ["你", "好"]);
  assert.deepEqual(wrap("ab", 1), ["a", "b"]);
  // Widths below 1 are taken as 1.
  assert.deepEqual(wrap("ab", 0), ["a", "b"]);
});

Deno.test("text: truncate cuts with an ellipsis", () => {
  assert.equal(truncate("hello world", 8), "hello w…");
  assert.equal(truncate("hello world", 11), "hello world");
  assert.equal(truncate("hello world", 100), "hello world");
  assert.equal(truncate("ab", 1), "…");
  assert.equal(truncate("a", 1), "a");
  assert.equal(truncate("hello", 0), "");
  assert.equal(truncate("", 0), "");
  assert.equal(truncate("", 3), "");
  assert.equal(truncate("e\u0301e\u0301e\u0301", 2), "e\u0301…");
  assert.equal(truncate(`${FAMILY}${FAMILY}`, 3), `${FAMILY}…`);
  assert.equal(truncate(`${FAMILY}${FAMILY}`, 2), "…");
  assert.equal(truncate(`${FAMILY}${FAMILY}`, 4), `${FAMILY}${FAMILY}`);
});

Deno.test("text: truncate drops a wide character that would straddle the limit", () => {
  assert.equal(truncate("a你好", 3), "a…");
  assert.equal(cellWidth(truncate("a你好", 3)), 2);
  assert.equal(truncate("你好世界", 5), "你好…");
  assert.equal(truncate("你好", 1), "…");
  assert.equal(truncate("你好", 4), "你好");
});

Deno.test("text: padEnd fills to exactly the width", () => {
  assert.equal(padEnd("ab", 5), "ab   ");
  assert.equal(padEnd("hello", 5), "hello");
  assert.equal(padEnd("hello world", 8), "hello w…");
  assert.equal(padEnd("a你好", 3), "a… ");
  assert.equal(padEnd("你", 1), "…");
  assert.equal(padEnd("你好", 3), "你…");
  assert.equal(padEnd("", 2), "  ");
  assert.equal(padEnd("abc", 0), "");
});

/** Pieces picked to break a layout: every kind of character the module handles, and spaces. */
const tricky = fc.constantFrom(
  " ",
  " ",
  "a",
  "\t",
  "\x1b",
  "\x9b",
  "\u202e",
  "\u2028",
  "\ud800",
  "\udc00",
  "\u200d",
  "\u0301",
  "你",
  "😀",
  FAMILY,
  "🇫",
  "\ufe0f",
  "ש",
  "\u1100",
  "\u1161",
  "क",
  "\u093f",
);

const texts = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.string({ unit: tricky, maxLength: 200 }),
);

Deno.test("text: wrap keeps every row within the width and loses no character", () => {
  fc.assert(
    fc.property(texts, fc.integer({ min: 2, max: 40 }), (raw, width) => {
      const text = inert(raw);
      assertInert(text);
      const rows = wrap(text, width);
      assert.ok(rows.length >= 1);
      for (const row of rows) {
        // Only a single cluster wider than the row (Hangul jamo add up) may exceed it.
        if (graphemes(row).length > 1) assert.ok(cellWidth(row) <= width, JSON.stringify(row));
      }
      const nonSpace = (s: string) => s.replaceAll(" ", "");
      assert.equal(nonSpace(rows.join("")), nonSpace(text));
      // Each row is cut at cluster boundaries, so it holds the same clusters the text did.
      const kept = graphemes(text).filter((g) => g !== " ");
      assert.deepEqual(rows.flatMap(graphemes).filter((g) => g !== " "), kept);
    }),
    { seed: 20260521, numRuns: 2000 },
  );
});

Deno.test("text: truncate and padEnd keep to the width", () => {
  fc.assert(
    fc.property(texts, fc.integer({ min: 0, max: 40 }), (raw, width) => {
      const text = inert(raw);
      const cut = truncate(text, width);
      assert.ok(cellWidth(cut) <= width);
      if (width === 0) assert.equal(cut, "");
      else if (cut !== text) {
        // Cut means: a prefix of whole clusters, then the ellipsis.
        assert.ok(cut.endsWith("…") && text.startsWith(cut.slice(0, -1)), JSON.stringify(cut));
        const kept = graphemes(cut.slice(0, -1));
        assert.deepEqual(kept, graphemes(text).slice(0, kept.length));
      }
      assert.equal(cellWidth(padEnd(text, width)), width);
    }),
    { seed: 20260521, numRuns: 2000 },
  );
});
