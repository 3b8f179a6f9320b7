import {
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from "node:http2";
import {
  Code,
  ConnectError,
  type HttpRequest,
  type HttpResponse,
  Metadata,
} from "@connect-ts/protocol";
import { abortError, codeFromHttp2Error, streamResetText, wrapHttp2Error } from "./errors.js";
import { fromHttp2Headers } from "./headers.js";
import type { PooledSession } from "./pooled-session.js";
import { type BodySource, PushBody } from "@connect-ts/protocol";
import type { SessionPool } from "./session-pool.js";

/** Attempts per request when streams are refused before the peer processed them. */
const maxAttempts = 3;

/**
 * A stream carries its exchange and session under these keys, so that its
 * listeners can be shared functions (`this` is the stream) instead of six
 * closures made for every request.
 */
const exchangeKey = Symbol("exchange");
const sessionKey = Symbol("session");

type TaggedStream = ClientHttp2Stream & {
  [exchangeKey]: Http2Exchange;
  [sessionKey]: PooledSession;
};

enum Phase {
  /** Waiting for the response headers. */
  Requesting = 0,
  /** Response headers arrived; the body is being received. */
  Receiving = 1,
  /** Settled: failed, aborted or the stream closed. */
  Done = 2,
}

/**
 * One request on an HTTP/2 session: opens the stream, sends the body (whole,
 * or chunk by chunk as it is produced, waiting for `drain`), resolves on the
 * response headers (even while the request body is still being sent) and then
 * feeds the response body and trailers.
 *
 * A request that the peer provably did not process (REFUSED_STREAM, a stream
 * above the GOAWAY's last stream id, or a session that turned out to be dead
 * when it was reused after idling) is sent again on another session, if its
 * body can be sent again (bytes or none, not a stream).
 */
export class Http2Exchange implements BodySource {
  readonly promise: Promise<HttpResponse>;
  #resolve!: (response: HttpResponse) => void;
  #reject!: (reason: ConnectError) => void;
  readonly #pool: SessionPool;
  readonly #request: HttpRequest;
  readonly #headers: OutgoingHttpHeaders;
  #phase = Phase.Requesting;
  #attempts = 0;
  #stream: ClientHttp2Stream | undefined;
  #streamError: unknown;
  #reusedIdle = false;
  /** The session's received byte count when the stream was opened. */
  #bytesAtOpen = 0;
  /** Whether this exchange still counts in its session's {@link PooledSession.busy}. */
  #busy = false;
  #body: PushBody | undefined;
  #trailers: Metadata | undefined;
  /** The response body length the headers declared (content-length), or -1. */
  #expected = -1;
  /** Response body bytes received. */
  #received = 0;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #drain: (() => void) | undefined;
  #abortListening = false;
  /** False for a signal that cannot abort: it needs no listener. */
  readonly #abortable: boolean;

  constructor(
    pool: SessionPool,
    request: HttpRequest,
    headers: OutgoingHttpHeaders,
    abortable: boolean,
  ) {
    this.#pool = pool;
    this.#request = request;
    this.#headers = headers;
    this.#abortable = abortable;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Starts the exchange on a reserved session slot, or waits for one. */
  start(): void {
    const session = this.#pool.tryAcquire();
    if (session !== undefined) {
      this.#run(session);
      return;
    }
    this.#pool.acquire(this.#request.signal, this.#abortable).then(
      (acquired) => this.#run(acquired),
      (error: ConnectError) => this.#fail(error),
    );
  }

  pause(): void {
    this.#stream?.pause();
  }

  resume(): void {
    this.#stream?.resume();
  }

  cancel(): void {
    this.#phase = Phase.Done;
    this.#stream?.close(constants.NGHTTP2_CANCEL);
  }

  #run(session: PooledSession): void {
    const request = this.#request;
    this.#busy = true;
    if (this.#phase === Phase.Done || request.signal.aborted) {
      this.#notBusy(session);
      session.release();
      this.#fail(abortError(request.signal));
      return;
    }
    this.#attempts++;
    // Only this exchange under way on a session that served others: it was idle.
    this.#reusedIdle = session.busy === 1 && session.served > 1;
    // Only needed to tell whether an idle session died unheard (see #mayRetry).
    if (this.#reusedIdle) this.#bytesAtOpen = session.bytesRead;
    const body = request.body;
    let stream: ClientHttp2Stream;
    try {
      stream = session.openStream(this.#headers, body === undefined);
    } catch (error) {
      this.#notBusy(session);
      session.release();
      if (this.#attempts < maxAttempts) this.start();
      else this.#fail(wrapHttp2Error(error));
      return;
    }
    this.#stream = stream;
    this.#streamError = undefined;
    const tagged = stream as TaggedStream;
    tagged[exchangeKey] = this;
    tagged[sessionKey] = session;
    stream.on("response", onResponse);
    stream.on("error", onError);
    // Node emits "close" once: `on` spares the wrapper that `once` makes.
    stream.on("close", onClose);
    if (!this.#abortListening && this.#abortable) {
      this.#abortListening = true;
      request.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (body instanceof Uint8Array) {
      stream.end(body);
    } else if (body !== undefined) {
      void this.#pump(stream, body);
    }
  }

  /** Stream listener: the response headers arrived. */
  streamResponse(stream: ClientHttp2Stream, headers: IncomingHttpHeaders): void {
    if (this.#stream === stream) this.#onResponse(stream, headers);
  }

  /** Stream listener: the stream failed (its close follows). */
  streamError(stream: ClientHttp2Stream, error: unknown): void {
    if (this.#stream === stream) this.#streamError ??= error;
  }

  /** Stream listener: the stream closed, and its slot on `session` is free. */
  streamClose(stream: ClientHttp2Stream, session: PooledSession): void {
    this.#notBusy(session);
    session.release();
    if (this.#stream === stream) this.#onClose(stream, session);
  }

  /** Stream listener: a chunk of the response body. */
  streamData(chunk: Uint8Array): void {
    this.#received += chunk.byteLength;
    this.#body!.push(chunk);
  }

  /** Stream listener: the response trailers. */
  streamTrailers(trailers: IncomingHttpHeaders): void {
    fromHttp2Headers(trailers, this.#trailers!);
  }

  /** Stream listener: the readable side ended, normally or because the stream was reset. */
  streamEnd(stream: ClientHttp2Stream, session: PooledSession): void {
    // Node ends the readable side of every stream that closes, reset or not:
    // only a stream closed without an error code really ended.
    const rstCode = stream.rstCode;
    if (rstCode !== undefined && rstCode !== constants.NGHTTP2_NO_ERROR) return;
    const body = this.#body!;
    const expected = this.#expected;
    if (expected >= 0 && this.#received !== expected) {
      body.fail(
        new ConnectError(
          `response body has ${this.#received} bytes, content-length said ${expected}`,
          Code.Internal,
        ),
      );
    } else {
      body.end();
    }
    this.#notBusy(session);
  }

  #onResponse(stream: ClientHttp2Stream, headers: IncomingHttpHeaders): void {
    if (this.#phase !== Phase.Requesting) return;
    this.#phase = Phase.Receiving;
    // With a content-length, a body cut short by RST_STREAM(NO_ERROR) (which
    // Node reports as a plain end) is caught by counting.
    const declared = headers["content-length"];
    const expected = declared === undefined ? -1 : Number(declared);
    const body = new PushBody(this, expected);
    const trailers = new Metadata();
    this.#body = body;
    this.#trailers = trailers;
    this.#expected = expected;
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("end", onEnd);
    this.#resolve({
      status: Number(headers[":status"]),
      headers: fromHttp2Headers(headers, new Metadata()),
      body,
      trailers,
    });
  }

  #onClose(stream: ClientHttp2Stream, session: PooledSession): void {
    this.#drain?.();
    this.#stopPump();
    if (this.#phase === Phase.Done || this.#body?.finished === true) {
      this.#phase = Phase.Done;
      this.#cleanup();
      return;
    }
    if (this.#phase === Phase.Requesting && this.#mayRetry(stream, session)) {
      this.#stream = undefined;
      this.start();
      return;
    }
    const error = this.#closeError(stream, session);
    if (this.#phase === Phase.Requesting) {
      this.#fail(error);
    } else {
      this.#phase = Phase.Done;
      // A body that ended normally ignores this; one cut short fails with it.
      this.#body?.fail(error);
      this.#cleanup();
    }
  }

  #notBusy(session: PooledSession): void {
    if (!this.#busy) return;
    this.#busy = false;
    session.busy--;
  }

  #mayRetry(stream: ClientHttp2Stream, session: PooledSession): boolean {
    const body = this.#request.body;
    if (body !== undefined && !(body instanceof Uint8Array)) return false;
    if (this.#attempts >= maxAttempts || this.#request.signal.aborted) return false;
    if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return true;
    const lastStreamId = session.goawayLastStreamId;
    if (lastStreamId !== undefined && stream.id !== undefined && stream.id > lastStreamId) {
      return true;
    }
    // A connection that was idle, and died without the peer saying a word after
    // the request went out: the request was written to a connection the peer
    // had already left.
    return (
      this.#reusedIdle &&
      (session.session.destroyed || session.session.closed) &&
      session.bytesRead === this.#bytesAtOpen
    );
  }

  #closeError(stream: ClientHttp2Stream, session: PooledSession): ConnectError {
    const rstCode = stream.rstCode;
    if (this.#streamError !== undefined) return wrapHttp2Error(this.#streamError, rstCode);
    // A lost connection closes its streams with CANCEL: it is the connection that failed.
    if (session.session.destroyed) {
      if (session.error !== undefined) return wrapHttp2Error(session.error);
      return new ConnectError(
        this.#phase === Phase.Requesting
          ? "connection closed before the response arrived"
          : "connection closed before the response ended",
        Code.Unavailable,
      );
    }
    if (rstCode !== undefined && rstCode !== constants.NGHTTP2_NO_ERROR) {
      return new ConnectError(streamResetText(rstCode), codeFromHttp2Error(rstCode));
    }
    // The session is going away (GOAWAY, or closing): the peer dropped the stream with it.
    if (session.session.closed || session.retired) {
      return new ConnectError(
        this.#phase === Phase.Requesting
          ? "connection closed before the response arrived"
          : "connection closed before the response ended",
        Code.Unavailable,
        { cause: session.error },
      );
    }
    return new ConnectError("stream closed before the response ended", Code.Internal);
  }

  readonly #onAbort = (): void => {
    const error = abortError(this.#request.signal);
    if (this.#phase === Phase.Requesting) {
      this.#fail(error);
    } else if (this.#phase === Phase.Receiving) {
      this.#phase = Phase.Done;
      // Cancelled means no more data, even data that already arrived.
      this.#body?.fail(error, true);
    }
    this.#stream?.close(constants.NGHTTP2_CANCEL);
    this.#stopPump();
  };

  #fail(error: ConnectError): void {
    if (this.#phase === Phase.Done) return;
    this.#phase = Phase.Done;
    this.#reject(error);
    this.#stream?.close(constants.NGHTTP2_CANCEL);
    this.#stopPump();
    this.#cleanup();
  }

  #cleanup(): void {
    if (this.#abortListening) {
      this.#abortListening = false;
      this.#request.signal.removeEventListener("abort", this.#onAbort);
    }
  }

  async #pump(stream: ClientHttp2Stream, body: AsyncIterable<Uint8Array>): Promise<void> {
    const iterator = body[Symbol.asyncIterator]();
    this.#iterator = iterator;
    const onDrain = () => this.#drain?.();
    stream.on("drain", onDrain);
    try {
      for (;;) {
        const result = await iterator.next();
        if (this.#iterator !== iterator) return;
        if (result.done === true) {
          stream.end();
          return;
        }
        if (!stream.write(result.value)) {
          await new Promise<void>((resolve) => {
            this.#drain = resolve;
          });
          this.#drain = undefined;
          if (this.#iterator !== iterator) return;
        }
      }
    } catch (error) {
      if (this.#iterator !== iterator) return;
      // The request stream itself failed: reset the HTTP/2 stream and report it.
      const wrapped = ConnectError.from(error, Code.Unknown);
      this.#iterator = undefined;
      if (this.#phase === Phase.Receiving) {
        this.#phase = Phase.Done;
        this.#body?.fail(wrapped);
        stream.close(constants.NGHTTP2_CANCEL);
      } else {
        this.#fail(wrapped);
      }
    } finally {
      stream.off("drain", onDrain);
      if (this.#iterator === iterator) this.#iterator = undefined;
    }
  }

  /** Stops sending the request body and tells its producer to finish. */
  #stopPump(): void {
    const iterator = this.#iterator;
    if (iterator === undefined) return;
    this.#iterator = undefined;
    this.#drain?.();
    if (iterator.return !== undefined) {
      iterator.return().then(undefined, () => {});
    }
  }
}

// The listeners of every stream; `this` is the stream.

function onResponse(this: TaggedStream, headers: IncomingHttpHeaders): void {
  this[exchangeKey].streamResponse(this, headers);
}

function onError(this: TaggedStream, error: unknown): void {
  this[exchangeKey].streamError(this, error);
}

function onClose(this: TaggedStream): void {
  this[exchangeKey].streamClose(this, this[sessionKey]);
}

function onData(this: TaggedStream, chunk: Uint8Array): void {
  this[exchangeKey].streamData(chunk);
}

function onTrailers(this: TaggedStream, trailers: IncomingHttpHeaders): void {
  this[exchangeKey].streamTrailers(trailers);
}

function onEnd(this: TaggedStream): void {
  this[exchangeKey].streamEnd(this, this[sessionKey]);
}
