/**
 * A chat server in the test's own process, for tests that talk to it over real gRPC and read
 * its state directly.
 *
 * @module
 */
import {
  type ChatServerOptions,
  type RunningChatServer,
  startChatServer,
} from "../src/server/chat_server.ts";

/**
 * Starts a server on a free port of 127.0.0.1 with a fresh database in a new temporary
 * directory named from `prefix`, open to everyone unless `options` say otherwise.
 */
export async function startTestServer(
  prefix: string,
  options: Partial<ChatServerOptions> = {},
): Promise<RunningChatServer> {
  const dir = await Deno.makeTempDir({ prefix });
  return await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: null,
    ...options,
  });
}
