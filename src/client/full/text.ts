/**
 * Text from the network, made safe and measurable for a terminal.
 *
 * Display names, message texts, room names and the details of a refusal come
 * from other people. Written to a terminal as they are, they could move the
 * cursor, change colours, clear the screen, set the window title or reorder the
 * rest of the line; {@link inert} turns every such character into a visible
 * stand-in. The full-screen client then draws rows of a fixed number of
 * columns, so it needs each text's exact width in cells: {@link cellWidth},
 * {@link wrap}, {@link truncate} and {@link padEnd} measure with `string-width`,
 * the package ink lays text out with, so their arithmetic and ink's agree.
 *
 * Everything here works on grapheme clusters (what a reader sees as one
 * character: an emoji family joined by ZWJ, a letter with its accents) and never
 * splits one.
 *
 * @module
 */
import stringWidth from "string-width";

// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE = /[\0-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\p{Cs}]/u;
// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE_ALL = /[\0-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const REPLACEMENT = "\ufffd";
const ELLIPSIS = "…";

/** The visible stand-in for one character {@link UNSAFE_ALL} matched. */
function standIn(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x09) return " ";
  // Control Pictures (U+2400..U+241F) mirror C0 one for one, and U+2421 is DEL's.
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return REPLACEMENT;
}

/**
 * Returns `text` with every character a terminal could act on replaced by a
 * visible stand-in, so that whatever it holds is only ever shown:
 *
 * - C0 controls become their Control Pictures (ESC → `␛`, LF → `␊`), so an
 *   escape sequence is seen rather than obeyed; TAB becomes one space, since a
 *   tab's width depends on the column it lands in.
 * - DEL becomes `␡`.
 * - C1 controls (U+0080–U+009F; U+009B is a one-byte CSI to some terminals),
 *   the bidirectional formatting characters that reorder what follows them
 *   (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the line and
 *   paragraph separators U+2028/U+2029 and lone surrogates become U+FFFD `�`.
 *
 * Right-to-left letters stay, and so do ZWJ and ZWNJ: emoji sequences and
 * Persian need them, and they reorder nothing.
 *
 * @example Usage
 * ```ts
 * import { inert } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(inert("\x1b[2Jgone"), "␛[2Jgone");
 * assert.equal(inert("a\tb"), "a b");
 * ```
 */
export function inert(text: string): string {
  // Runs on every message, and nearly every message needs nothing.
  if (!UNSAFE.test(text)) return text;
  return text.toWellFormed().replace(UNSAFE_ALL, standIn);
}

/**
 * Returns the number of terminal columns `text` takes, as ink counts them:
 * CJK and emoji take 2, combining marks and joiners 0, characters of ambiguous
 * width 1. `text` should already be {@link inert}: controls have no width of
 * their own, and an escape sequence would be skipped as if it were invisible.
 *
 * @example Usage
 * ```ts
 * import { cellWidth } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cellWidth("你好"), 4);
 * assert.equal(cellWidth("e\u0301"), 1);
 * ```
 */
export function cellWidth(text: string): number {
  return stringWidth(text);
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Returns the user-perceived characters (extended grapheme clusters) of `text`,
 * in order; joined, they are `text` again.
 *
 * @example Usage
 * ```ts
 * import { graphemes } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(graphemes("e\u0301👨‍👩‍👧!"), ["e\u0301", "👨‍👩‍👧", "!"]);
 * ```
 */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

// Chat text repeats the same few non-ASCII characters, and string-width is not
// cheap for them (emoji regexes, East Asian Width lookups).
const widthCache = new Map<string, number>();
const WIDTH_CACHE_SIZE = 4096;
const WIDTH_CACHE_KEY_LENGTH = 32;

/** The width of one grapheme cluster. */
function graphemeWidth(grapheme: string): number {
  if (grapheme.length === 1) {
    const code = grapheme.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) return 1;
  }
  let width = widthCache.get(grapheme);
  if (width === undefined) {
    width = stringWidth(grapheme);
    if (grapheme.length <= WIDTH_CACHE_KEY_LENGTH) {
      if (widthCache.size >= WIDTH_CACHE_SIZE) widthCache.clear();
      widthCache.set(grapheme, width);
    }
  }
  return width;
}

/** A row width the layout can use: a whole number, at least `min`. */
function columns(width: number, min: number): number {
  return Number.isFinite(width) ? Math.max(min, Math.floor(width)) : min;
}

/**
 * Breaks a single line of (already {@link inert}) text into rows of at most
 * `width` columns.
 *
 * A row breaks after a space where it can; the spaces at the break are dropped,
 * and so are the spaces a continuation row would start with (the first row
 * keeps its indentation). A word longer than a row is broken between grapheme
 * clusters, never inside one. A cluster wider than the whole row (a 2-column
 * character in a 1-column row) gets a row to itself, the only row that can be
 * wider than `width`. A text that fits comes back as its only row, unchanged;
 * an empty text is one empty row.
 *
 * The cost is linear in the length of `text`: widths are summed as the text is
 * walked, never measured again. Widths below 1 count as 1.
 *
 * @example Usage
 * ```ts
 * import { wrap } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
 * assert.deepEqual(wrap("你好世界", 5), ["你好", "世界"]);
 * ```
 */
export function wrap(text: string, width: number): string[] {
  const max = columns(width, 1);
  const parts = PRINTABLE_ASCII.test(text) ? text.split("") : graphemes(text);
  const n = parts.length;
  // at[i]: the width of parts[0..i), so any run's width is one subtraction.
  const at = new Array<number>(n + 1);
  at[0] = 0;
  for (let i = 0; i < n; i++) at[i + 1] = at[i] + graphemeWidth(parts[i]);

  const rows: string[] = [];
  const row = (from: number, to: number) => rows.push(parts.slice(from, to).join(""));
  let start = 0; // the current row is parts[start..i)
  let contentEnd = 0; // end of its last cluster that is not a space
  let breakEnd = -1; // where it would end if broken at its last run of spaces, -1 for no such run
  let resume = 0; // where the next row would then start

  for (let i = 0; i < n; i++) {
    const fits = at[i + 1] - at[start] <= max;
    if (parts[i] === " ") {
      if (i === start && rows.length > 0) {
        start = contentEnd = i + 1;
      } else if (!fits) {
        // A row of nothing but spaces can only be the first row's indentation.
        row(start, contentEnd > start ? contentEnd : i);
        start = contentEnd = i + 1;
        breakEnd = -1;
      } else if (contentEnd > start) {
        breakEnd = contentEnd;
        resume = i + 1;
      }
      continue;
    }
    // A cluster wider than the row still has to go somewhere: on a row of its own.
    if (!fits && at[i] > at[start]) {
      if (breakEnd > start) {
        row(start, breakEnd);
        start = resume;
        breakEnd = -1;
      }
      // What moved down from the last space may still leave no room.
      if (at[i + 1] - at[start] > max && at[i] > at[start]) {
        row(start, i);
        start = i;
      }
    }
    contentEnd = i + 1;
  }
  if (start < n || rows.length === 0) row(start, n);
  return rows;
}

/** {@link truncate}, and the width of what it returns. */
function truncated(text: string, width: number): [string, number] {
  const max = columns(width, 0);
  if (max === 0) return ["", 0];
  if (PRINTABLE_ASCII.test(text)) {
    if (text.length <= max) return [text, text.length];
    return [text.slice(0, max - 1) + ELLIPSIS, max];
  }
  // Where the text would be cut, should it turn out too wide: the ellipsis
  // needs one column.
  let cut = 0;
  let cutWidth = 0;
  let total = 0;
  // Walks only as far as the text fits, so a long text costs no more than a short one.
  for (const { segment, index } of segmenter.segment(text)) {
    const next = total + graphemeWidth(segment);
    if (next > max) return [text.slice(0, cut) + ELLIPSIS, cutWidth + 1];
    total = next;
    if (total <= max - 1) {
      cut = index + segment.length;
      cutWidth = total;
    }
  }
  return [text, total];
}

/**
 * Returns `text` cut to at most `width` columns, ending with `…` (one column)
 * when anything was cut. Grapheme clusters are never split: a 2-column
 * character that would straddle the limit is dropped, leaving the result a
 * column short (see {@link padEnd}). Width 0 (or less) gives `""`.
 *
 * @example Usage
 * ```ts
 * import { truncate } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(truncate("hello world", 8), "hello w…");
 * assert.equal(truncate("a你好", 3), "a…");
 * ```
 */
export function truncate(text: string, width: number): string {
  return truncated(text, width)[0];
}

/**
 * Returns `text` {@link truncate}d to `width` columns and then padded with
 * spaces to exactly `width` columns, for drawing into a fixed-width cell.
 *
 * @example Usage
 * ```ts
 * import { padEnd } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(padEnd("ab", 4), "ab  ");
 * assert.equal(padEnd("a你好", 3), "a… ");
 * ```
 */
export function padEnd(text: string, width: number): string {
  const [cut, used] = truncated(text, width);
  return cut + " ".repeat(Math.max(0, columns(width, 0) - used));
}
