import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { Code, ConnectError, Metadata } from "@connect-ts/protocol";
import type { CallTracker, TrackedCall } from "./call-tracker.js";
import { LazyAbort } from "./lazy-abort.js";
import { NodeBody } from "./node-body.js";
import { type AdaptedRequest, appendRawHeaders, splitTarget } from "./node-request.js";

const kCall = Symbol("connect-ts call");

/** An HTTP/2 stream that carries a call. */
interface CallStream extends ServerHttp2Stream {
  [kCall]?: StreamCall;
}

/**
 * One call served from an HTTP/2 server's 'stream' event: the runtime's
 * request, the tracker's handle on the call and the state of its answer, in
 * one object. The stream's listeners are functions shared by every call,
 * which find the call through the stream, so a call costs no closures.
 */
export class StreamCall extends LazyAbort implements AdaptedRequest, TrackedCall {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Metadata;
  readonly body: NodeBody;
  readonly httpVersion = "2" as const;
  readonly stream: ServerHttp2Stream;
  /** Set once the stream has closed (answered, reset or torn down). */
  closed = false;
  /** Set once writing the answer failed, so that the fallback error is tried only once. */
  failed = false;
  /** The trailers to send when the stream asks for them. */
  trailers: Metadata | undefined = undefined;
  readonly #tracker: CallTracker;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: readonly string[] | undefined,
    tracker: CallTracker,
  ) {
    super();
    this.stream = stream;
    this.#tracker = tracker;
    this.method = headers[":method"] ?? "GET";
    const { path, query } = splitTarget(headers[":path"] ?? "/");
    this.path = path;
    this.query = query;
    const metadata = new Metadata();
    const contentLength = appendRawHeaders(metadata, rawHeaders ?? flatten(headers));
    this.headers = metadata;
    this.body = new NodeBody(stream, contentLength, stream, true);
    (stream as CallStream)[kCall] = this;
    stream.on("close", onStreamClose);
    // Without a listener an error on the stream would be thrown; a failed
    // stream also closes, and 'close' says all the call needs to know.
    stream.on("error", ignore);
  }

  /** Whether the server is serving other calls than this one at the moment. */
  get othersInFlight(): boolean {
    return this.#tracker.size > 1;
  }

  /** Resets the stream at once, without waiting for the handler (tracker: abort wait over). */
  destroy(): void {
    if (!this.closed && !this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  /** The stream has closed: stop tracking, and abort the handler if its answer did not go out whole. */
  onClose(): void {
    this.closed = true;
    this.#tracker.delete(this);
    this.body.streamClosed();
    if (!answered(this.stream)) this.abort(clientGone());
  }
}

/** The call a stream carries. */
export function callOf(stream: ServerHttp2Stream): StreamCall {
  return (stream as CallStream)[kCall]!;
}

function onStreamClose(this: ServerHttp2Stream): void {
  callOf(this).onClose();
}

function ignore(): void {}

/**
 * Whether the answer went out whole before the stream closed. A stream reset
 * by the client may have ended its writable side already, so the reset code
 * tells a cancelled call from a completed one (NO_ERROR is the server's own
 * reset of an unread request body after a complete answer).
 */
function answered(stream: ServerHttp2Stream): boolean {
  if (!stream.writableEnded) return false;
  const code = stream.rstCode;
  return code === undefined || code === constants.NGHTTP2_NO_ERROR;
}

function clientGone(): ConnectError {
  return new ConnectError("the client went away", Code.Canceled);
}

/** Raw headers rebuilt from the parsed ones, for a 'stream' event without them. */
function flatten(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) raw.push(name, v);
    else raw.push(name, String(value));
  }
  return raw;
}
