import type {
  BenchClient,
  BenchServer,
  ClientSpec,
  HttpVersion,
  ServerSpec,
  StackName,
  Wire,
} from "../types.js";
import type { HeldAnswers } from "./bare-server.js";

/**
 * Tells whether a stack speaks `wire` over `httpVersion`. grpc-js is gRPC over
 * HTTP/2 only; gRPC runs over HTTP/2 only here; the others speak both versions.
 */
export function supports(stack: StackName, httpVersion: HttpVersion, wire: Wire): boolean {
  if (wire === "grpc") return httpVersion === "2";
  return stack !== "grpc-js";
}

/**
 * Starts a server of one stack. Each stack is loaded on demand, so a process
 * only holds the code of the stack it measures.
 */
export async function startServer(spec: ServerSpec, held?: HeldAnswers): Promise<BenchServer> {
  switch (spec.stack) {
    case "bare":
      return (await import("./bare-server.js")).startBareServer(spec.httpVersion, held);
    case "connect-es":
      return (await import("./connect-es-server.js")).startConnectEsServer(spec.httpVersion);
    case "grpc-js":
      if (spec.httpVersion !== "2") throw new Error("grpc-js serves HTTP/2 only");
      return (await import("./grpc-js-server.js")).startGrpcJsServer();
    case "ours":
      return (await import("./ours-server.js")).startOursServer(spec.httpVersion);
  }
}

/** Builds a client of one stack. */
export async function createBenchClient(spec: ClientSpec): Promise<BenchClient> {
  if (!supports(spec.stack, spec.httpVersion, spec.wire)) {
    throw new Error(`${spec.stack} has no ${spec.wire} client over HTTP/${spec.httpVersion}`);
  }
  switch (spec.stack) {
    case "bare":
      return (await import("./bare-client.js")).createBareClient(
        spec.httpVersion,
        spec.wire,
        spec.baseUrl,
      );
    case "connect-es":
      return (await import("./connect-es-client.js")).createConnectEsClient(
        spec.httpVersion,
        spec.wire,
        spec.baseUrl,
      );
    case "grpc-js":
      return (await import("./grpc-js-client.js")).createGrpcJsClient(spec.baseUrl);
    case "ours":
      return (await import("./ours-client.js")).createOursClient(
        spec.httpVersion,
        spec.wire,
        spec.baseUrl,
      );
  }
}
