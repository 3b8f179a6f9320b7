import type { IncomingMessage, ServerResponse as Http1ServerResponse } from "node:http";
import { constants, type Http2ServerRequest, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import type { NodeServerRequest } from "./node-request.js";
import type { NodeServerResponse } from "./node-response.js";

/**
 * How much of a request body still arriving after its answer an HTTP/1.1
 * connection reads and discards, and for how long, before it is closed
 * outright. Enough for a client that writes its whole body before it looks
 * at the answer (many do, Go's among them) to finish and read it; small
 * enough that a client cannot make the server read without end.
 */
export const lingerMaxBytes = 4 * 1024 * 1024;
/** See {@link lingerMaxBytes}. */
export const lingerMaxMs = 5_000;

/**
 * Sees to a request body that may still be arriving when its answer is
 * complete (the router refused a message over `readMaxBytes`, or answered
 * without reading). Call it before the answer is written.
 *
 * Over HTTP/2, once the answer's END_STREAM has gone out, a stream whose
 * client is still sending is reset with NO_ERROR, which RFC 9113 section 8.1
 * provides for: the client keeps the complete answer and stops sending.
 *
 * Over HTTP/1.1 the rest of the body is read and discarded, up to
 * {@link lingerMaxBytes} and {@link lingerMaxMs}, instead of closing the
 * socket under a client that is still writing: that would reset the
 * connection, and a client blocked writing its body reports the reset rather
 * than the answer it was sent. A connection answered with `connection: close`
 * is half-closed after the answer and closed once the body has ended; a
 * kept-alive one carries on. Past either bound the connection is closed.
 */
export function settleUnreadBody(req: NodeServerRequest, res: NodeServerResponse): void {
  if (req.httpVersionMajor === 2) {
    resetUnreadAfterAnswer((req as Http2ServerRequest).stream);
  } else if (!req.complete) {
    lingerUnreadAfterAnswer(req as IncomingMessage, res as Http1ServerResponse);
  }
}

/**
 * The HTTP/2 half of {@link settleUnreadBody}, for a stream served without
 * the compatibility API: once the answer's END_STREAM has gone out, a stream
 * whose client is still sending is reset with NO_ERROR. Call it before the
 * answer is written. The check waits a turn of the event loop after
 * 'finish' or 'wantTrailers', so the listener that sends the trailers may
 * come before or after this one.
 *
 * The Http2Stream's own 'finish' (not the compatibility response's, which is
 * emitted only once the stream has closed, and so never while the client is
 * still sending) means every DATA frame of the answer has been written;
 * END_STREAM (the trailers, or a last empty DATA frame) follows on the
 * session's next write. Resetting before it has gone would cut the answer
 * short, so the reset waits until the stream is closed on this side.
 */
export function resetUnreadAfterAnswer(stream: ServerHttp2Stream): void {
  stream.once("finish", checkAfterTurn);
  // The compatibility response sends its trailers from its own listener,
  // which was registered first and so runs before this one.
  stream.once("wantTrailers", checkAfterTurn);
}

/** A listener shared by every stream: looks again once the pending write has gone out. */
function checkAfterTurn(this: ServerHttp2Stream): void {
  setImmediate(resetIfAnswered, this, 0);
}

/** How many event-loop turns to wait for END_STREAM to go out after 'finish'. */
const maxTurns = 16;

function resetIfAnswered(stream: ServerHttp2Stream, turns: number): void {
  if (stream.destroyed || stream.closed) return;
  const { localClose, remoteClose } = stream.state;
  // The client has finished too: the stream closes by itself.
  if (remoteClose === 1) return;
  if (localClose === 1) {
    stream.close(constants.NGHTTP2_NO_ERROR);
    return;
  }
  if (turns < maxTurns) setImmediate(resetIfAnswered, stream, turns + 1);
}

function lingerUnreadAfterAnswer(req: IncomingMessage, res: Http1ServerResponse): void {
  const socket = req.socket;
  // Node's server ends an answer sent with `connection: close` by calling
  // socket.destroySoon() from its own 'finish' listener, which runs before
  // any of ours; 'prefinish' comes before it.
  res.once("prefinish", () => {
    if (req.complete) return;
    const own = socket.destroySoon;
    socket.destroySoon = () => {
      socket.destroySoon = own;
      socket.end();
      linger(req, socket, true);
    };
    res.once("finish", () => {
      if (socket.destroySoon === own) return;
      // Kept alive: Node's server discards the rest of the body by itself.
      socket.destroySoon = own;
      linger(req, socket, false);
    });
  });
}

/**
 * Reads and discards what is left of the body within the bounds; then closes
 * the connection if `close` (it was half-closed already), or leaves it for
 * the next request. Past a bound the connection is closed.
 */
function linger(req: IncomingMessage, socket: Socket, close: boolean): void {
  if (req.complete || socket.destroyed) {
    if (close) socket.destroy();
    return;
  }
  let seen = 0;
  const stop = (destroy: boolean) => {
    clearTimeout(timer);
    req.off("data", onData);
    req.off("end", onEnd);
    socket.off("close", onClose);
    if (destroy) socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > lingerMaxBytes) stop(true);
  };
  const onEnd = () => stop(close);
  const onClose = () => stop(false);
  const timer = setTimeout(() => stop(true), lingerMaxMs);
  timer.unref();
  req.on("data", onData);
  req.once("end", onEnd);
  socket.once("close", onClose);
  req.resume();
}
