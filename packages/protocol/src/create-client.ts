import type {
  DescMethodBiDiStreaming,
  DescMethodClientStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
} from "@bufbuild/protobuf";
import { RpcClient } from "./client.js";
import type { Client, ClientOptions } from "./client-types.js";
import type { Transport } from "./http.js";

/**
 * Builds a typed client for a service descriptor: one function per method,
 * named by its `localName` (`say` for `Say`), each bound to one shared
 * {@link RpcClient}. Generated clients offer the same plus the `call*` forms.
 */
export function createClient<S extends DescService>(
  service: S,
  transport: Transport,
  options?: ClientOptions,
): Client<S> {
  const rpc = new RpcClient(transport, options);
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    switch (method.methodKind) {
      case "unary":
        client[method.localName] = rpc.unary.bind(rpc, method as DescMethodUnary);
        break;
      case "server_streaming":
        client[method.localName] = rpc.serverStream.bind(rpc, method as DescMethodServerStreaming);
        break;
      case "client_streaming":
        client[method.localName] = rpc.clientStream.bind(rpc, method as DescMethodClientStreaming);
        break;
      case "bidi_streaming":
        client[method.localName] = rpc.bidiStream.bind(rpc, method as DescMethodBiDiStreaming);
        break;
    }
  }
  return client as Client<S>;
}
