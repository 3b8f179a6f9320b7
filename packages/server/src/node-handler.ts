import type { Http2ServerRequest, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { TLSSocket } from "node:tls";
import {
  Code,
  ConnectError,
  type Router,
  type RouterOptions,
  type ServerResponse,
  type ServiceRegistration,
} from "@connect-ts/protocol";
import { CallTracker, type ShutdownOptions } from "./call-tracker.js";
import { errorResponse } from "./error-response.js";
import { NodeCall } from "./node-call.js";
import { type NodeServerRequest, splitTarget } from "./node-request.js";
import { type NodeServerResponse, tearDown, writeResponse } from "./node-response.js";
import { resolveRouter } from "./resolve-router.js";
import { StreamCall } from "./stream-call.js";
import { tearDownStream, writeStreamResponse } from "./stream-response.js";
import { settleUnreadBody } from "./unread-body.js";

/** Options of {@link createConnectHandler}: the router's, plus the adapter's own. */
export interface ConnectHandlerOptions extends RouterOptions {
  /**
   * Refuse calls that did not come with a client certificate the TLS server
   * verified, answering `unauthenticated`. Create the server with
   * `requestCert: true` and a `ca`; keep `rejectUnauthorized: false` there so
   * that such clients get this RPC error instead of a failed handshake.
   */
  requireClientCert?: boolean;
}

/** The "next" callback of Express-style hosts. */
export type NextFunction = (err?: unknown) => void;

/**
 * A request listener for `http.createServer`, `https.createServer`,
 * `http2.createServer` and `http2.createSecureServer` (with or without
 * `allowHTTP1`), and middleware for Express-style hosts.
 */
export interface NodeHandler {
  /**
   * Serves one request. Given `next` (Express-style), requests for paths the
   * router does not serve are passed on instead of answered with 404.
   */
  (req: NodeServerRequest, res: NodeServerResponse, next?: NextFunction): void;
  /**
   * Serves one HTTP/2 stream: a listener for the 'stream' event of an
   * `http2` server, which skips Node's compatibility layer (its request and
   * response objects cost a good share of a small call's CPU time and
   * memory). Mount it instead of the request listener, not beside it:
   *
   * ```ts
   * const server = http2.createServer();
   * server.on("stream", handler.stream);
   * ```
   *
   * It serves a call just as the request listener does over HTTP/2 (trailers,
   * streaming with backpressure, cancellation by RST_STREAM, shutdown,
   * `requireClientCert`, receive limits), except that paths the router does
   * not serve are answered with 404, as there is no `next`. An
   * `allowHTTP1` server still needs the request listener for its HTTP/1.1
   * clients; {@link listen} sets both up.
   */
  readonly stream: (
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    flags?: number,
    rawHeaders?: readonly string[],
  ) => void;
  /** The router requests go to. */
  readonly router: Router;
  /** The number of calls in flight. */
  readonly inFlight: number;
  /**
   * Begins a graceful shutdown: from now on new calls are answered with
   * `unavailable` (and HTTP/1.1 connections are closed after their response);
   * calls in flight may run on for `graceMs`, then their signals are aborted
   * with a `ConnectError` of code `unavailable`, which is what their clients
   * see. Resolves once every call has ended. Closing the server itself (and
   * its idle connections) is left to its owner, or to {@link listen}.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/**
 * Mounts services on Node's HTTP servers.
 *
 * @example
 * import { createServer } from "node:http2";
 * const handler = createConnectHandler([registerService(ElizaService, impl)]);
 * createServer(handler).listen(8080);
 */
export function createConnectHandler(
  services: readonly ServiceRegistration[] | Router,
  options: ConnectHandlerOptions = {},
): NodeHandler {
  const router = resolveRouter(services, options);
  const tracker = new CallTracker();
  const requireClientCert = options.requireClientCert === true;

  const handler = (req: NodeServerRequest, res: NodeServerResponse, next?: NextFunction): void => {
    const target = splitTarget(req.url ?? "/");
    if (next !== undefined && !router.paths.has(target.path)) {
      next();
      return;
    }
    const call = new NodeCall(req, res, target, tracker);
    if (tracker.draining) {
      refuse(call, new ConnectError("the server is shutting down", Code.Unavailable));
      return;
    }
    if (requireClientCert && !hasVerifiedClientCert(req)) {
      const error = new ConnectError(
        "a verified client certificate is required",
        Code.Unauthenticated,
      );
      refuse(call, error);
      return;
    }
    settleUnreadBody(req, res);
    tracker.add(call);
    void answerNode(router, call, tracker);
  };

  const stream = (
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    _flags?: number,
    rawHeaders?: readonly string[],
  ): void => {
    const call = new StreamCall(stream, headers, rawHeaders, tracker);
    const refusal = refusalOf(call, headers);
    if (refusal !== undefined) {
      writeStreamResponse(call, errorResponse(headers["content-type"], refusal));
      return;
    }
    tracker.add(call);
    answerStream(router, call);
  };

  /** Why the adapter itself refuses a call on a stream, if it does. */
  const refusalOf = (call: StreamCall, headers: IncomingHttpHeaders): ConnectError | undefined => {
    if (tracker.draining) return new ConnectError("the server is shutting down", Code.Unavailable);
    if (requireClientCert && !streamHasVerifiedClientCert(call.stream)) {
      return new ConnectError("a verified client certificate is required", Code.Unauthenticated);
    }
    // A client that waits for leave to send its body gets it; other
    // expectations are ignored, as the answer does not depend on them.
    if (headers.expect === "100-continue") call.stream.additionalHeaders({ ":status": 100 });
    return undefined;
  };

  return Object.defineProperties(handler, {
    stream: { value: stream, enumerable: true },
    router: { value: router, enumerable: true },
    inFlight: { get: () => tracker.size, enumerable: true },
    shutdown: { value: (opts?: ShutdownOptions) => tracker.shutdown(opts), enumerable: true },
  }) as NodeHandler;
}

/** Answers a call the adapter refuses itself, without reading its body. */
function refuse(call: NodeCall, error: ConnectError): void {
  call.closeConnection = true;
  settleUnreadBody(call.req, call.res);
  writeResponse(call, errorResponse(call.req.headers["content-type"], error));
}

/** Runs the router on a request listener's call and writes its answer; never rejects. */
async function answerNode(router: Router, call: NodeCall, tracker: CallTracker): Promise<void> {
  let response: ServerResponse;
  try {
    response = await router.handle(call);
  } catch (err) {
    // A hand-made router may throw or reject; it must not reach the server.
    tearDown(call, err);
    return;
  }
  if (call.closed) {
    discard(response);
    return;
  }
  if (call.body.abandoned || tracker.draining) call.closeConnection = true;
  writeResponse(call, response);
}

/**
 * Runs the router on a stream's call and writes its answer; never throws.
 * Not an async function: its frame would stay allocated until the router
 * answers, which a streaming call does only once its first message is ready.
 */
function answerStream(router: Router, call: StreamCall): void {
  let answer: Promise<ServerResponse>;
  try {
    // As it is when it is a promise already; a hand-made router may answer otherwise.
    answer = Promise.resolve(router.handle(call));
  } catch (err) {
    // A hand-made router may throw or reject; it must not reach the server.
    tearDownStream(call, err);
    return;
  }
  answer.then(
    (response) => {
      if (call.closed) discard(response);
      else writeStreamResponse(call, response);
    },
    (err: unknown) => tearDownStream(call, err),
  );
}

function streamHasVerifiedClientCert(stream: ServerHttp2Stream): boolean {
  return (stream.session?.socket as Partial<TLSSocket> | undefined)?.authorized === true;
}

function hasVerifiedClientCert(req: NodeServerRequest): boolean {
  const socket =
    req.httpVersionMajor === 2 ? (req as Http2ServerRequest).stream.session?.socket : req.socket;
  return (socket as Partial<TLSSocket> | undefined)?.authorized === true;
}

/** Releases a streaming body nobody will send, so its producer stops. */
function discard(response: ServerResponse): void {
  const body = response.body;
  if (body === undefined || body instanceof Uint8Array) return;
  const it = body[Symbol.asyncIterator]();
  it.return?.().catch(() => {});
}
