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
import { type ChatSession, CommandRunner, parseLine } from "../mod.ts";
import type { ClientEvent } from "../events.ts";
import { type Line, printLine, renderCloseReport, renderStartFailure } from "../line.ts";
import { ChatApp } from "./app.tsx";
import { ChatView, type Request } from "./model.ts";

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
  /** The server, as given (`host:port`). */
  address: string;
  /** Makes the session, which reports its events to `onEvent`. */
  session: (onEvent: (event: ClientEvent) => void) => ChatSession;
  /** Colours; by default unless `NO_COLOR` is set (https://no-color.org). */
  colour?: boolean;
}

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
  const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
  const onSignal = () => leave.resolve("signal");
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  instance.waitUntilExit().then(() => leave.resolve("error"), (error) => {
    after.push({ stream: "stderr", text: `client: the screen failed: ${error}` });
    leave.resolve("error");
  });
  session.ended.then((error) => {
    after.push(renderStartFailure(error));
    leave.resolve("ended");
  });

  const runner = new CommandRunner(session, options.room);
  const started = Promise.withResolvers<void>();
  const lines: string[] = [];
  let pumping = false;
  // Lines are carried out one at a time, in the order typed: a line after /join goes to the
  // room joined. Sends are queued by the outbox at once, and shown as on their way.
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    await started.promise;
    while (lines.length > 0) {
      const parsed = parseLine(lines.shift()!);
      if (!parsed) continue;
      if (parsed.kind === "send") {
        const room = runner.room;
        view.sending(room, parsed.text, session.send(parsed.text, room));
      } else if (parsed.kind === "quit") {
        leave.resolve("quit");
      } else if (parsed.kind === "history") {
        view.older(parsed.count);
      } else {
        view.result(await runner.run(parsed));
      }
    }
    pumping = false;
  };
  view.onRequest = (request: Request) => {
    switch (request.kind) {
      case "line":
        lines.push(request.text);
        pump();
        break;
      case "history": {
        const { room, beforeSeq, limit } = request;
        session.history(room, beforeSeq, limit).then(
          ({ messages, more }) => view.historyPage(room, messages, more),
          (error) => view.historyFailed(room, error),
        );
        break;
      }
      case "switch":
        runner.run({ kind: "to", room: request.room }).then(() => view.entered(request.room));
        break;
      case "quit":
      case "quit-now":
        leave.resolve(request.kind);
        break;
    }
  };

  try {
    const ok = await Promise.race([
      session.start().then(() => true, (error) => {
        after.push(renderStartFailure(error));
        return false;
      }),
      leave.promise.then(() => false),
    ]);
    if (!ok) {
      // The server refused this client, or the person left before it answered.
      await session.close(0);
      return after.length > 0 ? 1 : 0;
    }
    started.resolve();
    const why = await leave.promise;
    view.leaving();
    const report = await session.close(DRAIN_MS[why]);
    after.push(...renderCloseReport(report));
    return why === "ended" || why === "error" || report.unsent + report.inDoubt > 0 ? 1 : 0;
  } finally {
    restore();
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onError);
    after.forEach(printLine);
  }
}
