import { Code } from "../code.js";
import { ConnectError } from "../connect-error.js";
import { CallContext } from "../handler-context.js";
import { HandlerSignal } from "../handler-signal.js";
import type { ServerRequest, ServerResponse } from "../http.js";
import { Metadata } from "../metadata.js";
import type { HandlerMethodConfig } from "../protocol.js";
import { headerProtocolVersion, protocolVersion, trailerPrefix } from "./request-header.js";
import { parseTimeout, TIMEOUT_HEADER } from "./timeout.js";

/** The start of every call: validated headers, a signal with the deadline, the context. */
export interface CallStart {
  readonly call: HandlerSignal;
  readonly context: CallContext;
  readonly timeoutMs: number | undefined;
}

/**
 * Starts a Connect call on the server: checks the protocol version and the
 * timeout, and creates the call's signal and context. A failure is thrown as
 * a {@link StartFailure} carrying the context, so it is answered like any error.
 */
export function startCall(
  req: ServerRequest,
  config: HandlerMethodConfig,
  versionParam: string | undefined,
): CallStart {
  // The context exists before validation so that errors are answered the same way.
  let timeoutMs: number | undefined;
  let failure: unknown;
  try {
    const version = req.method === "GET" ? versionParam : req.headers.get(headerProtocolVersion);
    const want = req.method === "GET" ? "v1" : protocolVersion;
    if (version === undefined ? config.requireConnectProtocolHeader : version !== want) {
      throw new ConnectError(
        req.method === "GET"
          ? `protocol error: missing or unsupported "connect" query parameter, want "v1"`
          : `protocol error: missing or unsupported ${headerProtocolVersion} header, want "${protocolVersion}"`,
        Code.InvalidArgument,
      );
    }
    timeoutMs = parseTimeout(req.headers.get(TIMEOUT_HEADER));
    if (timeoutMs !== undefined && config.maxTimeoutMs !== undefined) {
      timeoutMs = Math.min(timeoutMs, config.maxTimeoutMs);
    }
  } catch (e) {
    failure = e;
  }
  // Unary calls end with their one response: without a timeout they can run
  // on the request's own signal. Streams need their own to stop the handler
  // when the client stops reading.
  const call = new HandlerSignal(
    req,
    failure === undefined ? timeoutMs : undefined,
    config.method.methodKind !== "unary",
  );
  const context = new CallContext(
    config.service,
    config.method,
    "connect",
    req.httpVersion,
    req.headers,
    call,
    timeoutMs === undefined ? undefined : (call.deadline ?? Date.now() + timeoutMs),
  );
  if (failure !== undefined) {
    call.cleanup();
    throw new StartFailure(failure, context);
  }
  return { call, context, timeoutMs };
}

/** Carries a validation failure together with the context it happened in. */
export class StartFailure {
  constructor(
    readonly cause: unknown,
    readonly context: CallContext,
  ) {}
}

/** Sends trailers as `trailer-` headers, as unary Connect responses carry them. */
export function addTrailers(headers: Metadata, trailers: Metadata | undefined): void {
  if (trailers === undefined || trailers.size === 0) return;
  for (const [name, values] of trailers.entries()) headers.set(trailerPrefix + name, values);
}

/** Fails with `resource_exhausted` when a message is larger than the write limit. */
export function checkWriteLimit(size: number, max: number): void {
  if (size > max) {
    throw new ConnectError(
      `message size ${size} is larger than configured max ${max}`,
      Code.ResourceExhausted,
    );
  }
}

/** A response with a status and headers and no body, for requests that are not RPCs. */
export function plainResponse(status: number, headers: Record<string, string>): ServerResponse {
  return { status, headers: new Metadata(headers), body: undefined };
}
