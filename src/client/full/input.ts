/**
 * The line a person types in the full-screen client, as a pure model: editing, history, Tab
 * completion, and which part of the line a row of the screen shows. No terminal and no React:
 * the UI maps keys to calls and draws what {@link InputLine.view} answers.
 *
 * Everything counts in graphemes (what a person sees as one character: `e` with a combining
 * accent, an emoji family joined by zero-width joiners), never in UTF-16 code units, and
 * widths in terminal columns (CJK and emoji take two).
 *
 * @module
 */
import stringWidth from "string-width";
import { MAX_TEXT_BYTES } from "../../shared/limits.ts";
import type { CommandName } from "../commands.ts";

/**
 * Most UTF-8 bytes a line may hold: the server's limit on a message
 * ({@link MAX_TEXT_BYTES}), so that a typed message is never refused for its length.
 */
export const MAX_INPUT_BYTES: number = MAX_TEXT_BYTES;

/** Most lines the history keeps; past it, the oldest go. */
export const MAX_HISTORY_ENTRIES = 500;

/** What Tab may complete to, from the UI's knowledge of the moment. */
export interface CompletionCandidates {
  /** Command names with their `/`, e.g. `/join` (a name given without one gets it). */
  commands: readonly string[];
  /** Room names. */
  rooms: readonly string[];
  /** Handles without their `@` (a leading `@` is ignored); completed with one. */
  handles: readonly string[];
}

/** What one row of the screen shows of the line: see {@link InputLine.view}. */
export interface InputView {
  /** The graphemes in view, never more columns wide than asked for. */
  text: string;
  /** The cursor's column within {@link InputView.text}, from 0. */
  cursorColumn: number;
}

/** What a word at one argument position completes to. */
type ArgumentKind = "room" | "handle" | "nothing" | readonly string[];

const CREATE_OPTIONS = ["invite", "since-join"] as const;

/**
 * Per command, what each argument is (the first argument first), as `parseLine` in
 * `commands.ts` reads them. Handles complete with their `@`, which `parseLine` accepts (and
 * drops) for every HANDLE argument. `/create` names a new room: nothing to complete.
 */
const ARGUMENTS: Partial<Record<CommandName, readonly ArgumentKind[]>> = {
  create: ["nothing", CREATE_OPTIONS, CREATE_OPTIONS],
  invite: ["room", "handle"],
  join: ["room"],
  leave: ["room"],
  kick: ["room", "handle"],
  op: ["room", "handle", ["owner"]],
  deop: ["room", "handle"],
  who: ["room"],
  to: ["room"],
};

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** C0 and C1 controls and DEL, but for the tab and line breaks {@link BREAKS} turns to blanks. */
// deno-lint-ignore no-control-regex -- removing control characters is the point.
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const BREAKS = /[\t\n\r]/g;
const BLANK = /^\s/u;

/** `s` as a line may hold it: tab, CR and LF as one space each, other controls gone. */
function clean(s: string): string {
  return s.replace(CONTROLS, "").replace(BREAKS, " ");
}

/** Bytes of `s` in UTF-8 (a lone surrogate counts as U+FFFD, as the encoder writes it). */
function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (
      unit >= 0xd800 && unit <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Without case, then as written, so that the order does not depend on the input's. */
function compareNames(a: string, b: string): number {
  const [la, lb] = [a.toLowerCase(), b.toLowerCase()];
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The distinct `names` that start with `prefix` (without case), sorted. */
function matching(names: Iterable<string>, prefix: string): string[] {
  const lower = prefix.toLowerCase();
  const found = new Set<string>();
  for (const name of names) if (name.toLowerCase().startsWith(lower)) found.add(name);
  return [...found].sort(compareNames);
}

/** The handles `word` (with or without its `@`) begins, each with its `@`. */
function handlesFor(word: string, handles: readonly string[]): string[] {
  const bare = (handle: string) => handle.startsWith("@") ? handle.slice(1) : handle;
  return matching(handles.map(bare), bare(word)).map((handle) => `@${handle}`);
}

/** A Tab cycle under way: the matches, and where the one shown now sits (code units). */
interface Cycle {
  matches: string[];
  index: number;
  start: number;
  end: number;
}

/**
 * The line being typed: its text and cursor, the lines sent before (Up and Down), Tab
 * completion, and the part of it that fits a row of the screen.
 *
 * The cursor is an index in graphemes, from 0 (before the first) to the number of graphemes
 * (after the last). Words, for moving, deleting and completing, are runs of non-blank
 * characters, as `parseLine` splits a command's arguments.
 *
 * @example
 * ```ts
 * const line = new InputLine();
 * line.insert("/jo");
 * line.complete({ commands: ["/join", "/leave"], rooms: ["dev"], handles: [] });
 * line.text; // "/join "
 * line.insert("d");
 * line.complete({ commands: [], rooms: ["dev", "design"], handles: [] });
 * line.text; // "/join design" (the first of two matches; Tab again shows "/join dev")
 * line.submit(); // "/join design", now the newest history entry
 * line.historyUp();
 * line.text; // "/join design"
 * line.view(8); // { text: " design", cursorColumn: 7 }: the end, and room for the cursor
 * ```
 */
export class InputLine {
  #text = "";
  /** Where each grapheme starts in {@link InputLine.text}, then the text's length. */
  #bounds: number[] = [0];
  /** Columns of each grapheme, summed: `#columns[i]` is the width of the first `i`. */
  #columns: number[] | undefined;
  #cursor = 0;
  /** The first grapheme in view. */
  #scroll = 0;
  #history: string[] = [];
  /** The history entry shown; `#history.length` for the draft. */
  #recalled = 0;
  /** What was typed before the first Up, which Down past the newest entry brings back. */
  #draft = "";
  #cycle: Cycle | undefined;

  /**
   * An empty line, with `history` (oldest first; e.g. kept from an earlier run) as the lines
   * Up recalls. Blank entries are skipped, control characters cleaned as by
   * {@link InputLine.insert}, and only the newest {@link MAX_HISTORY_ENTRIES} kept.
   */
  constructor(history: Iterable<string> = []) {
    for (const entry of history) {
      const line = clean(entry);
      if (line.trim() !== "") this.#history.push(line);
    }
    this.#history.splice(0, this.#history.length - MAX_HISTORY_ENTRIES);
    this.#recalled = this.#history.length;
  }

  /** The line as typed. */
  get text(): string {
    return this.#text;
  }

  /** Where the cursor is, in graphemes: 0 is before the first, the count after the last. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The lines submitted, oldest first (at most {@link MAX_HISTORY_ENTRIES}); a copy. */
  get history(): string[] {
    return [...this.#history];
  }

  /**
   * Puts `s` (typed or pasted) at the cursor and moves the cursor after it. Tab, CR and LF
   * become one space each (a line is one message); other control characters (U+0000 to
   * U+001F, U+007F to U+009F) are dropped. When the line would exceed
   * {@link MAX_INPUT_BYTES}, only the graphemes of `s` that fit go in, from its start.
   *
   * @returns false when some of `s` did not fit.
   */
  insert(s: string): boolean {
    this.#cycle = undefined;
    let room = MAX_INPUT_BYTES - utf8Bytes(this.#text);
    let fits = "";
    let whole = true;
    for (const { segment } of segmenter.segment(clean(s))) {
      const bytes = utf8Bytes(segment);
      if (bytes > room) {
        whole = false;
        break;
      }
      room -= bytes;
      fits += segment;
    }
    if (fits !== "") this.#replace(this.#cursor, this.#cursor, fits);
    return whole;
  }

  /** Deletes the grapheme before the cursor (Backspace); nothing at the start. */
  backspace(): void {
    this.#cycle = undefined;
    if (this.#cursor > 0) this.#replace(this.#cursor - 1, this.#cursor, "");
  }

  /** Deletes the grapheme under the cursor (Delete, Ctrl+D); nothing at the end. */
  deleteForward(): void {
    this.#cycle = undefined;
    if (this.#cursor < this.#count) this.#replace(this.#cursor, this.#cursor + 1, "");
  }

  /** Moves the cursor one grapheme left (Left, Ctrl+B). */
  left(): void {
    this.#cycle = undefined;
    this.#cursor = Math.max(0, this.#cursor - 1);
  }

  /** Moves the cursor one grapheme right (Right, Ctrl+F). */
  right(): void {
    this.#cycle = undefined;
    this.#cursor = Math.min(this.#count, this.#cursor + 1);
  }

  /** Moves the cursor to the start (Home, Ctrl+A). */
  home(): void {
    this.#cycle = undefined;
    this.#cursor = 0;
  }

  /** Moves the cursor to the end (End, Ctrl+E). */
  end(): void {
    this.#cycle = undefined;
    this.#cursor = this.#count;
  }

  /** Moves the cursor to the start of the word before it (Alt+B, Ctrl+Left). */
  wordLeft(): void {
    this.#cycle = undefined;
    this.#cursor = this.#wordStart();
  }

  /** Moves the cursor to the end of the word after it (Alt+F, Ctrl+Right). */
  wordRight(): void {
    this.#cycle = undefined;
    let i = this.#cursor;
    while (i < this.#count && this.#isBlank(i)) i++;
    while (i < this.#count && !this.#isBlank(i)) i++;
    this.#cursor = i;
  }

  /**
   * Deletes the word before the cursor and the blanks between it and the cursor (Ctrl+W), as
   * readline's unix-word-rubout does: `say hello  |` becomes `say |`.
   */
  deleteWordBefore(): void {
    this.#cycle = undefined;
    this.#replace(this.#wordStart(), this.#cursor, "");
  }

  /** Deletes from the start to the cursor (Ctrl+U). */
  deleteToStart(): void {
    this.#cycle = undefined;
    this.#replace(0, this.#cursor, "");
  }

  /** Deletes from the cursor to the end (Ctrl+K). */
  deleteToEnd(): void {
    this.#cycle = undefined;
    this.#replace(this.#cursor, this.#count, "");
  }

  /**
   * The line as typed, which leaves it empty (Enter). A line that is not blank becomes the
   * newest history entry, unless it is the newest already; Up starts again from the newest.
   */
  submit(): string {
    const text = this.#text;
    if (text.trim() !== "" && this.#history.at(-1) !== text) {
      this.#history.push(text);
      if (this.#history.length > MAX_HISTORY_ENTRIES) this.#history.shift();
    }
    this.#recalled = this.#history.length;
    this.#draft = "";
    this.#cycle = undefined;
    this.#set("", 0);
    return text;
  }

  /**
   * Shows the history entry before the one shown (Up), with the cursor at its end. The first
   * Up keeps the line being typed as the draft, which Down past the newest entry brings
   * back. Editing a recalled entry does not change the history; moving to another entry
   * drops the edit.
   *
   * @returns false, leaving the line as it is, when no earlier entry is left.
   */
  historyUp(): boolean {
    this.#cycle = undefined;
    if (this.#recalled === 0) return false;
    if (this.#recalled === this.#history.length) this.#draft = this.#text;
    this.#recalled--;
    const entry = this.#history[this.#recalled];
    this.#set(entry, entry.length);
    return true;
  }

  /**
   * Shows the history entry after the one shown (Down), or past the newest the draft that
   * the first Up kept, with the cursor at the end.
   *
   * @returns false, leaving the line as it is, when the draft is shown already.
   */
  historyDown(): boolean {
    this.#cycle = undefined;
    if (this.#recalled >= this.#history.length) return false;
    this.#recalled++;
    const text = this.#recalled === this.#history.length
      ? this.#draft
      : this.#history[this.#recalled];
    this.#set(text, text.length);
    return true;
  }

  /**
   * Completes the word before the cursor (Tab), irssi style: the first Tab puts the first
   * match (sorted without case) in place of the word, matching its start without case; each
   * further Tab, with nothing else done between, shows the next match, after the last the
   * first again. A word with one match is completed with a blank after it (or the cursor
   * steps over the blank that follows already), and the next Tab completes afresh.
   *
   * What the word completes to depends on where it is:
   * - the first word, starting with `/` (not `//`): a command name;
   * - a word starting with `@`, anywhere: a handle, with its `@`;
   * - a command's argument: per the command, a room (the first argument of `/join`,
   *   `/leave`, `/to`, `/who`, `/invite`, `/kick`, `/op` and `/deop`), a handle with its `@`
   *   (the second of `/invite`, `/kick`, `/op` and `/deop`), `owner` (the third of `/op`), or
   *   `invite` and `since-join` (the options of `/create`); other arguments complete to
   *   nothing. An empty word (the cursor after a blank) there matches every candidate;
   * - a word of a message (a line that is not a command): a handle, with its `@`; an empty
   *   word there completes to nothing.
   *
   * @returns false, leaving the line as it is, when nothing matches.
   */
  complete(candidates: CompletionCandidates): boolean {
    const cycle = this.#cycle;
    if (cycle) {
      cycle.index = (cycle.index + 1) % cycle.matches.length;
      const match = cycle.matches[cycle.index];
      const text = this.#text.slice(0, cycle.start) + match + this.#text.slice(cycle.end);
      cycle.end = cycle.start + match.length;
      this.#set(text, cycle.end);
      return true;
    }
    const start = this.#wordStart(false);
    const [from, to] = [this.#bounds[start], this.#bounds[this.#cursor]];
    const matches = this.#matches(
      this.#text.slice(from, to),
      this.#text.slice(0, from),
      candidates,
    );
    if (matches.length === 0) return false;
    const [first] = matches;
    if (matches.length > 1) {
      this.#replace(start, this.#cursor, first);
      this.#cycle = { matches, index: 0, start: from, end: from + first.length };
    } else if (this.#cursor === this.#count) {
      this.#replace(start, this.#cursor, `${first} `);
    } else {
      const blankFollows = this.#isBlank(this.#cursor);
      this.#replace(start, this.#cursor, first);
      if (blankFollows) this.#cursor++;
    }
    return true;
  }

  /**
   * What a row of `width` columns shows of the line: a run of whole graphemes, scrolled so
   * that the cursor (and the grapheme under it) is in view, with the cursor's column in it. A
   * cursor at the end sits after the last grapheme, in a column the run leaves free.
   *
   * The scroll is kept from call to call, as an editor keeps it: the view moves only when the
   * cursor leaves it (to the right, just enough to show the cursor at the last column; to the
   * left, so that the cursor lands about the middle of the row), or when the end of the line
   * comes into view with columns to spare, which it fills by showing more of the start.
   *
   * @param width Columns of the row; a width under 2 is taken as 2.
   */
  view(width: number): InputView {
    const columns = Math.max(2, Math.floor(width)) || 2;
    const sums = this.#columnSums();
    const count = this.#count;
    const cursor = this.#cursor;
    const span = (from: number, to: number) => sums[to] - sums[from];
    const cell = cursor < count ? Math.max(1, span(cursor, cursor + 1)) : 1;
    let scroll = this.#scroll;
    if (cursor < scroll) {
      scroll = cursor;
      while (scroll > 0 && span(scroll - 1, cursor) <= Math.floor(columns / 2)) scroll--;
    }
    while (scroll < cursor && span(scroll, cursor) + cell > columns) scroll++;
    while (scroll > 0 && span(scroll - 1, count) + 1 <= columns) scroll--;
    this.#scroll = scroll;
    let last = scroll;
    while (last < count && span(scroll, last + 1) <= columns) last++;
    return {
      text: this.#text.slice(this.#bounds[scroll], this.#bounds[last]),
      cursorColumn: span(scroll, cursor),
    };
  }

  /** How many graphemes the line has. */
  get #count(): number {
    return this.#bounds.length - 1;
  }

  /** Whether the grapheme at `i` is a blank (space, tab, or any other Unicode white space). */
  #isBlank(i: number): boolean {
    return BLANK.test(this.#text.slice(this.#bounds[i], this.#bounds[i + 1]));
  }

  /**
   * Where the word before the cursor starts: back over blanks (when `overBlanks`), then back
   * over non-blanks.
   */
  #wordStart(overBlanks = true): number {
    let i = this.#cursor;
    while (overBlanks && i > 0 && this.#isBlank(i - 1)) i--;
    while (i > 0 && !this.#isBlank(i - 1)) i--;
    return i;
  }

  /** Graphemes `from` to `to` replaced by `s`, with the cursor after `s`. */
  #replace(from: number, to: number, s: string): void {
    const start = this.#bounds[from];
    this.#set(
      this.#text.slice(0, start) + s + this.#text.slice(this.#bounds[to]),
      start + s.length,
    );
  }

  /**
   * `text` as the line, with the cursor at code unit `offset`; an offset inside a grapheme
   * (text put next to a combining mark joins it) puts the cursor after that grapheme.
   */
  #set(text: string, offset: number): void {
    this.#text = text;
    this.#bounds = [];
    for (const { index } of segmenter.segment(text)) this.#bounds.push(index);
    this.#bounds.push(text.length);
    this.#columns = undefined;
    let cursor = 0;
    while (cursor < this.#count && this.#bounds[cursor] < offset) cursor++;
    this.#cursor = cursor;
  }

  /** The columns of the first `i` graphemes, for every `i`. */
  #columnSums(): number[] {
    if (this.#columns) return this.#columns;
    const sums = [0];
    for (let i = 0; i < this.#count; i++) {
      const grapheme = this.#text.slice(this.#bounds[i], this.#bounds[i + 1]);
      sums.push(sums[i] + stringWidth(grapheme));
    }
    return this.#columns = sums;
  }

  /** What `word` may complete to, after `before` (the line up to the word). */
  #matches(word: string, before: string, candidates: CompletionCandidates): string[] {
    const previous = before.trim() === "" ? [] : before.trim().split(/\s+/);
    if (previous.length === 0) {
      if (word.startsWith("//")) return [];
      if (word.startsWith("/")) {
        const commands = candidates.commands.map((name) =>
          name.startsWith("/") ? name : `/${name}`
        );
        return matching(commands, word);
      }
      return word === "" ? [] : handlesFor(word, candidates.handles);
    }
    if (word.startsWith("@")) return handlesFor(word, candidates.handles);
    const [head] = previous;
    if (!head.startsWith("/") || head.startsWith("//")) {
      return word === "" ? [] : handlesFor(word, candidates.handles);
    }
    const name = head.slice(1).toLowerCase();
    const kinds = Object.hasOwn(ARGUMENTS, name) ? ARGUMENTS[name as CommandName] : undefined;
    const kind = kinds?.[previous.length - 1] ?? "nothing";
    if (kind === "room") return matching(candidates.rooms, word);
    if (kind === "handle") return handlesFor(word, candidates.handles);
    if (kind === "nothing") return [];
    return matching(kind, word);
  }
}
