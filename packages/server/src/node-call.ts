import type { ServerResponse as Http1ServerResponse } from "node:http";
import { constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { Code, ConnectError, Metadata } from "@connect-ts/protocol";
import type { CallTracker, TrackedCall } from "./call-tracker.js";
import { LazyAbort } from "./lazy-abort.js";
import { NodeBody } from "./node-body.js";
import { type AdaptedRequest, appendRawHeaders, type NodeServerRequest } from "./node-request.js";
import type { NodeServerResponse, ResponseTarget } from "./node-response.js";

const kCall = Symbol("connect-ts call");

/** A response that carries a call. */
type CallResponse = NodeServerResponse & { [kCall]?: NodeCall };

/**
 * One call served through a request listener (`http`, `https`, or the
 * `http2` compatibility API): the runtime's request, the tracker's handle on
 * the call and the writer's target, in one object. The response's 'close'
 * listener is one function shared by every call, which finds the call
 * through the response, so a call costs no closures; its signal's
 * `AbortController` is made only when the signal is read.
 */
export class NodeCall extends LazyAbort implements AdaptedRequest, TrackedCall, ResponseTarget {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Metadata;
  readonly body: NodeBody;
  readonly httpVersion: "1.1" | "2";
  readonly req: NodeServerRequest;
  readonly res: NodeServerResponse;
  readonly http2: boolean;
  closed = false;
  closeConnection: boolean;
  failed = false;
  readonly #tracker: CallTracker;

  /** @param target the request's path and query, split already. */
  constructor(
    req: NodeServerRequest,
    res: NodeServerResponse,
    target: { path: string; query: string },
    tracker: CallTracker,
  ) {
    super();
    this.req = req;
    this.res = res;
    this.#tracker = tracker;
    const http2 = req.httpVersionMajor === 2;
    this.http2 = http2;
    this.httpVersion = http2 ? "2" : "1.1";
    this.closeConnection = tracker.draining;
    this.method = req.method ?? "GET";
    this.path = target.path;
    this.query = target.query;
    const headers = new Metadata();
    const contentLength = appendRawHeaders(headers, req.rawHeaders);
    this.headers = headers;
    // Over HTTP/2 the body is read from the stream itself: the compatibility
    // request would copy every chunk through a Readable of its own.
    const h2 = http2 ? (req as Http2ServerRequest).stream : undefined;
    this.body =
      h2 === undefined ? new NodeBody(req, contentLength) : new NodeBody(h2, contentLength, h2);
    (res as CallResponse)[kCall] = this;
    res.on("close", onResponseClose);
  }

  /** Tears the response down without waiting for the handler (tracker: abort wait over). */
  destroy(): void {
    if (this.closed) return;
    if (this.http2) {
      const stream = (this.res as Http2ServerResponse).stream;
      if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
    } else {
      (this.res as Http1ServerResponse).destroy();
    }
  }

  /** The response has closed: stop tracking, and abort the handler if its answer did not go out whole. */
  onClose(): void {
    this.closed = true;
    this.#tracker.delete(this);
    if (!answered(this.res, this.http2)) this.abort(clientGone());
  }
}

function onResponseClose(this: NodeServerResponse): void {
  (this as CallResponse)[kCall]!.onClose();
}

/**
 * Whether the answer went out whole before the response closed. Over HTTP/2
 * a stream reset by the client may still count as write-finished, so the
 * reset code tells a cancelled call from a completed one; and a stream
 * answered with one `respond` and `end` closes before its writable side
 * reports 'finish', so there ending it counts.
 */
function answered(res: NodeServerResponse, http2: boolean): boolean {
  if (!http2) return res.writableFinished;
  const stream = (res as Http2ServerResponse).stream;
  if (!stream.writableEnded) return false;
  const code = stream.rstCode;
  return code === undefined || code === constants.NGHTTP2_NO_ERROR;
}

function clientGone(): ConnectError {
  return new ConnectError("the client went away", Code.Canceled);
}
