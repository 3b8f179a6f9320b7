import type { DescMethod, Registry } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { CodecName } from "./client-types.js";
import { Code } from "./code.js";
import { createImplementationCall } from "./handler-call.js";
import type { Router, RouterOptions, ServiceRegistration } from "./handler-types.js";
import type { ServerRequest, ServerResponse, UniversalHandler } from "./http.js";
import { applyInterceptors } from "./interceptor.js";
import {
  DEFAULT_COMPRESS_MIN_BYTES,
  DEFAULT_READ_MAX_BYTES,
  MAX_ENVELOPE_PAYLOAD,
} from "./limits.js";
import { Metadata } from "./metadata.js";
import type { HandlerMethodConfig, HandlerProtocol, HandlerSerializers } from "./protocol.js";
import { handlerProtocols } from "./protocols.js";
import { createSerializer, serviceRegistry } from "./serialization.js";

/** The handlers of one method, one per protocol served. */
type MethodHandlers = readonly (readonly [HandlerProtocol, UniversalHandler])[];

/**
 * Builds the handler runtime for a set of services: it routes a request
 * path to a method, picks the protocol from the verb and content type, and
 * answers everything else as HTTP expects (404 for unknown paths, 405 for
 * wrong verbs, 415 for unknown content types). Everything that depends only
 * on a method is built here, once.
 */
export function createRouter(
  services: readonly ServiceRegistration[],
  options: RouterOptions = {},
): Router {
  const served = options.protocols ?? handlerProtocols.map((p) => p.name);
  const protocols = handlerProtocols.filter((p) => served.includes(p.name));
  const routes = new Map<string, MethodHandlers>();
  const allowed = new Map<string, string>();
  for (const { service, implementation } of services) {
    const registry = serviceRegistry(service, options.registry);
    for (const method of service.methods) {
      const path = `/${service.typeName}/${method.name}`;
      if (routes.has(path)) throw new TypeError(`${path} is registered twice`);
      const config = methodConfig(method, implementation[method.localName], options, registry);
      routes.set(
        path,
        protocols.map((p) => [p, p.createHandler(config)] as const),
      );
      allowed.set(
        path,
        method.methodKind === "unary" &&
          method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS
          ? "GET, POST"
          : "POST",
      );
    }
  }
  // Not async: the protocol's promise is handed on as it is. Only a
  // protocol that fails (a bug, not the client's fault: protocols answer
  // their own errors) costs a handler for its rejection.
  const handle = (req: ServerRequest): Promise<ServerResponse> => {
    try {
      const handlers = routes.get(req.path);
      if (handlers === undefined) {
        req.body.cancel();
        return Promise.resolve(plainStatus(404));
      }
      for (let i = 0; i < handlers.length; i++) {
        const [protocol, handler] = handlers[i]!;
        if (protocol.claims(req)) {
          return handler(req).catch(() => internalFailure(req));
        }
      }
      req.body.cancel();
      if (req.method !== "POST" && req.method !== "GET") {
        return Promise.resolve({
          status: 405,
          headers: new Metadata({ allow: allowed.get(req.path)! }),
          body: undefined,
        });
      }
      return Promise.resolve(plainStatus(415));
    } catch {
      return Promise.resolve(internalFailure(req));
    }
  };
  return { handle, paths: new Set(routes.keys()) };
}

function plainStatus(status: number): ServerResponse {
  return { status, headers: new Metadata(), body: undefined };
}

function internalFailure(req: ServerRequest): ServerResponse {
  try {
    req.body.cancel();
  } catch {
    // The body is beyond saving; the answer still goes out.
  }
  return plainStatus(500);
}

function methodConfig(
  method: DescMethod,
  impl: Function | undefined,
  options: RouterOptions,
  registry: Registry,
): HandlerMethodConfig {
  const cache = new Map<CodecName, HandlerSerializers>();
  return {
    service: method.parent,
    method,
    call: applyInterceptors(createImplementationCall(method, impl), options.interceptors),
    serializers(codec) {
      let s = cache.get(codec);
      if (s === undefined) {
        s = {
          input: createSerializer(method.input, codec, registry, Code.InvalidArgument),
          output: createSerializer(method.output, codec, registry, Code.Internal),
        };
        cache.set(codec, s);
      }
      return s;
    },
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    writeMaxBytes: options.writeMaxBytes ?? MAX_ENVELOPE_PAYLOAD,
    compression: options.compression ?? [],
    compressMinBytes: options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES,
    registry,
    requireConnectProtocolHeader: options.requireConnectProtocolHeader ?? false,
    maxTimeoutMs: options.maxTimeoutMs,
  };
}
