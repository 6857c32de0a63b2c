/**
 * The full-screen client drawn with ink: a thin component that asks the {@link ChatView} for
 * a {@link Screen} of the terminal's size and draws its rows, and passes keys back. All
 * layout (wrapping, widths, scrolling, what is read) is the view model's, so that it is tested
 * without a terminal; ink does the drawing, the diffing and the terminal's modes.
 *
 * @module
 */
import { Box, Text, useCursor, useInput, usePaste, useWindowSize } from "ink";
import { type ReactNode, useEffect, useReducer } from "react";
import type { ChatView, Row, Segment, Style } from "./model.ts";

/** How often, at most, news that arrives (not keys) redraws the screen. */
export const REDRAW_INTERVAL_MS = 50;

/** Colours from the 16 every terminal has; none at all with `NO_COLOR`. */
const SENDER_HUES = ["cyan", "green", "yellow", "blue", "magenta", "redBright"] as const;

interface Look {
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
}

function look(segment: Segment, colour: boolean): Look {
  const style: Style = segment.style;
  switch (style) {
    case "time":
      return colour ? { color: "gray" } : { dimColor: true };
    case "sender":
      return colour ? { color: SENDER_HUES[segment.hue ?? 0], bold: true } : { bold: true };
    case "self":
      return { bold: true };
    case "pending":
      return { dimColor: true };
    case "notice":
      return colour ? { color: "yellow" } : { dimColor: true };
    case "error":
      return colour ? { color: "red" } : { bold: true };
    case "room":
      return {};
    case "current-room":
      return { bold: true, inverse: true };
    case "unread":
      return colour ? { color: "green", bold: true } : { bold: true };
    case "status":
      return { inverse: true };
    case "status-alert":
      return colour ? { inverse: true, color: "red" } : { inverse: true, bold: true };
    case "prompt":
      return colour ? { color: "cyan" } : { bold: true };
    case "plain":
      return {};
  }
}

function segments(row: Row, colour: boolean): ReactNode[] {
  // An empty row still takes its line.
  if (row.length === 0) return [" "];
  return row.map((segment, i) => (
    <Text key={i} {...look(segment, colour)}>
      {segment.text}
    </Text>
  ));
}

/** Props of {@link ChatApp}. */
export interface ChatAppProps {
  view: ChatView;
  /** False with `NO_COLOR`: bold, dim and inverse only. */
  colour: boolean;
}

/**
 * The screen: the room list and the current room's pane side by side, the status bar, the
 * input line with the terminal's cursor in it.
 */
export function ChatApp({ view, colour }: ChatAppProps): ReactNode {
  const { columns, rows } = useWindowSize();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const { setCursorPosition } = useCursor();

  useEffect(() => {
    // Keys redraw at once; news is drawn at most every REDRAW_INTERVAL_MS, so that 1,000
    // messages a second cost a few dozen layouts, not a thousand, and typing stays quick.
    let timer: ReturnType<typeof setTimeout> | undefined;
    view.onChange = (urgent) => {
      if (urgent) {
        clearTimeout(timer);
        timer = undefined;
        redraw();
      } else if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          redraw();
        }, REDRAW_INTERVAL_MS);
      }
    };
    // The status bar counts down to the next retry while offline.
    const tick = setInterval(() => {
      if (view.connection.state === "offline") redraw();
    }, 1_000);
    return () => {
      clearTimeout(timer);
      clearInterval(tick);
      view.onChange = () => {};
    };
  }, [view]);

  useInput((input, key) => view.key(input, key));
  // Bracketed paste on: a pasted text with line breaks is not taken for lines typed.
  usePaste((text) => view.paste(text));

  const screen = view.screen(columns, rows);
  setCursorPosition({ x: screen.cursorColumn, y: screen.height - 1 });
  const separator = colour ? { color: "gray" } : { dimColor: true };
  return (
    <Box flexDirection="column" width={screen.width} height={screen.height}>
      {screen.pane.map((row, i) => (
        <Text key={i} wrap="truncate">
          {screen.roomsWidth > 0 && segments(screen.rooms[i], colour)}
          {screen.roomsWidth > 0 && <Text {...separator}>│</Text>}
          {segments(row, colour)}
        </Text>
      ))}
      <Text wrap="truncate">{segments(screen.status, colour)}</Text>
      <Text wrap="truncate">{segments(screen.input, colour)}</Text>
    </Box>
  );
}
