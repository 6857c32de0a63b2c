/**
 * The chat server: {@link startChatServer} wires storage, group commit, fan-out,
 * groups and the gRPC handlers, and binds a port.
 *
 * @module
 */
export {
  BindError,
  type ChatServerOptions,
  type GroupSpec,
  type RunningChatServer,
  SERVER_CHANNEL_OPTIONS,
  startChatServer,
} from "./chat_server.ts";
export { AdminSecretError } from "./admin/secret.ts";
export { GroupConflictError } from "./groups/directory.ts";
export type { AccountMode } from "./auth/accounts.ts";
export { jsonLog, type Log, type LogFields, textLog } from "./log.ts";
