import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code } from "./code.js";
import type { Compression } from "./compression.js";
import { compressMessage } from "./compression-negotiation.js";
import { ConnectError } from "./connect-error.js";
import { encodeEnvelope, FLAG_COMPRESSED } from "./envelope.js";
import { type CallContext, responseTrailersOf } from "./handler-context.js";
import type { HandlerSignal } from "./handler-signal.js";
import type { ServerRequest } from "./http.js";
import type { Metadata } from "./metadata.js";
import type { Serializer } from "./serialization.js";

/** What every streaming answer of one method shares, settled when the router is built. */
export interface StreamBodyShape {
  /** The response message type: what the implementation yields is built into it. */
  readonly output: DescMessage;
  readonly writeMaxBytes: number;
  readonly compressMinBytes: number;
}

/** Where a stream's messages come from, once the first one is known. */
export interface StreamSource {
  /** The first message, produced before the headers went out; undefined if there was none. */
  readonly first: Message | undefined;
  /** The rest, as message inits or messages; undefined if the answer was one message. */
  readonly rest: AsyncIterator<unknown> | undefined;
  /** The trailers an interceptor chain answered with; undefined to read them from the context at the end. */
  readonly trailer: Metadata | undefined;
  readonly context: CallContext;
}

// Where a body is: before its first message, in the rest, after its last
// chunk (which the consumer has not yet asked past), or done and released.
const FIRST = 0;
const REST = 1;
const LAST_SENT = 2;
const DONE = 3;

/** One step of a body: its result now, or a promise of it. */
type Step = IteratorResult<Uint8Array> | Promise<IteratorResult<Uint8Array>>;

function chunk(value: Uint8Array): IteratorResult<Uint8Array> {
  return { done: false, value };
}

function doneResult(): IteratorResult<Uint8Array> {
  return { done: true, value: undefined };
}

/**
 * The body of a streaming answer, shared by the protocols: the first
 * message, the rest as the implementation produces them (each wait raced
 * against the end of the call), then whatever the protocol ends a stream
 * with. One object per call, an iterator of its own, rather than a chain of
 * async generators: each generator and closure of a call is held for as
 * long as the stream stays open.
 *
 * Ending it early (`return()`, as a consumer that stops reading does) or
 * failing aborts the call with `canceled` and closes the implementation's
 * iterator; either way, the call's signal is cleaned up and the rest of the
 * request body discarded once the body is over.
 */
export abstract class StreamBody implements AsyncIterableIterator<Uint8Array> {
  readonly #shape: StreamBodyShape;
  readonly #serializer: Serializer<Message>;
  protected readonly compression: Compression | undefined;
  readonly #call: HandlerSignal;
  readonly #req: ServerRequest;
  #first: Message | undefined;
  #rest: AsyncIterator<unknown> | undefined;
  #trailer: Metadata | undefined;
  #context: CallContext | undefined;
  #state = FIRST;

  constructor(
    shape: StreamBodyShape,
    serializer: Serializer<Message>,
    compression: Compression | undefined,
    call: HandlerSignal,
    req: ServerRequest,
    source: StreamSource,
  ) {
    this.#shape = shape;
    this.#serializer = serializer;
    this.compression = compression;
    this.#call = call;
    this.#req = req;
    this.#first = source.first;
    this.#rest = source.rest;
    this.#trailer = source.trailer;
    this.#context = source.context;
  }

  /**
   * Ends the stream the protocol's way, with the call's trailers and its
   * error if it failed: returns a last chunk to send, or undefined if the
   * stream ends with none (the status goes in HTTP trailers).
   */
  protected abstract end(
    trailers: Metadata | undefined,
    error: ConnectError | undefined,
  ): Promise<Uint8Array | undefined> | Uint8Array | undefined;

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Not an async method, nor are the steps below: an async function's frame
  // and each of its awaits cost more than a promise reaction, and a stream
  // keeps one wait pending for as long as it is open.
  next(): Promise<IteratorResult<Uint8Array>> {
    const state = this.#state;
    if (state === LAST_SENT) this.#release(true);
    if (state >= LAST_SENT) return Promise.resolve(doneResult());
    if (state === FIRST) {
      this.#state = REST;
      const first = this.#first;
      if (first !== undefined) {
        this.#first = undefined;
        return Promise.resolve(this.#send(first));
      }
    }
    const rest = this.#rest;
    if (rest === undefined) return Promise.resolve(this.#finish(undefined));
    let next: Promise<IteratorResult<unknown>>;
    try {
      next = rest.next();
    } catch (e) {
      return Promise.resolve(this.#finish(ConnectError.from(e)));
    }
    return this.#call.race(next).then(this.#onNext, this.#onNextError);
  }

  // Made once per body: a stream asks for a message at a time, for as long as it is open.
  readonly #onNext = (r: IteratorResult<unknown>): Step =>
    r.done === true ? this.#finish(undefined) : this.#send(r.value);

  readonly #onNextError = (e: unknown): Step => this.#finish(ConnectError.from(e));

  /** The consumer stops reading: unless the body is over, the call is cancelled. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (this.#state !== DONE) this.#release(false);
    return Promise.resolve(doneResult());
  }

  /**
   * A message (or an init of one) as the next chunk: an envelope, compressed
   * when it is worth it, within the write limit. A message that cannot go
   * ends the stream with the error instead.
   */
  #send(value: unknown): Step {
    try {
      const bytes = this.#serializer.serialize(create(this.#shape.output, value as Message));
      const { writeMaxBytes, compressMinBytes } = this.#shape;
      if (bytes.length > writeMaxBytes) {
        throw new ConnectError(
          `message size ${bytes.length} is larger than configured max ${writeMaxBytes}`,
          Code.ResourceExhausted,
        );
      }
      const compression = this.compression;
      if (compression !== undefined && bytes.length >= compressMinBytes) {
        return compressMessage(compression, bytes).then(
          (compressed) => chunk(encodeEnvelope(FLAG_COMPRESSED, compressed)),
          (e: unknown) => this.#finish(ConnectError.from(e)),
        );
      }
      return chunk(encodeEnvelope(0, bytes));
    } catch (e) {
      return this.#finish(ConnectError.from(e));
    }
  }

  /** The messages are over, or failed with `error`: what the protocol ends the stream with. */
  #finish(error: ConnectError | undefined): Step {
    // Given up on meanwhile (see return()): nothing more goes out.
    if (this.#state === DONE) return doneResult();
    let last: Uint8Array | Promise<Uint8Array | undefined> | undefined;
    try {
      last = this.end(this.#trailer ?? responseTrailersOf(this.#context!), error);
    } catch (e) {
      this.#release(false);
      return Promise.reject(e);
    }
    if (!(last instanceof Promise)) return this.#last(last);
    return last.then(
      (bytes) => this.#last(bytes),
      (e: unknown) => {
        this.#release(false);
        throw e;
      },
    );
  }

  /** The stream's last chunk, if it has one; without, the body is over at once. */
  #last(bytes: Uint8Array | undefined): IteratorResult<Uint8Array> {
    if (this.#state === DONE) return doneResult();
    if (bytes === undefined) {
      this.#release(true);
      return doneResult();
    }
    this.#state = LAST_SENT;
    return chunk(bytes);
  }

  /**
   * The body is over: the call's signal is cleaned up and the rest of the
   * request body discarded. If it did not end as it should, the call is
   * aborted first, so that the implementation stops, and its iterator closed.
   */
  #release(finished: boolean): void {
    this.#state = DONE;
    const call = this.#call;
    if (!finished) {
      call.abort(new ConnectError("the client stopped reading the response", Code.Canceled));
      closeIterator(this.#rest);
    }
    call.cleanup();
    this.#req.body.cancel();
    this.#first = undefined;
    this.#rest = undefined;
    this.#trailer = undefined;
    this.#context = undefined;
  }
}

/** Closes an implementation's iterator, in a later turn; its own cleanup may fail, and the call is over either way. */
export function closeIterator(it: AsyncIterator<unknown> | undefined): void {
  if (it?.return === undefined) return;
  Promise.resolve()
    .then(() => it.return?.())
    .catch(() => {});
}
