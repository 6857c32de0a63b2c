/**
 * The full-screen front end of the chat client (`-ui full`, the default at a terminal): one
 * entry point, {@link runFullScreen}, which draws the session in the terminal's alternate
 * screen with ink, carries out what the person types, and always gives the terminal back as
 * it found it (after `/quit`, Ctrl-D, Ctrl-C twice, SIGTERM, SIGHUP, or an error), then prints
 * what was left unsent.
 *
 * @example
 * ```ts ignore
 * import { runFullScreen } from "./src/client/full/mod.ts";
 * const code = await runFullScreen({
 *   name: "Luis",
 *   room: "general",
 *   address: "127.0.0.1:50051",
 *   session: (onEvent) => new ChatSession({ name: "Luis", address, identity, onEvent }),
 * });
 * Deno.exit(code);
 * ```
 *
 * @module
 */
import { render } from "ink";
import { createElement } from "react";
import { type ChatSession, CommandRunner, type ParsedLine, parseLine } from "../mod.ts";
import type { ClientEvent } from "../events.ts";
import { type Line, printLine, renderCloseReport, renderStartFailure } from "../line.ts";
import { ChatApp } from "./app.tsx";
import { ChatView, type Request } from "./model.ts";
import { inert } from "./text.ts";

export { ChatApp, type ChatAppProps, REDRAW_INTERVAL_MS } from "./app.tsx";
export {
  ChatView,
  type ChatViewOptions,
  type Connection,
  type Key,
  type Request,
  type Row,
  type Screen,
  type Segment,
  type Style,
} from "./model.ts";

/** Options of {@link runFullScreen}. */
export interface FullScreenOptions {
  /** The display name given with -name. */
  name: string;
  /** The room typed lines go to at the start. */
  room: string;
  /** The server, as given (`host:port`), or the addresses of one service's nodes, in order. */
  address: string | readonly string[];
  /** Makes the session, which reports its events to `onEvent`. */
  session: (onEvent: (event: ClientEvent) => void) => ChatSession;
  /** Colours; by default unless `NO_COLOR` is set (https://no-color.org). */
  colour?: boolean;
}

/** Something the person asked for, in the order asked. */
type Work =
  | { kind: "command"; command: Exclude<ParsedLine, { kind: "quit" }> }
  | { kind: "switch"; room: string }
  | { kind: "quit" };

/** Why the screen closes. */
type Leave = "quit" | "quit-now" | "signal" | "ended" | "error";

/** How long each way of leaving waits for queued messages to be sent. */
const DRAIN_MS: Record<Leave, number> = {
  quit: 10_000,
  "quit-now": 0,
  signal: 1_000,
  ended: 1_000,
  error: 1_000,
};

/**
 * Runs the chat full-screen until the person leaves, and says how it ended: 0 when every
 * message typed was sent, 1 when some were not (or the server refused this client). The lines
 * a person needs after the screen is gone (what was not sent, why the server refused) are
 * printed on stderr once the terminal is restored.
 */
export async function runFullScreen(options: FullScreenOptions): Promise<number> {
  const view = new ChatView({ name: options.name, room: options.room, address: options.address });
  const session: ChatSession = options.session((event) => {
    if (event.type === "connected") view.setClientId(session.clientId);
    view.apply(event);
  });
  const colour = options.colour ?? !Deno.env.get("NO_COLOR");
  const leave = Promise.withResolvers<Leave>();
  /** Resolved by a quicker way out (Ctrl-C twice, a signal) while a slower one waits to send. */
  const hurry = Promise.withResolvers<void>();
  let leftAs: Leave | undefined;
  const leaveAs = (why: Leave) => {
    if (leftAs === undefined) {
      leftAs = why;
      leave.resolve(why);
    } else if (DRAIN_MS[why] < DRAIN_MS[leftAs]) {
      hurry.resolve();
    }
  };
  const after: Line[] = [];

  const instance = render(createElement(ChatApp, { view, colour }), {
    alternateScreen: true,
    // Ctrl-C is a key here: once warns, twice leaves (the view says so).
    exitOnCtrlC: false,
    // ink treats CI=true as no terminal at all; this front end runs only at one.
    interactive: true,
    // Nothing else may write to the screen: a stray line would tear the layout.
    patchConsole: false,
    maxFps: 60,
  });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    instance.unmount();
  };
  // An error no one catches restores the terminal before Deno prints it.
  const onError = () => restore();
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onError);
  // SIGHUP: the terminal went away. Windows has neither it nor SIGTERM.
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGTERM", "SIGINT", "SIGHUP"];
  const onSignal = () => leaveAs("signal");
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  instance.waitUntilExit().then(() => leaveAs("error"), (error) => {
    after.push({ stream: "stderr", text: `client: the screen failed: ${error}` });
    leaveAs("error");
  });
  session.ended.then((error) => {
    after.push(renderStartFailure(error));
    leaveAs("ended");
  });

  const runner = new CommandRunner(session, options.room);
  /** Set once the session has started: before that nothing asked for can be carried out. */
  let running = false;
  /** What the person asked for, carried out one at a time in the order asked. */
  const work: Work[] = [];
  let pumping = false;
  // A line after /join goes to the room joined, and a line typed before Ctrl-N to the room it
  // was typed in; Ctrl-D leaves after what was typed before it. Sends are queued by the outbox
  // at once, and shown as on their way.
  const pump = async () => {
    if (pumping || !running) return;
    pumping = true;
    while (work.length > 0 && leftAs === undefined) {
      const next = work.shift()!;
      if (next.kind === "quit") {
        leaveAs("quit");
      } else if (next.kind === "switch") {
        await runner.run({ kind: "to", room: next.room });
        view.entered(next.room);
      } else if (next.command.kind === "send") {
        const room = runner.room;
        view.sending(room, next.command.text, session.send(next.command.text, room));
      } else if (next.command.kind === "history") {
        view.older(next.command.count);
      } else {
        view.result(await runner.run(next.command));
      }
    }
    pumping = false;
  };
  /** Lines typed that were never handed to the session: they count as not sent. */
  const notSent = () =>
    work.filter((w) => w.kind === "command" && w.command.kind === "send").length;
  const ask = (next: Work) => {
    work.push(next);
    // The pump starts with the server's first answer: Ctrl-D or /quit before it leaves at once
    // (what was typed before it is reported as not sent), else it would wait for ever.
    if (next.kind === "quit" && !running) leaveAs("quit");
    else pump();
  };
  view.onRequest = (request: Request) => {
    switch (request.kind) {
      case "line": {
        const command = parseLine(request.text);
        if (command?.kind === "quit") ask({ kind: "quit" });
        else if (command) ask({ kind: "command", command });
        break;
      }
      case "switch":
        ask({ kind: "switch", room: request.room });
        break;
      case "quit":
        ask({ kind: "quit" });
        break;
      case "quit-now":
        leaveAs("quit-now");
        break;
      case "history":
        session.history(request.room, request.beforeSeq, request.limit).then(
          ({ messages, more }) => view.historyPage(request, messages, more),
          (error) => view.historyFailed(request, error),
        );
        break;
    }
  };

  try {
    const ok = await Promise.race([
      session.start().then(() => true, (error) => {
        // Closing the session to leave ends its start too: that is no failure to report.
        if (leftAs === undefined) after.push(renderStartFailure(error));
        return false;
      }),
      leave.promise.then(() => false),
    ]);
    if (!ok) {
      // The server refused this client, or the person left before it answered.
      await session.close(0);
      after.push(...renderCloseReport({ unsent: notSent(), inDoubt: 0 }));
      return after.length > 0 ? 1 : 0;
    }
    running = true;
    pump();
    const why = await leave.promise;
    view.leaving();
    await Promise.race([session.settled(DRAIN_MS[why]), hurry.promise]);
    const report = await session.close(0);
    const unsent = report.unsent + notSent();
    after.push(...renderCloseReport({ unsent, inDoubt: report.inDoubt }));
    return why === "ended" || why === "error" || unsent + report.inDoubt > 0 ? 1 : 0;
  } finally {
    restore();
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onError);
    // Refusals carry the server's words: shown inert here too.
    for (const line of after) printLine({ ...line, text: inert(line.text) });
  }
}
