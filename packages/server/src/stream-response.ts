import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { Code, ConnectError, type Metadata, type ServerResponse } from "@connect-ts/protocol";
import { errorResponse } from "./error-response.js";
import { httpDate } from "./http-date.js";
import { callOf, type StreamCall } from "./stream-call.js";
import { resetUnreadAfterAnswer } from "./unread-body.js";

/**
 * Writes a runtime response on the call's HTTP/2 stream: status and headers
 * in one `respond`, a whole body with one `end`, a streaming body chunk by
 * chunk with backpressure, then trailers. Never throws and never rejects: a
 * failure before the headers have gone out becomes an `internal` error in
 * the request's protocol, one after it resets the stream with
 * INTERNAL_ERROR, so the client sees an error rather than a clean end.
 */
export function writeStreamResponse(call: StreamCall, response: ServerResponse): void {
  const stream = call.stream;
  const body = response.body;
  const trailers = response.trailers;
  const out = outgoingHeaders(response.status, response.headers);
  try {
    if (body === undefined || body instanceof Uint8Array) {
      const empty = body === undefined || body.byteLength === 0;
      const withTrailers = trailers !== undefined && trailers.size > 0;
      settleUnread(stream);
      // With trailers to follow, a content-length tells a client nothing it can use.
      if (withTrailers) expectTrailers(call, trailers);
      else if (!bodyless(response.status)) out["content-length"] = empty ? 0 : body.byteLength;
      stream.respond(out, { endStream: empty && !withTrailers, waitForTrailers: withTrailers });
      if (empty) {
        if (withTrailers) stream.end();
      } else if (withTrailers || !call.othersInFlight) {
        stream.end(body);
      } else {
        // END_STREAM on the body's own DATA frame closes the stream before
        // Node has finished the write, and Node 20 to 24 then build an
        // ERR_STREAM_DESTROYED nobody sees (about a tenth of a small call's
        // CPU). Ending once the write is done costs an empty DATA frame and
        // a turn of the event loop: worth it while other calls share that
        // turn, not for a lone call whose latency it would add to.
        stream.write(body, () => endAfterWrite(stream));
      }
      return;
    }
    // A streaming body's trailers are complete only once it has ended, so
    // the stream asks for them then. Even without trailers the stream waits:
    // ending it otherwise sends END_STREAM at once, and a producer that fails
    // after its last chunk could then no longer reset the stream, so the
    // client would take a broken body for a complete one.
    expectTrailers(call, trailers);
    settleUnread(stream);
    stream.respond(out, { waitForTrailers: true });
  } catch (err) {
    tearDownStream(call, err);
    return;
  }
  pipeBody(call, body);
}

function endAfterWrite(stream: ServerHttp2Stream): void {
  if (!stream.destroyed) stream.end();
}

/**
 * Ends a call whose answer cannot be completed. If nothing was sent yet, an
 * `internal` error goes out in the request's protocol; otherwise the stream
 * is reset with INTERNAL_ERROR.
 */
export function tearDownStream(call: StreamCall, reason: unknown): void {
  if (call.closed) return;
  const stream = call.stream;
  if (!stream.headersSent && !call.failed) {
    // One attempt at a clean error; if that fails too, the hard stop below.
    call.failed = true;
    const error = new ConnectError("the server failed to send its response", Code.Internal, {
      cause: reason,
    });
    writeStreamResponse(call, errorResponse(call.headers.get("content-type"), error));
    return;
  }
  if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
}

/**
 * Over HTTP/2 a request body can still be arriving when the answer is
 * complete (the router refused it, or the handler answered without reading
 * it); the stream is then reset with NO_ERROR once the answer is out. A body
 * that has ended needs nothing, which is the usual case, so the listeners
 * that watch for it are added only when it has not.
 */
function settleUnread(stream: ServerHttp2Stream): void {
  if (!stream.readableEnded) resetUnreadAfterAnswer(stream);
}

/**
 * Writes a streaming body chunk by chunk, with backpressure; ends the stream
 * after the last. Promise callbacks rather than an async function's loop: an
 * open stream waits here for as long as its producer has nothing to send,
 * and a suspended async function keeps its whole frame meanwhile.
 */
function pipeBody(call: StreamCall, body: AsyncIterable<Uint8Array>): void {
  let it: AsyncIterator<Uint8Array>;
  try {
    it = body[Symbol.asyncIterator]();
  } catch (err) {
    tearDownStream(call, err);
    return;
  }
  pumpBody(call, it);
}

/** Asks the body for its next chunk, which {@link writeChunk} then writes. */
function pumpBody(call: StreamCall, it: AsyncIterator<Uint8Array>): void {
  let next: Promise<IteratorResult<Uint8Array>>;
  try {
    next = it.next();
  } catch (err) {
    tearDownStream(call, err);
    return;
  }
  next.then(
    (result) => writeChunk(call, it, result),
    (err: unknown) => tearDownStream(call, err),
  );
}

function writeChunk(
  call: StreamCall,
  it: AsyncIterator<Uint8Array>,
  result: IteratorResult<Uint8Array>,
): void {
  const stream = call.stream;
  try {
    if (result.done) {
      if (!call.closed) stream.end();
      return;
    }
    // The client went away: return() stops whatever produces the body.
    if (call.closed) {
      stopBody(call, it);
      return;
    }
    if (stream.write(result.value) || call.closed) pumpBody(call, it);
    else drained(stream).then(() => pumpBody(call, it));
  } catch (err) {
    tearDownStream(call, err);
  }
}

/** Returns a body nobody will read any more; its producer's failure to stop changes nothing. */
function stopBody(call: StreamCall, it: AsyncIterator<Uint8Array>): void {
  try {
    it.return?.()?.then(undefined, (err: unknown) => tearDownStream(call, err));
  } catch (err) {
    tearDownStream(call, err);
  }
}

/** Resolves on 'drain', or on 'close' so a vanished client cannot leave the writer hanging. */
function drained(stream: ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

function expectTrailers(call: StreamCall, trailers: Metadata | undefined): void {
  call.trailers = trailers;
  call.stream.on("wantTrailers", sendTrailers);
}

/** 'wantTrailers' listener shared by every stream: sends the call's trailers, read only now. */
function sendTrailers(this: ServerHttp2Stream): void {
  // A stream closed by a reset must not end cleanly after all.
  if (this.closed) return;
  const trailers = callOf(this).trailers;
  try {
    // No trailers at all still ends the stream (Node sends an empty DATA
    // frame with END_STREAM then).
    this.sendTrailers(trailers === undefined ? {} : trailerRecord(trailers));
  } catch {
    // The stream was torn down meanwhile; its 'close' handles the call.
  }
}

/** Status and headers as `respond` takes them, in one pass. */
function outgoingHeaders(status: number, headers: Metadata): OutgoingHttpHeaders {
  // A date of our own, which the handler's metadata may still replace: see httpDate.
  const out: OutgoingHttpHeaders = { ":status": status, date: httpDate() };
  addHeaders(out, headers);
  return out;
}

/** Adds metadata to headers about to go out. */
function addHeaders(out: OutgoingHttpHeaders, metadata: Metadata): void {
  for (const [name, values] of metadata.entries()) {
    out[name] = values.length === 1 ? values[0]! : values;
  }
}

function trailerRecord(trailers: Metadata): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  addHeaders(out, trailers);
  return out;
}

/** Statuses that never carry a body, nor a content-length. */
function bodyless(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}
