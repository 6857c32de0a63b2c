/**
 * Server reflection (`grpc.reflection.v1` and `v1alpha`, from the grpc-node project's
 * `@grpc/reflection`), so that `grpcurl -plaintext HOST:PORT list`, `describe` and calls work
 * with no proto file at hand. It describes exactly the services the server runs: chat.Chat and
 * chat.Admin from chat.proto, grpc.health.v1.Health from the proto file `grpc-health-check`
 * serves, and the two reflection services from the package's own proto files.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The reflection services' full names, as reflection lists them. */
export const REFLECTION_SERVICES = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
] as const;

/** Where each proto file is found, and its name relative to that folder. */
function protoFiles(): { includeDirs: string[]; files: string[] } {
  // Relative names with include folders, not absolute paths: a descriptor is named after the
  // path it was loaded by, and reflection must not show where this machine keeps its files.
  const chat = fileURLToPath(new URL("../../../chat.proto", import.meta.url));
  // grpc-health-check gives <dir>/proto/health/v1/health.proto; @grpc/reflection gives only its
  // entry point, <dir>/build/src/index.js, next to <dir>/build/proto/grpc/reflection/...
  const healthRoot = join(dirname(healthProtoPath), "../..");
  const reflectionRoot = join(
    dirname(fileURLToPath(import.meta.resolve("@grpc/reflection"))),
    "../proto",
  );
  return {
    includeDirs: [dirname(chat), healthRoot, reflectionRoot],
    files: [
      "chat.proto",
      "health/v1/health.proto",
      "grpc/reflection/v1/reflection.proto",
      "grpc/reflection/v1alpha/reflection.proto",
    ],
  };
}

let reflection: ReflectionService | undefined;

/**
 * Adds server reflection (v1 and v1alpha) to `server`, describing chat.Chat, chat.Admin,
 * grpc.health.v1.Health and the reflection services themselves.
 *
 * @throws {Error} from proto-loader if a proto file cannot be read or parsed; from grpc-js when
 *   `server` already has the reflection services, or has started.
 */
export function addReflection(server: Pick<grpc.Server, "addService">): void {
  // Built once per process: the descriptors are the same for every server, and the package
  // encodes each file in its constructor.
  reflection ??= (() => {
    const { includeDirs, files } = protoFiles();
    // keepCase: descriptors carry the field names as chat.proto writes them (client_id), which
    // grpcurl shows and maps to JSON; the other options do not change a descriptor.
    return new ReflectionService(protoLoader.loadSync(files, { keepCase: true, includeDirs }));
  })();
  reflection.addToServer(server);
}
