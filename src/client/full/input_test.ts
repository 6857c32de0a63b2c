import assert from "node:assert/strict";
import { MAX_TEXT_BYTES } from "../../shared/limits.ts";
import { checkText } from "../../shared/validate.ts";
import { parseLine } from "../commands.ts";
import {
  type CompletionCandidates,
  InputLine,
  MAX_HISTORY_ENTRIES,
  MAX_INPUT_BYTES,
} from "./input.ts";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Four people joined by zero-width joiners: one grapheme of 11 code units, 2 columns. */
const FAMILY = "👨‍👩‍👧‍👦";
/** `e` and a combining acute accent: one grapheme of 2 code points, 1 column. */
const E_ACUTE = "e\u0301";

/**
 * A line holding `marked` without its `|`, with the cursor where the `|` was (at the end
 * when there is none).
 */
function lineAt(marked: string): InputLine {
  const line = new InputLine();
  const bar = marked.indexOf("|");
  if (bar < 0) {
    line.insert(marked);
    return line;
  }
  line.insert(marked.slice(bar + 1));
  line.home();
  line.insert(marked.slice(0, bar));
  return line;
}

/** The line's text with a `|` where the cursor is. */
function marked(line: InputLine): string {
  const graphemes = [...segmenter.segment(line.text)].map(({ segment }) => segment);
  graphemes.splice(line.cursor, 0, "|");
  return graphemes.join("");
}

/** Calls `step` on `line` `times` times. */
function repeat(line: InputLine, times: number, step: (line: InputLine) => unknown): void {
  for (let i = 0; i < times; i++) step(line);
}

const COMMANDS = [
  "/create",
  "/deop",
  "/help",
  "/history",
  "/invite",
  "/join",
  "/kick",
  "/leave",
  "/link",
  "/op",
  "/quit",
  "/rooms",
  "/to",
  "/who",
];

const CANDIDATES: CompletionCandidates = {
  commands: COMMANDS,
  rooms: ["general", "dev", "design", "日本語"],
  handles: ["dave", "Alice", "alan", "bob"],
};

// Editing.

Deno.test("input: typed text goes in at the cursor, which moves after it", () => {
  const line = new InputLine();
  assert.equal(marked(line), "|");
  assert.equal(line.insert("hello"), true);
  assert.equal(marked(line), "hello|");
  assert.equal(line.cursor, 5);
  line.left();
  line.left();
  assert.equal(line.insert("XY"), true);
  assert.equal(marked(line), "helXY|lo");
  assert.equal(line.cursor, 5);
  assert.equal(line.insert(""), true);
  assert.equal(marked(line), "helXY|lo");
});

Deno.test("input: pasted control characters go; tab, CR and LF become one space each", () => {
  const line = new InputLine();
  assert.equal(line.insert("a\tb\r\nc\nd"), true);
  assert.equal(marked(line), "a b  c d|");
  line.submit();
  // ESC of a colour sequence, NUL, BEL, DEL and C1 controls (NEL, CSI) go; the rest stays.
  assert.equal(line.insert("\x1b[31mred\x00\x07\x7f\x85\x9b!\u00a0é"), true);
  assert.equal(marked(line), "[31mred!\u00a0é|");
  assert.equal(line.cursor, 10);
  line.submit();
  assert.equal(line.insert("\x00\x1f\x7f\x9f"), true);
  assert.equal(marked(line), "|");
  line.insert("ab");
  line.left();
  line.insert("\r\n");
  assert.equal(marked(line), "a  |b");
});

Deno.test("input: Backspace and Delete remove one grapheme, and nothing at the ends", () => {
  const line = lineAt("ab|cd");
  line.backspace();
  assert.equal(marked(line), "a|cd");
  line.deleteForward();
  assert.equal(marked(line), "a|d");
  line.backspace();
  line.backspace();
  assert.equal(marked(line), "|d");
  line.deleteForward();
  line.deleteForward();
  assert.equal(marked(line), "|");
  line.backspace();
  assert.equal(marked(line), "|");
});

Deno.test("input: Left, Right, Home and End move by graphemes and stop at the ends", () => {
  const line = lineAt("abc");
  line.right();
  assert.equal(marked(line), "abc|");
  line.left();
  assert.equal(marked(line), "ab|c");
  line.home();
  assert.equal(marked(line), "|abc");
  line.left();
  assert.equal(marked(line), "|abc");
  line.right();
  assert.equal(marked(line), "a|bc");
  line.end();
  assert.equal(marked(line), "abc|");
  assert.equal(line.text, "abc");
});

Deno.test("input: an emoji family, a combining accent, a flag and CJK are one grapheme each", () => {
  const line = lineAt(`a${FAMILY}${E_ACUTE}🇫🇷日本`);
  assert.equal(line.cursor, 6);
  line.left();
  line.left();
  line.left();
  assert.equal(line.cursor, 3);
  assert.equal(marked(line), `a${FAMILY}${E_ACUTE}|🇫🇷日本`);
  line.backspace();
  assert.equal(marked(line), `a${FAMILY}|🇫🇷日本`);
  line.backspace();
  assert.equal(marked(line), "a|🇫🇷日本");
  line.deleteForward();
  assert.equal(marked(line), "a|日本");
  line.right();
  assert.equal(marked(line), "a日|本");
  line.insert(FAMILY);
  assert.equal(line.cursor, 3);
  assert.equal(marked(line), `a日${FAMILY}|本`);
});

Deno.test("input: a combining mark typed after a letter joins it into one grapheme", () => {
  const line = lineAt("e");
  line.insert("\u0301");
  assert.equal(line.text, E_ACUTE);
  assert.equal(line.cursor, 1);
  line.backspace();
  assert.equal(marked(line), "|");
  // A letter typed before a lone combining mark takes it: the cursor goes after both.
  line.insert("\u0301x");
  line.home();
  line.insert("e");
  assert.equal(line.text, `${E_ACUTE}x`);
  assert.equal(line.cursor, 1);
  line.right();
  assert.equal(line.cursor, 2);
});

Deno.test("input: word moves go by blank-separated words (Alt+B/F, Ctrl+Left/Right)", () => {
  const line = lineAt("  say, hello  wörld👍 ");
  line.wordLeft();
  assert.equal(marked(line), "  say, hello  |wörld👍 ");
  line.wordLeft();
  assert.equal(marked(line), "  say, |hello  wörld👍 ");
  line.wordLeft();
  assert.equal(marked(line), "  |say, hello  wörld👍 ");
  line.wordLeft();
  assert.equal(marked(line), "|  say, hello  wörld👍 ");
  line.wordLeft();
  assert.equal(marked(line), "|  say, hello  wörld👍 ");
  line.wordRight();
  assert.equal(marked(line), "  say,| hello  wörld👍 ");
  line.wordRight();
  assert.equal(marked(line), "  say, hello|  wörld👍 ");
  line.right();
  line.right();
  line.right();
  line.wordRight();
  assert.equal(marked(line), "  say, hello  wörld👍| ");
  line.wordRight();
  assert.equal(marked(line), "  say, hello  wörld👍 |");
  line.wordRight();
  assert.equal(marked(line), "  say, hello  wörld👍 |");
});

Deno.test("input: Ctrl+W deletes the word before the cursor and the blanks after it", () => {
  const line = lineAt("/kick dev  @alice  ");
  line.deleteWordBefore();
  assert.equal(marked(line), "/kick dev  |");
  line.deleteWordBefore();
  assert.equal(marked(line), "/kick |");
  line.insert("hello");
  line.left();
  line.left();
  line.deleteWordBefore();
  assert.equal(marked(line), "/kick |lo");
  line.deleteWordBefore();
  assert.equal(marked(line), "|lo");
  line.deleteWordBefore();
  assert.equal(marked(line), "|lo");

  const blanks = lineAt(`${FAMILY}${E_ACUTE} 日本  `);
  blanks.deleteWordBefore();
  assert.equal(marked(blanks), `${FAMILY}${E_ACUTE} |`);
  blanks.deleteWordBefore();
  assert.equal(marked(blanks), "|");
});

Deno.test("input: Ctrl+U and Ctrl+K delete to the start and to the end", () => {
  const line = lineAt("one two| three");
  line.deleteToEnd();
  assert.equal(marked(line), "one two|");
  line.deleteToEnd();
  assert.equal(marked(line), "one two|");
  line.wordLeft();
  line.deleteToStart();
  assert.equal(marked(line), "|two");
  line.deleteToStart();
  assert.equal(marked(line), "|two");
  line.end();
  line.deleteToStart();
  assert.equal(marked(line), "|");
});

Deno.test("input: the line holds at most MAX_INPUT_BYTES, the server's limit on a message", () => {
  assert.equal(MAX_INPUT_BYTES, MAX_TEXT_BYTES);
  assert.equal(MAX_INPUT_BYTES, 4096);
  const line = lineAt("a".repeat(MAX_INPUT_BYTES - 2));
  // 日 is 3 bytes: it does not fit, and nothing goes in.
  assert.equal(line.insert("日"), false);
  assert.equal(line.text.length, MAX_INPUT_BYTES - 2);
  // é (precomposed) is 2: it fits exactly, and the full line is a message the server takes.
  assert.equal(line.insert("é"), true);
  assert.equal(checkText(line.text), undefined);
  assert.equal(line.insert("b"), false);
  // Ctrl+U frees room; in the middle of a line, too, only what fits goes in.
  line.deleteToStart();
  assert.equal(line.text, "");
  line.insert("x".repeat(MAX_INPUT_BYTES - 30) + "yz");
  line.left();
  // Each family is 25 bytes; only the first fits in the 28 left, and a space after it.
  assert.equal(line.insert(`${FAMILY} ${FAMILY}`), false);
  assert.equal(line.text, "x".repeat(MAX_INPUT_BYTES - 30) + `y${FAMILY} z`);
  assert.equal(line.cursor, MAX_INPUT_BYTES - 30 + 3);
  assert.equal(new TextEncoder().encode(line.text).length, MAX_INPUT_BYTES - 2);
  // A combining mark of 2 bytes still fits, and joins the grapheme before it.
  line.left();
  line.insert("\u0301");
  assert.equal(line.insert("\u0301"), false);
  assert.equal(new TextEncoder().encode(line.text).length, MAX_INPUT_BYTES);
  assert.equal(line.text.endsWith(`y${FAMILY}\u0301 z`), true);
});

// History.

Deno.test("input: Enter returns the line and clears it; non-blank lines become history", () => {
  const line = lineAt("hello| world");
  assert.equal(line.submit(), "hello world");
  assert.equal(marked(line), "|");
  assert.deepEqual(line.history, ["hello world"]);
  // Blank lines are returned but not kept; nor is the newest line again, though older ones are.
  line.insert("   ");
  assert.equal(line.submit(), "   ");
  assert.equal(line.submit(), "");
  line.insert("hello world");
  line.submit();
  line.insert("/who");
  line.submit();
  line.insert("hello world");
  line.submit();
  assert.deepEqual(line.history, ["hello world", "/who", "hello world"]);
  // Kept as typed, blanks and all.
  line.insert(" spaced ");
  line.submit();
  assert.deepEqual(line.history.at(-1), " spaced ");
});

Deno.test("input: Up recalls earlier lines and Down returns to the draft", () => {
  const line = new InputLine();
  for (const text of ["first", "second", "third"]) {
    line.insert(text);
    line.submit();
  }
  line.insert("draft in progress");
  line.home();
  assert.equal(line.historyUp(), true);
  assert.equal(marked(line), "third|");
  assert.equal(line.historyUp(), true);
  assert.equal(marked(line), "second|");
  assert.equal(line.historyUp(), true);
  assert.equal(marked(line), "first|");
  assert.equal(line.historyUp(), false);
  assert.equal(marked(line), "first|");
  assert.equal(line.historyDown(), true);
  assert.equal(marked(line), "second|");
  assert.equal(line.historyDown(), true);
  assert.equal(line.historyDown(), true);
  assert.equal(marked(line), "draft in progress|");
  assert.equal(line.historyDown(), false);
  assert.equal(marked(line), "draft in progress|");
  // Up again keeps the draft as it is now.
  line.backspace();
  line.historyUp();
  line.historyDown();
  assert.equal(marked(line), "draft in progres|");
  // After Enter, Up starts from the newest line again, and the draft is empty.
  line.historyUp();
  line.historyUp();
  assert.equal(line.submit(), "second");
  assert.deepEqual(line.history, ["first", "second", "third", "second"]);
  assert.equal(line.historyUp(), true);
  assert.equal(marked(line), "second|");
  line.historyDown();
  assert.equal(marked(line), "|");
});

Deno.test("input: Up and Down do nothing without history", () => {
  const line = lineAt("typed|");
  assert.equal(line.historyUp(), false);
  assert.equal(line.historyDown(), false);
  assert.equal(marked(line), "typed|");
});

Deno.test("input: editing a recalled line leaves the history as it was", () => {
  const line = new InputLine(["one", "two"]);
  line.historyUp();
  line.insert("!");
  line.home();
  line.deleteForward();
  assert.equal(line.text, "wo!");
  assert.deepEqual(line.history, ["one", "two"]);
  // Moving away drops the edit: the entry comes back as it was.
  line.historyUp();
  line.historyDown();
  assert.equal(marked(line), "two|");
  // Sending an edited entry adds it as a new line.
  line.backspace();
  assert.equal(line.submit(), "tw");
  assert.deepEqual(line.history, ["one", "two", "tw"]);
});

Deno.test("input: the history keeps the newest 500 lines", () => {
  assert.equal(MAX_HISTORY_ENTRIES, 500);
  const line = new InputLine();
  for (let i = 0; i < 510; i++) {
    line.insert(`line ${i}`);
    line.submit();
  }
  const history = line.history;
  assert.equal(history.length, 500);
  assert.equal(history[0], "line 10");
  assert.equal(history[499], "line 509");
  repeat(line, 500, (l) => assert.equal(l.historyUp(), true));
  assert.equal(line.text, "line 10");
  assert.equal(line.historyUp(), false);
});

Deno.test("input: a history given at the start is cleaned, skips blanks, keeps the newest 500", () => {
  const line = new InputLine(["a\tb", "  ", "", "bell\x07"]);
  assert.deepEqual(line.history, ["a b", "bell"]);
  line.historyUp();
  assert.equal(marked(line), "bell|");
  const long = new InputLine(Array.from({ length: 600 }, (_, i) => `${i}`));
  assert.equal(long.history.length, 500);
  assert.equal(long.history[0], "100");
  // The copy it answers is the caller's to change.
  long.history.push("not kept");
  assert.equal(long.history.length, 500);
});

// Tab completion.

Deno.test("input: Tab completes a command name; a sole match gets a blank after it", () => {
  const line = lineAt("/jo");
  assert.equal(line.complete(CANDIDATES), true);
  assert.equal(marked(line), "/join |");
  // Without case; with blanks before it; names given without their `/` get one.
  const upper = lineAt("  /HIS");
  upper.complete(CANDIDATES);
  assert.equal(marked(upper), "  /history |");
  const bare = lineAt("/qu");
  bare.complete({ commands: ["quit"], rooms: [], handles: [] });
  assert.equal(marked(bare), "/quit |");
  // Several matches: the first, sorted, and no blank (more Tabs cycle).
  const several = lineAt("/h");
  several.complete(CANDIDATES);
  assert.equal(marked(several), "/help|");
  // Every command name completes to a command `parseLine` knows.
  for (const command of COMMANDS) {
    const one = lineAt(command.slice(0, -1));
    one.complete({ ...CANDIDATES, commands: [command] });
    assert.equal(one.text, `${command} `);
    assert.notEqual(parseLine(command)?.kind, "unknown");
  }
});

Deno.test("input: further Tabs cycle through the matches, wrapping around", () => {
  const line = lineAt("/l");
  const seen = [];
  for (let i = 0; i < 4; i++) {
    assert.equal(line.complete(CANDIDATES), true);
    seen.push(marked(line));
  }
  assert.deepEqual(seen, ["/leave|", "/link|", "/leave|", "/link|"]);
  // Handles sort without case: alan, Alice.
  const message = lineAt("hi a");
  const handles = [];
  for (let i = 0; i < 3; i++) {
    message.complete(CANDIDATES);
    handles.push(marked(message));
  }
  assert.deepEqual(handles, ["hi @alan|", "hi @Alice|", "hi @alan|"]);
  // Cycling in the middle of a line keeps what follows the cursor.
  const middle = lineAt("/join d| now");
  middle.complete(CANDIDATES);
  assert.equal(marked(middle), "/join design| now");
  middle.complete(CANDIDATES);
  assert.equal(marked(middle), "/join dev| now");
  middle.complete(CANDIDATES);
  assert.equal(marked(middle), "/join design| now");
});

Deno.test("input: any other key ends a Tab cycle; the next Tab completes afresh", () => {
  const steps: [string, (line: InputLine) => unknown][] = [
    ["Left", (line) => line.left()],
    ["Right", (line) => line.right()],
    ["End", (line) => line.end()],
    ["typing nothing", (line) => line.insert("")],
    ["Up", (line) => line.historyUp()],
  ];
  for (const [name, step] of steps) {
    const line = lineAt("hi a");
    line.complete(CANDIDATES);
    line.complete(CANDIDATES);
    assert.equal(marked(line), "hi @Alice|", name);
    step(line);
    line.end();
    // `@Alice` is now the word, which has one match: the cycle would have gone to `@alan`.
    assert.equal(line.complete(CANDIDATES), true, name);
    assert.equal(marked(line), "hi @Alice |", name);
  }
  const typed = lineAt("hi a");
  typed.complete(CANDIDATES);
  typed.backspace();
  // `@ala` has one match now.
  typed.complete(CANDIDATES);
  assert.equal(marked(typed), "hi @alan |");
});

Deno.test("input: after a sole match, the next Tab completes the next word", () => {
  const line = lineAt("/ki");
  line.complete(CANDIDATES);
  assert.equal(marked(line), "/kick |");
  line.insert("g");
  line.complete(CANDIDATES);
  assert.equal(marked(line), "/kick general |");
  line.complete(CANDIDATES);
  assert.equal(marked(line), "/kick general @alan|");
  line.complete(CANDIDATES);
  assert.equal(marked(line), "/kick general @Alice|");
});

Deno.test("input: each command argument completes to a room, a handle or a keyword", () => {
  // The line, and what it is after one Tab (a sole match each), or undefined for no match.
  const cases: [string, string | undefined][] = [
    ["/join ge", "/join general "],
    ["/leave ge", "/leave general "],
    ["/to ge", "/to general "],
    ["/who ge", "/who general "],
    ["/invite ge", "/invite general "],
    ["/kick ge", "/kick general "],
    ["/op ge", "/op general "],
    ["/deop ge", "/deop general "],
    ["/JOIN GE", "/JOIN general "],
    ["/join 日", "/join 日本語 "],
    ["/invite dev b", "/invite dev @bob "],
    ["/kick dev b", "/kick dev @bob "],
    ["/op dev b", "/op dev @bob "],
    ["/deop dev b", "/deop dev @bob "],
    ["/kick dev @B", "/kick dev @bob "],
    ["/op dev @bob o", "/op dev @bob owner "],
    ["/create new i", "/create new invite "],
    ["/create new invite s", "/create new invite since-join "],
    // A word starting with @ is a handle wherever it is.
    ["/join @b", "/join @bob "],
    ["/history @b", "/history @bob "],
    // Nothing: a new room's name, a code, a count, too many arguments, an unknown command.
    ["/create ge", undefined],
    ["/join dev ge", undefined],
    ["/history ge", undefined],
    ["/who dev ge", undefined],
    ["/to dev b", undefined],
    ["/deop dev bob ge", undefined],
    ["/rooms ge", undefined],
    ["/nosuch ge", undefined],
    ["/join zz", undefined],
  ];
  for (const [typed, completed] of cases) {
    const line = lineAt(typed);
    assert.equal(line.complete(CANDIDATES), completed !== undefined, typed);
    assert.equal(marked(line), `${completed ?? typed}|`, typed);
  }
  // What a completed handle argument becomes is a handle `parseLine` takes, without its @.
  const kick = lineAt("/kick dev b");
  kick.complete(CANDIDATES);
  assert.deepEqual(parseLine(kick.text), { kind: "kick", room: "dev", handle: "bob" });
});

Deno.test("input: an empty command argument cycles through every candidate of its place", () => {
  const rooms = lineAt("/join ");
  const seen = [];
  for (let i = 0; i < 5; i++) {
    rooms.complete(CANDIDATES);
    seen.push(rooms.text);
  }
  assert.deepEqual(seen, [
    "/join design",
    "/join dev",
    "/join general",
    "/join 日本語",
    "/join design",
  ]);
  const handles = lineAt("/op dev  ");
  handles.complete(CANDIDATES);
  assert.equal(marked(handles), "/op dev  @alan|");
  const owner = lineAt("/op dev bob ");
  owner.complete(CANDIDATES);
  assert.equal(marked(owner), "/op dev bob owner |");
  const none = lineAt("/history ");
  assert.equal(none.complete(CANDIDATES), false);
});

Deno.test("input: words of a message complete to handles with their @", () => {
  const cases: [string, string | undefined][] = [
    ["hello bo", "hello @bob "],
    ["hello @BO", "hello @bob "],
    ["bo", "@bob "],
    ["@", "@alan"],
    ["  da", "  @dave "],
    ["//me waves at da", "//me waves at @dave "],
    // Nothing: an empty word, no handle, the first word of a `//` line.
    ["", undefined],
    ["hello ", undefined],
    ["hello zed", undefined],
    ["//da", undefined],
  ];
  for (const [typed, completed] of cases) {
    const line = lineAt(typed);
    assert.equal(line.complete(CANDIDATES), completed !== undefined, typed);
    assert.equal(marked(line), `${completed ?? typed}|`, typed);
  }
  // Handles given with an @ are the same handles; duplicates are one match.
  const line = lineAt("hi b");
  line.complete({ commands: [], rooms: [], handles: ["@bob", "bob"] });
  assert.equal(marked(line), "hi @bob |");
});

Deno.test("input: Tab leaves the line as it is when nothing matches", () => {
  const line = lineAt("/join x|yz");
  assert.equal(line.complete(CANDIDATES), false);
  assert.equal(marked(line), "/join x|yz");
  const empty = { commands: [], rooms: [], handles: [] };
  const message = lineAt("hi a");
  assert.equal(message.complete(empty), false);
  assert.equal(marked(message), "hi a|");
});

Deno.test("input: Tab in the middle of a line completes the part before the cursor", () => {
  // A blank after the cursor: the cursor steps over it instead of adding one.
  const blank = lineAt("/jo| dev");
  blank.complete(CANDIDATES);
  assert.equal(marked(blank), "/join |dev");
  // A letter after it: no blank is added, and the rest of the word stays.
  const letter = lineAt("/jo|x dev");
  letter.complete(CANDIDATES);
  assert.equal(marked(letter), "/join|x dev");
  // Where the word is depends on what comes before it only.
  const argument = lineAt("/kick ge| bob");
  argument.complete(CANDIDATES);
  assert.equal(marked(argument), "/kick general |bob");
});

// The view.

Deno.test("input: a short line shows whole, with the cursor column where it is", () => {
  const line = lineAt("hello");
  assert.deepEqual(line.view(10), { text: "hello", cursorColumn: 5 });
  line.left();
  assert.deepEqual(line.view(10), { text: "hello", cursorColumn: 4 });
  line.home();
  assert.deepEqual(line.view(10), { text: "hello", cursorColumn: 0 });
  // Exactly the width: a cursor at the end needs a column more, so the view scrolls by one.
  const full = lineAt("0123456789");
  assert.deepEqual(full.view(10), { text: "123456789", cursorColumn: 9 });
  full.home();
  assert.deepEqual(full.view(10), { text: "0123456789", cursorColumn: 0 });
  assert.deepEqual(new InputLine().view(2), { text: "", cursorColumn: 0 });
});

Deno.test("input: a long line scrolls to keep the cursor in view, and keeps its scroll", () => {
  const line = lineAt("abcdefghijklmnopqrstuvwxyz");
  // At the end: the last 9 letters and the cursor after them.
  assert.deepEqual(line.view(10), { text: "rstuvwxyz", cursorColumn: 9 });
  // Left within the view: it stays put.
  repeat(line, 9, (l) => l.left());
  assert.deepEqual(line.view(10), { text: "rstuvwxyz", cursorColumn: 0 });
  // Left past it: the cursor lands half a row in, to show what is before it.
  line.left();
  assert.deepEqual(line.view(10), { text: "lmnopqrstu", cursorColumn: 5 });
  // Right within the view, up to its last column: still put.
  repeat(line, 4, (l) => l.right());
  assert.deepEqual(line.view(10), { text: "lmnopqrstu", cursorColumn: 9 });
  // One more: the view moves just one letter.
  line.right();
  assert.deepEqual(line.view(10), { text: "mnopqrstuv", cursorColumn: 9 });
  line.home();
  assert.deepEqual(line.view(10), { text: "abcdefghij", cursorColumn: 0 });
  line.wordRight();
  assert.deepEqual(line.view(10), { text: "rstuvwxyz", cursorColumn: 9 });
  // A view asked for between moves is the same view.
  assert.deepEqual(line.view(10), { text: "rstuvwxyz", cursorColumn: 9 });
});

Deno.test("input: with the end of the line in view, the view fills the row from the start", () => {
  const line = lineAt("abcdefghijklmnopqrstuvwxyz");
  line.view(10);
  line.backspace();
  assert.deepEqual(line.view(10), { text: "qrstuvwxy", cursorColumn: 9 });
  repeat(line, 5, (l) => l.left());
  line.view(10);
  line.deleteToEnd();
  assert.deepEqual(line.view(10), { text: "lmnopqrst", cursorColumn: 9 });
  // A wider row shows more of the start; a narrower one keeps the cursor in view.
  assert.deepEqual(line.view(15), { text: "ghijklmnopqrst", cursorColumn: 14 });
  assert.deepEqual(line.view(4), { text: "rst", cursorColumn: 3 });
  line.deleteToStart();
  assert.deepEqual(line.view(10), { text: "", cursorColumn: 0 });
  // Enter starts from column 0 again.
  line.insert("abcdefghijklmnopqrstuvwxyz");
  line.view(10);
  line.submit();
  line.insert("new");
  assert.deepEqual(line.view(10), { text: "new", cursorColumn: 3 });
});

Deno.test("input: wide characters count two columns and are never split", () => {
  const line = lineAt("日本語テキスト");
  assert.deepEqual(line.view(6), { text: "スト", cursorColumn: 4 });
  line.home();
  assert.deepEqual(line.view(6), { text: "日本語", cursorColumn: 0 });
  // An odd width: the column left over stays empty rather than show half a character.
  assert.deepEqual(line.view(5), { text: "日本", cursorColumn: 0 });
  // The cursor on a wide character shows all of it.
  repeat(line, 3, (l) => l.right());
  assert.deepEqual(line.view(6), { text: "本語テ", cursorColumn: 4 });
  line.end();
  assert.deepEqual(line.view(5), { text: "スト", cursorColumn: 4 });

  const narrow = lineAt("abcd日");
  narrow.left();
  assert.deepEqual(narrow.view(5), { text: "bcd日", cursorColumn: 3 });
  narrow.home();
  assert.deepEqual(narrow.view(5), { text: "abcd", cursorColumn: 0 });
  repeat(narrow, 3, (l) => l.right());
  assert.deepEqual(narrow.view(5), { text: "abcd", cursorColumn: 3 });
});

Deno.test("input: emoji and combining marks take the columns they show in", () => {
  const line = lineAt(`a${FAMILY}${E_ACUTE}🇫🇷b`);
  assert.deepEqual(line.view(20), { text: `a${FAMILY}${E_ACUTE}🇫🇷b`, cursorColumn: 7 });
  assert.deepEqual(line.view(5), { text: `${E_ACUTE}🇫🇷b`, cursorColumn: 4 });
  line.left();
  line.left();
  assert.deepEqual(line.view(5), { text: `${E_ACUTE}🇫🇷b`, cursorColumn: 1 });
  line.left();
  assert.deepEqual(line.view(5), { text: `${E_ACUTE}🇫🇷b`, cursorColumn: 0 });
  line.left();
  assert.deepEqual(line.view(5), { text: `a${FAMILY}${E_ACUTE}`, cursorColumn: 1 });
  line.home();
  assert.deepEqual(line.view(5), { text: `a${FAMILY}${E_ACUTE}`, cursorColumn: 0 });
});

Deno.test("input: a width under 2 is taken as 2", () => {
  const line = lineAt("abc");
  assert.deepEqual(line.view(1), { text: "c", cursorColumn: 1 });
  assert.deepEqual(line.view(0), { text: "c", cursorColumn: 1 });
  assert.deepEqual(line.view(Number.NaN), { text: "c", cursorColumn: 1 });
  const wide = lineAt("日本");
  assert.deepEqual(wide.view(2), { text: "", cursorColumn: 0 });
  wide.left();
  assert.deepEqual(wide.view(2), { text: "本", cursorColumn: 0 });
});
