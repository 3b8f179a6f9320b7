import type { Http2Stream } from "node:http2";
import type { Readable } from "node:stream";
import { type BodySource, Code, ConnectError, type HttpBody, PushBody } from "@connect-ts/protocol";

const kBody = Symbol("connect-ts body");

/** A request stream whose body is being read whole. */
type BodyStream = Readable & { [kBody]?: NodeBody };

/** The state of {@link NodeBody.readAll} until it settles. */
interface WholeRead {
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: ConnectError) => void;
  readonly maxBytes: number;
  readonly chunks: Buffer[];
  total: number;
}

/**
 * A request body read from a Node request stream (`http.IncomingMessage` or
 * `http2.Http2ServerRequest`). Nothing is read until the router asks, so a
 * request the router refuses costs no buffering.
 */
export class NodeBody implements HttpBody, BodySource {
  readonly #stream: Readable;
  readonly #contentLength: number;
  readonly #h2: Http2Stream | undefined;
  #used = false;
  #cancelled = false;
  /** The read of the whole body under way, until it settles. */
  #read: WholeRead | undefined = undefined;
  /** The chunks, when the body is iterated: the stream's events push them in. */
  #chunks: PushBody | undefined = undefined;
  readonly #closeReported: boolean;

  /**
   * @param contentLength the declared `content-length`, or -1 if none.
   * @param h2 the HTTP/2 stream under a compatibility-API request.
   * @param closeReported whether the owner of the stream already listens for
   *   its 'close' and reports it with {@link NodeBody.streamClosed}, so that a
   *   read needs no 'error' and 'close' listeners of its own (an errored
   *   stream always closes too).
   */
  constructor(stream: Readable, contentLength: number, h2?: Http2Stream, closeReported = false) {
    this.#closeReported = closeReported;
    this.#stream = stream;
    this.#contentLength = contentLength;
    this.#h2 = h2;
  }

  /**
   * Whether the body ended because the client finished it. Node's HTTP/2
   * compatibility request ends its body cleanly when the stream is reset, so
   * over HTTP/2 the end counts only if the stream itself saw END_STREAM;
   * otherwise a cancelled upload would pass for a complete one.
   */
  #endedByClient(): boolean {
    const h2 = this.#h2;
    return h2 === undefined || h2.readableEnded;
  }

  /** Whether the body was cancelled before the client finished sending it. */
  get abandoned(): boolean {
    return this.#cancelled && !this.#stream.readableEnded;
  }

  /**
   * Reads the whole body. A declared `content-length` above `maxBytes` is
   * refused before reading; otherwise the count stops the read as soon as it
   * passes the limit (`resource_exhausted`). A client that goes away first
   * makes it reject with `canceled`.
   */
  readAll(maxBytes: number): Promise<Uint8Array> {
    if (this.#used) return Promise.reject(alreadyRead());
    this.#used = true;
    const stream = this.#stream as BodyStream;
    if (this.#contentLength > maxBytes) {
      this.cancel();
      return Promise.reject(tooLarge(maxBytes));
    }
    if (stream.destroyed) return Promise.reject(gone());
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#read = { resolve, reject, maxBytes, chunks: [], total: 0 };
      this.#listen(stream);
    });
  }

  /** The stream closed: a read still under way ends with `canceled` (see the constructor's `closeReported`). */
  streamClosed(): void {
    if (this.#read !== undefined) this.#fail(gone());
    this.#chunks?.fail(gone());
  }

  /** Listens for the events that feed a read, whole or chunk by chunk. */
  #listen(stream: BodyStream): void {
    // The listeners are shared by every body and find it through the
    // stream. They stay on after the read settles: removing four listeners
    // costs more than the stream that carries them, which is about to end,
    // and a settled read ignores whatever they see.
    stream[kBody] = this;
    stream.on("data", NodeBody.#onData);
    stream.on("end", NodeBody.#onEnd);
    if (this.#closeReported) return;
    stream.on("error", NodeBody.#onError);
    stream.on("close", NodeBody.#onClose);
  }

  static readonly #onData = function onData(this: BodyStream, chunk: Buffer): void {
    const body = this[kBody]!;
    const read = body.#read;
    if (read === undefined) {
      body.#chunks?.push(chunk);
      return;
    }
    read.total += chunk.length;
    if (read.total > read.maxBytes) {
      body.#fail(tooLarge(read.maxBytes));
      body.cancel();
      return;
    }
    read.chunks.push(chunk);
  };

  static readonly #onEnd = function onEnd(this: BodyStream): void {
    const body = this[kBody]!;
    const read = body.#read;
    if (read === undefined) {
      const chunks = body.#chunks;
      if (chunks === undefined) return;
      if (body.#endedByClient()) chunks.end();
      else chunks.fail(gone());
      return;
    }
    body.#read = undefined;
    const { chunks } = read;
    // A body shorter than its declared length did not end as its client
    // meant: over HTTP/2 a stream reset midway can read as an end.
    const declared = body.#contentLength;
    if (!body.#endedByClient() || (declared >= 0 && read.total !== declared)) read.reject(gone());
    else if (chunks.length === 1) read.resolve(chunks[0]!);
    else if (chunks.length === 0) read.resolve(new Uint8Array(0));
    else read.resolve(Buffer.concat(chunks, read.total));
  };

  static readonly #onError = function onError(this: BodyStream, err: unknown): void {
    const body = this[kBody]!;
    if (body.#read !== undefined) body.#fail(fromStreamError(err));
    body.#chunks?.fail(fromStreamError(err));
  };

  // A stream destroyed without an error (an HTTP/2 stream reset) ends here.
  static readonly #onClose = function onClose(this: BodyStream): void {
    // Every stream closes; only one closing under a read still under way makes an error.
    const body = this[kBody]!;
    if (body.#read !== undefined) body.#fail(gone());
    body.#chunks?.fail(gone());
  };

  #fail(error: ConnectError): void {
    const read = this.#read;
    if (read === undefined) return;
    this.#read = undefined;
    read.reject(error);
  }

  /**
   * Yields the chunks as they arrive; a client that goes away ends it with
   * `canceled`. The stream's events push the chunks into a buffer the reader
   * pulls from, which pauses the stream while the reader is behind: one
   * promise per chunk, where the stream's own async iterator and a generator
   * around it took several.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#used) return failing(alreadyRead());
    this.#used = true;
    const stream = this.#stream as BodyStream;
    if (stream.destroyed) return failing(gone());
    const chunks = new PushBody(this);
    this.#chunks = chunks;
    this.#listen(stream);
    return chunks[Symbol.asyncIterator]();
  }

  /** The reader is behind: stop the stream's flow (see {@link BodySource}). */
  pause(): void {
    this.#stream.pause();
  }

  /** The reader caught up. */
  resume(): void {
    this.#stream.resume();
  }

  /** Stops reading and discards the rest (see {@link NodeBody.abandoned}). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#used = true;
    // A reader waiting for chunks learns of it (and calls back here, which returns above).
    this.#chunks?.cancel();
    // Discard what is left rather than destroying the stream: the response
    // still has to go out. The adapter closes the connection (HTTP/1.1) or
    // resets the stream (HTTP/2) after the answer if the client keeps sending.
    if (!this.#stream.readableEnded && !this.#stream.destroyed) this.#stream.resume();
  }
}

/** An iterator whose first read fails with `error`. */
function failing(error: ConnectError): AsyncIterator<Uint8Array> {
  return { next: () => Promise.reject(error) };
}

function alreadyRead(): ConnectError {
  return new ConnectError("request body already read", Code.Internal);
}

function tooLarge(maxBytes: number): ConnectError {
  return new ConnectError(`request body larger than ${maxBytes} bytes`, Code.ResourceExhausted);
}

function gone(): ConnectError {
  return new ConnectError("client went away before sending the whole request", Code.Canceled);
}

function fromStreamError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  return new ConnectError("request stream failed: client went away", Code.Canceled, {
    cause: err,
  });
}
