import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
} from "@bufbuild/protobuf";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import { contextOf, createHandlerContext } from "./handler-context.js";
import type { HandlerContext } from "./handler-types.js";
import type { ServerRequest } from "./http.js";
import type { AnyFn, StreamRequest, UnaryRequest } from "./interceptor.js";

/** An implementation of one method as the runtime calls it. */
export type Implementation = (request: unknown, context: HandlerContext) => unknown;

// The implementation behind each call step built here. A protocol whose
// method has no interceptors finds it and calls it directly: no request and
// response objects, no promise when the implementation answers at once.
const implementations = new WeakMap<AnyFn, Implementation>();

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
  const fn = impl as Implementation;
  const output = method.output;
  const singleResponse = method.methodKind === "unary" || method.methodKind === "client_streaming";
  const call: AnyFn = async (req: UnaryRequest | StreamRequest) => {
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
  implementations.set(call, fn);
  return call;
}

/**
 * The implementation a call step runs, when the step is the one
 * {@link createImplementationCall} built (no interceptor wraps it).
 */
export function directImplementation(call: AnyFn): Implementation | undefined {
  return implementations.get(call);
}

/**
 * Calls an implementation that answers with one message: the message (built
 * from its init), or a promise of it when the implementation is asynchronous.
 */
export function callUnary(
  impl: Implementation,
  output: DescMessage,
  message: unknown,
  context: HandlerContext,
): Message | Promise<Message> {
  const init = impl(message, context);
  if (isThenable(init)) {
    return Promise.resolve(init).then((value) => create(output, value as Message) as Message);
  }
  return create(output, init as Message) as Message;
}

/**
 * Calls an implementation that answers with a stream: the iterator of what
 * it yields, message inits the caller builds into messages as they come.
 */
export function callStreaming(
  impl: Implementation,
  output: DescMessage,
  message: unknown,
  context: HandlerContext,
): AsyncIterator<unknown> {
  const produced = impl(message, context) as AsyncIterable<unknown>;
  const iterate = (produced as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator];
  if (typeof iterate === "function") return iterate.call(produced);
  // Not an async iterable after all (an array, say): read it as for-await would.
  return createEach(output, produced)[Symbol.asyncIterator]();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function"
  );
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

/**
 * What the request an interceptor chain sees on the server carries besides
 * its message: the protocols spread it into a unary or a stream request.
 */
export function serverCallFields(
  req: ServerRequest,
  service: DescService,
  method: DescMethod,
  signal: AbortSignal,
  timeoutMs: number | undefined,
) {
  return {
    side: "server",
    service,
    method,
    url: req.path,
    header: req.headers,
    signal,
    timeoutMs,
  } as const;
}
