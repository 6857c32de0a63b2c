/**
 * The chat client's public face: a {@link ChatSession} that reports typed
 * {@link ClientEvent}s, the {@link IdentityStore} it keeps its identity in,
 * the typed commands ({@link parseLine}, {@link CommandRunner}) any front end
 * may use, and the line-mode front end that `client.ts` prints with.
 *
 * @example
 * ```ts ignore
 * import {
 *   ChatSession,
 *   defaultStateDir,
 *   IdentityStore,
 *   printLine,
 *   renderEvent,
 * } from "./src/client/mod.ts";
 *
 * const address = "127.0.0.1:50051";
 * const identity = await IdentityStore.open(defaultStateDir(), address, "Luis");
 * const session = new ChatSession({
 *   name: "Luis",
 *   address,
 *   identity,
 *   onEvent: (event) => printLine(renderEvent(event)),
 * });
 * await session.start();
 * await session.send("hello");
 * await session.close();
 * ```
 *
 * @module
 */
export {
  ChatSession,
  type ChatSessionOptions,
  CLIENT_CHANNEL_OPTIONS,
  type CloseReport,
  type RoomOptions,
} from "./session.ts";
export {
  type Command,
  COMMAND_HELP,
  type CommandHelp,
  type CommandName,
  type CommandOutcome,
  type CommandResult,
  CommandRunner,
  type CommandSession,
  type ParsedLine,
  parseLine,
  type UnknownCommand,
  type UsageError,
} from "./commands.ts";
export { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from "../shared/limits.ts";
export { RefusedError } from "./calls.ts";
export type * from "./events.ts";
export { defaultStateDir, type IdentityState, MAX_SLOTS } from "./identity.ts";
export { IdentityStore } from "./identity_store.ts";
export {
  type Line,
  printLine,
  renderCloseReport,
  renderEvent,
  renderLinkCode,
  renderResult,
  renderStartFailure,
  renderStateDirFailure,
} from "./line.ts";
