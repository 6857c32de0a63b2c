/**
 * Server reflection, asked the way grpcurl asks it: a reflection client written here (from the
 * reflection protocol's own proto files, which @grpc/reflection ships) lists exactly the
 * server's services over v1 and v1alpha, describes chat.Chat with every method chat.proto
 * declares, and gives enough to call the server with no proto file at hand.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningChatServer, startChatServer } from "../src/server/chat_server.ts";

type Version = "v1" | "v1alpha";

/** A request of the reflection protocol, one of its oneof's fields set. */
type ReflectionRequest =
  | { listServices: string }
  | { fileContainingSymbol: string }
  | { fileByFilename: string };

/** A response of the reflection protocol, as proto-loader decodes it (camelCase, bytes as Buffer). */
interface ReflectionResponse {
  messageResponse:
    | "listServicesResponse"
    | "fileDescriptorResponse"
    | "errorResponse"
    | "allExtensionNumbersResponse";
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** The parts of google.protobuf.FileDescriptorProto these tests read. */
interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  service: {
    name: string;
    method: {
      name: string;
      inputType: string;
      outputType: string;
      clientStreaming?: boolean;
      serverStreaming?: boolean;
    }[];
  }[];
  messageType: { name: string; field: { name: string; number: number }[] }[];
}

/** protobufjs's descriptor.proto types (the dependency @grpc/reflection encodes them with). */
interface DescriptorTypes {
  FileDescriptorProto: { decode(bytes: Uint8Array): FileDescriptor };
  FileDescriptorSet: {
    encode(set: { file: FileDescriptor[] }): { finish(): Uint8Array };
  };
}

const REFLECTION_PACKAGE = fileURLToPath(import.meta.resolve("@grpc/reflection"));
// protobufjs is @grpc/reflection's dependency, not this project's: required from there.
const descriptors = createRequire(REFLECTION_PACKAGE)(
  "protobufjs/ext/descriptor",
) as DescriptorTypes;

type ReflectionStub = grpc.Client & {
  ServerReflectionInfo(): grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
};

/** The reflection client of `version`, from the proto file @grpc/reflection ships. */
function reflectionClient(port: number, version: Version): ReflectionStub {
  const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
    includeDirs: [join(dirname(REFLECTION_PACKAGE), "../proto")],
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: {
      reflection: Record<
        Version,
        {
          ServerReflection: new (
            address: string,
            credentials: grpc.ChannelCredentials,
          ) => ReflectionStub;
        }
      >;
    };
  };
  return new loaded.grpc.reflection[version].ServerReflection(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
}

/** Sends `requests` on one ServerReflectionInfo stream; resolves with the responses, in order. */
function reflect(
  client: ReflectionStub,
  requests: ReflectionRequest[],
): Promise<ReflectionResponse[]> {
  return new Promise((resolve, reject) => {
    const responses: ReflectionResponse[] = [];
    const call = client.ServerReflectionInfo();
    call.on("data", (response: ReflectionResponse) => responses.push(response));
    call.on("error", reject);
    call.on("status", (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) resolve(responses);
    });
    for (const request of requests) call.write(request);
    call.end();
  });
}

/** The files a response carries, decoded. */
function filesOf(response: ReflectionResponse): FileDescriptor[] {
  assert.equal(response.messageResponse, "fileDescriptorResponse", JSON.stringify(response));
  return response.fileDescriptorResponse!.fileDescriptorProto.map((bytes) =>
    descriptors.FileDescriptorProto.decode(bytes)
  );
}

/** A method as chat.proto writes it: `Name(stream? In) returns (stream? Out)`. */
function protoMethods(service: string): string[] {
  const text = Deno.readTextFileSync(new URL("../chat.proto", import.meta.url))
    .replace(/\/\/.*$/gm, "");
  const body = text.match(new RegExp(`service ${service} \\{([^}]*)\\}`))![1];
  return [
    ...body.matchAll(
      /rpc\s+(\w+)\s*\(\s*(stream\s+)?(\w+)\s*\)\s*returns\s*\(\s*(stream\s+)?(\w+)\s*\)/g,
    ),
  ]
    .map(([, name, inStream, input, outStream, output]) =>
      `${name}(${inStream ? "stream " : ""}.chat.${input}) returns (${
        outStream ? "stream " : ""
      }.chat.${output})`
    ).sort();
}

/** The same, as a decoded descriptor says it. */
function describedMethods(file: FileDescriptor, service: string): string[] {
  const found = file.service.find((s) => s.name === service);
  assert.ok(found, `${file.name} has no service ${service}`);
  return found.method.map((m) =>
    `${m.name}(${m.clientStreaming ? "stream " : ""}${m.inputType}) returns (${
      m.serverStreaming ? "stream " : ""
    }${m.outputType})`
  ).sort();
}

async function withServer(fn: (server: RunningChatServer) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-reflection-" });
  const server = await startChatServer({
    host: "127.0.0.1",
    port: 0,
    dbPath: `${dir}/chat.db`,
    members: null,
  });
  try {
    await fn(server);
  } finally {
    await server.shutdown();
  }
}

for (const version of ["v1", "v1alpha"] as const) {
  Deno.test(`reflection ${version}: lists exactly the server's services`, async () => {
    await withServer(async ({ port }) => {
      const client = reflectionClient(port, version);
      const [response] = await reflect(client, [{ listServices: "*" }]);
      client.close();
      assert.equal(response.messageResponse, "listServicesResponse", JSON.stringify(response));
      assert.deepEqual(response.listServicesResponse!.service.map((s) => s.name).sort(), [
        "chat.Admin",
        "chat.Chat",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
    });
  });

  Deno.test(`reflection ${version}: describes every service with every method of its proto file`, async () => {
    await withServer(async ({ port }) => {
      const client = reflectionClient(port, version);
      const [chat, admin, health, unknown] = await reflect(client, [
        { fileContainingSymbol: "chat.Chat" },
        { fileContainingSymbol: "chat.Admin" },
        { fileContainingSymbol: "grpc.health.v1.Health" },
        { fileContainingSymbol: "chat.Nope" },
      ]);
      client.close();
      const [chatFile] = filesOf(chat);
      assert.equal(chatFile.package, "chat");
      assert.deepEqual(chatFile.dependency, [], "chat.proto imports nothing");
      assert.deepEqual(describedMethods(chatFile, "Chat"), protoMethods("Chat"));
      assert.equal(protoMethods("Chat").length, 14);
      assert.deepEqual(describedMethods(filesOf(admin)[0], "Admin"), protoMethods("Admin"));
      // Field names as chat.proto writes them, which grpcurl shows and maps to JSON.
      const register = chatFile.messageType.find((m) => m.name === "RegisterRequest")!;
      assert.ok(register.field.some((f) => f.name === "client_id" && f.number > 0));
      assert.deepEqual(describedMethods(filesOf(health)[0], "Health"), [
        "Check(.grpc.health.v1.HealthCheckRequest) returns (.grpc.health.v1.HealthCheckResponse)",
        "List(.grpc.health.v1.HealthListRequest) returns (.grpc.health.v1.HealthListResponse)",
        "Watch(.grpc.health.v1.HealthCheckRequest) returns (stream .grpc.health.v1.HealthCheckResponse)",
      ]);
      assert.equal(unknown.messageResponse, "errorResponse");
      assert.equal(unknown.errorResponse!.errorCode, grpc.status.NOT_FOUND);
    });
  });
}

Deno.test("reflection: what it describes is enough to call Register and Check with no proto file", async () => {
  await withServer(async ({ port }) => {
    const client = reflectionClient(port, "v1");
    const [chat, health] = await reflect(client, [
      { fileContainingSymbol: "chat.Chat" },
      { fileContainingSymbol: "grpc.health.v1.Health" },
    ]);
    client.close();
    const set = descriptors.FileDescriptorSet.encode({
      file: [...filesOf(chat), ...filesOf(health)],
    }).finish();
    const loaded = grpc.loadPackageDefinition(
      protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set), { enums: String }),
    ) as unknown as {
      chat: { Chat: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client };
      grpc: {
        health: {
          v1: {
            Health: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;
          };
        };
      };
    };
    const address = `127.0.0.1:${port}`;
    // A method of a client built from descriptors at run time: its name is only known then.
    type Unary = (
      request: unknown,
      options: grpc.CallOptions,
      done: (error: grpc.ServiceError | null, reply?: Record<string, unknown>) => void,
    ) => void;
    const unary = (stub: grpc.Client, method: string, request: unknown) =>
      new Promise<Record<string, unknown>>((resolve, reject) =>
        (stub as unknown as Record<string, Unary>)[method].call(
          stub,
          request,
          { deadline: Date.now() + 5_000 },
          (error, reply) => error ? reject(error) : resolve(reply!),
        )
      );
    const chatStub = new loaded.chat.Chat(address, grpc.credentials.createInsecure());
    const registered = await unary(chatStub, "Register", { name: "Reflected" });
    // Fields are named as the descriptor names them, which is as chat.proto writes them.
    assert.match(String(registered.client_id), /^[0-9a-f]{32}$/);
    chatStub.close();
    const healthStub = new loaded.grpc.health.v1.Health(
      address,
      grpc.credentials.createInsecure(),
    );
    assert.deepEqual(await unary(healthStub, "Check", { service: "chat.Chat" }), {
      status: "SERVING",
    });
    healthStub.close();
  });
});
