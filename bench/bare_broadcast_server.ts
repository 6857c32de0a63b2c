/**
 * The framework's limit: a bare grpc-js broadcast server speaking chat.proto,
 * with no storage, no cursors, no acks and no flow control. Every Send (or
 * message on a Publish stream) is written at once, one message per Delivery
 * frame, to every open Subscribe stream. The benchmark runs it beside the real server as its baseline.
 *
 * deno run --allow-net --allow-read --allow-env bench/bare_broadcast_server.ts [PORT]
 *
 * Prints `listening on 127.0.0.1:PORT`.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import process from "node:process";
import { type ChatHandlers, chatProto, CLIENT_ID_HEADER } from "../src/protocol/proto.ts";

grpc.setLogVerbosity(grpc.logVerbosity.NONE);
const subscribers = new Set<grpc.ServerDuplexStream<unknown, unknown>>();
let seq = 0;

/** Writes one message, in a frame of its own, to every subscriber. */
function broadcast(senderId: string, group: string, text: string) {
  const message = { seq: ++seq, senderId, senderName: "", text, sentAtMs: Date.now() };
  const delivery = { group, throughSeq: message.seq, messages: [message] };
  for (const s of subscribers) s.write(delivery);
  return message;
}

// Rooms are not part of the baseline: the benchmark never calls them (grpc-js answers
// UNIMPLEMENTED for a method without a handler).
const handlers: Partial<ChatHandlers> = {
  // Accounts are not part of the baseline: there is nothing to link.
  CreateLinkCode: (_call, callback) => callback(null, { code: "", expiresAtMs: 0 }),
  Register: (_call, callback) =>
    callback(null, {
      clientId: randomUUID().replaceAll("-", ""),
      key: "k",
      groups: [],
      resumed: false,
    }),
  Send: (call, callback) => {
    const clientId = String(call.metadata.get(CLIENT_ID_HEADER)[0] ?? "");
    const message = broadcast(clientId, call.request.group, call.request.text);
    callback(null, { seq: message.seq, sentAtMs: message.sentAtMs, duplicate: false });
  },
  Publish: (call) => {
    const clientId = String(call.metadata.get(CLIENT_ID_HEADER)[0] ?? "");
    call.on("data", (request: { group: string; text: string; clientMsgId: string }) => {
      const message = broadcast(clientId, request.group, request.text);
      call.write({
        clientMsgId: request.clientMsgId,
        seq: message.seq,
        sentAtMs: message.sentAtMs,
        duplicate: false,
        code: 0,
        details: "",
      });
    });
    call.on("end", () => call.end());
    call.on("error", () => {});
  },
  Subscribe: (call) => {
    call.once("data", () => {
      subscribers.add(call);
      call.sendMetadata(new grpc.Metadata());
    });
    const drop = () => subscribers.delete(call);
    call.on("end", () => {
      drop();
      call.end();
    });
    call.on("cancelled", drop);
    call.on("error", drop);
  },
};

const server = new grpc.Server();
server.addService(chatProto.chat.Chat.service, handlers as grpc.UntypedServiceImplementation);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(
    `127.0.0.1:${Deno.args[0] ?? 0}`,
    grpc.ServerCredentials.createInsecure(),
    (e, p) => e ? reject(e) : resolve(p),
  )
);
console.log(`listening on 127.0.0.1:${port}, bare broadcast`);
// The same CPU metric as the chat server's, for the benchmark's cost per delivery.
Deno.addSignalListener("SIGUSR2", () => {
  const { user, system } = process.cpuUsage();
  const cpu = (user + system) / 1e6;
  console.log(`stats: cpu ${cpu.toFixed(3)} s, bare broadcast`);
  console.log(`metrics ${JSON.stringify({ process_cpu_seconds_total: cpu })}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => server.tryShutdown(() => Deno.exit(0)));
}
