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

  async next(): Promise<IteratorResult<Uint8Array>> {
    const state = this.#state;
    if (state === LAST_SENT) this.#release(true);
    if (state >= LAST_SENT) return { done: true, value: undefined };
    let error: ConnectError | undefined;
    try {
      if (state === FIRST) {
        this.#state = REST;
        const first = this.#first;
        if (first !== undefined) {
          this.#first = undefined;
          return { done: false, value: await this.#frame(first) };
        }
      }
      const rest = this.#rest;
      if (rest !== undefined) {
        const r = await this.#call.race(rest.next());
        if (!r.done) {
          return {
            done: false,
            value: await this.#frame(create(this.#shape.output, r.value as Message)),
          };
        }
      }
    } catch (e) {
      error = ConnectError.from(e);
    }
    // Given up on meanwhile (see return()): nothing more goes out.
    if (this.#state === DONE) return { done: true, value: undefined };
    const context = this.#context!;
    let last: Uint8Array | undefined;
    try {
      last = await this.end(this.#trailer ?? responseTrailersOf(context), error);
    } catch (e) {
      this.#release(false);
      throw e;
    }
    if (this.#state === DONE) return { done: true, value: undefined };
    if (last === undefined) {
      this.#release(true);
      return { done: true, value: undefined };
    }
    this.#state = LAST_SENT;
    return { done: false, value: last };
  }

  /** The consumer stops reading: unless the body is over, the call is cancelled. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (this.#state !== DONE) this.#release(false);
    return Promise.resolve({ done: true, value: undefined });
  }

  /** A message as an envelope, compressed when it is worth it, within the write limit. */
  async #frame(message: Message): Promise<Uint8Array> {
    const bytes = this.#serializer.serialize(message);
    const { writeMaxBytes, compressMinBytes } = this.#shape;
    if (bytes.length > writeMaxBytes) {
      throw new ConnectError(
        `message size ${bytes.length} is larger than configured max ${writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    const compression = this.compression;
    if (compression !== undefined && bytes.length >= compressMinBytes) {
      return encodeEnvelope(FLAG_COMPRESSED, await compressMessage(compression, bytes));
    }
    return encodeEnvelope(0, bytes);
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
