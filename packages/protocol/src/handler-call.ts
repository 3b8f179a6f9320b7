import { create, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import { contextOf, createHandlerContext } from "./handler-context.js";
import type { HandlerContext } from "./handler-types.js";
import type { AnyFn, StreamRequest, UnaryRequest } from "./interceptor.js";

type Impl = (request: unknown, context: HandlerContext) => unknown;

/**
 * Builds the innermost step of a server call chain: it runs the
 * implementation of one method with the call's context and turns what it
 * returns into a response. A missing implementation answers `unimplemented`.
 */
export function createImplementationCall(method: DescMethod, impl: Function | undefined): AnyFn {
  const service = method.parent;
  if (impl === undefined) {
    return () =>
      Promise.reject(
        new ConnectError(
          `${service.typeName}.${method.name} is not implemented`,
          Code.Unimplemented,
        ),
      );
  }
  const fn = impl as Impl;
  const output = method.output;
  const singleResponse = method.methodKind === "unary" || method.methodKind === "client_streaming";
  return async (req: UnaryRequest | StreamRequest) => {
    const context = contextOf(req) ?? detachedContext(method, req);
    if (singleResponse) {
      const init = await fn(req.message, context);
      return {
        stream: false,
        service,
        method,
        header: context.responseHeaders,
        message: create(output, init as Message) as Message,
        trailer: context.responseTrailers,
      };
    }
    const produced = fn(req.message, context) as AsyncIterable<unknown>;
    return {
      stream: true,
      service,
      method,
      header: context.responseHeaders,
      message: createEach(output, produced),
      trailer: context.responseTrailers,
    };
  };
}

async function* createEach(
  desc: DescMessage,
  inits: AsyncIterable<unknown>,
): AsyncGenerator<Message> {
  for await (const init of inits) yield create(desc, init as Message) as Message;
}

// An interceptor may build a new request from scratch; the implementation
// then gets a context of its own rather than none.
function detachedContext(method: DescMethod, req: UnaryRequest | StreamRequest): HandlerContext {
  return createHandlerContext({
    service: method.parent,
    method,
    protocol: "connect",
    httpVersion: "2",
    requestHeaders: req.header,
    signal: req.signal,
    timeoutMs: req.timeoutMs,
  });
}
