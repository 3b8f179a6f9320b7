import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodBiDiStreaming,
  type DescMethodClientStreaming,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
  type Registry,
} from "@bufbuild/protobuf";
import { errorParts } from "./call-metadata.js";
import { type CallSignal, createCallSignal, deadlineAware } from "./call-signal.js";
import type {
  CallOptions,
  ClientOptions,
  RequestStream,
  StreamOutput,
  UnaryOutput,
} from "./client-types.js";
import { Code } from "./code.js";
import { ConnectError } from "./connect-error.js";
import type { Transport } from "./http.js";
import { abortError } from "./http-body.js";
import {
  type AnyFn,
  applyInterceptors,
  type StreamResponse,
  type UnaryResponse,
} from "./interceptor.js";
import {
  DEFAULT_COMPRESS_MIN_BYTES,
  DEFAULT_READ_MAX_BYTES,
  MAX_ENVELOPE_PAYLOAD,
} from "./limits.js";
import { doneResult as done } from "./iteration.js";
import { mapIterable } from "./map-iterable.js";
import { Metadata } from "./metadata.js";
import type { ClientProtocol } from "./protocol.js";
import { clientProtocols } from "./protocols.js";
import { createSerializer, serviceRegistry } from "./serialization.js";
import { CallStreamOutput } from "./stream-output.js";

const noop = () => {};

/** What a client settles about a method the first time it is called. */
interface MethodEntry {
  readonly url: string;
  readonly fn: AnyFn;
}

/**
 * The client runtime: it runs calls of any method through the interceptors
 * and the chosen protocol over a transport. Generated clients hold one and
 * call its methods. Everything that depends only on the method (URL,
 * serializers, the interceptor chain) is built on the method's first call and
 * cached.
 */
export class RpcClient {
  readonly #transport: Transport;
  readonly #options: ClientOptions;
  readonly #protocol: ClientProtocol;
  readonly #baseUrl: string;
  readonly #methods = new Map<DescMethod, MethodEntry>();
  readonly #registries = new Map<DescService, Registry>();
  /**
   * The call signal of calls nobody can cancel, when the transport offers a
   * signal for them ({@link Transport.uncancellableSignal}). Not with interceptors: one
   * could leave a listener on the signal, which would then outlive the call.
   */
  readonly #uncancellable: CallSignal | undefined;

  /**
   * @param transport how requests travel.
   * @param options protocol, codec, compression, interceptors, limits.
   */
  constructor(transport: Transport, options: ClientOptions = {}) {
    const protocol = clientProtocols.get(options.protocol ?? "connect");
    if (protocol === undefined) {
      throw new ConnectError(`protocol "${options.protocol}" is not supported`, Code.Unimplemented);
    }
    this.#transport = transport;
    this.#options = options;
    this.#protocol = protocol;
    this.#baseUrl = transport.baseUrl.replace(/\/+$/, "");
    const offered = transport.uncancellableSignal;
    if (
      (options.interceptors === undefined || options.interceptors.length === 0) &&
      offered !== undefined &&
      !offered.aborted
    ) {
      this.#uncancellable = { signal: offered, abort: noop, cleanup: noop };
    }
  }

  /** Calls a unary method; resolves with the response message or rejects with a `ConnectError`. */
  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    const call = this.#callSignal(options, false);
    try {
      const res = await this.#unaryCall(method, request, options, call);
      return res.message as MessageShape<O>;
    } catch (e) {
      throw toCallError(e, call);
    } finally {
      call.cleanup();
    }
  }

  /** Calls a unary method; never rejects for RPC errors, which come back in `error`. */
  async callUnary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<UnaryOutput<MessageShape<O>>> {
    const call = this.#callSignal(options, false);
    try {
      const res = await this.#unaryCall(method, request, options, call);
      return unaryOutput(res);
    } catch (e) {
      return errorOutput(toCallError(e, call));
    } finally {
      call.cleanup();
    }
  }

  /** Calls a server-streaming method; iterating yields the responses and throws a `ConnectError` on failure. */
  serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<O>> {
    return throwing(() => this.callServerStream(method, request, options));
  }

  /** Calls a server-streaming method in the low-level form: the call starts at once. */
  callServerStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): StreamOutput<MessageShape<O>> {
    const call = this.#callSignal(options);
    const res = this.#unaryCall(method, request, options, call) as Promise<unknown>;
    return new CallStreamOutput(res as Promise<StreamResponse>, call);
  }

  /** Calls a client-streaming method; resolves with the response or rejects with a `ConnectError`. */
  async clientStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodClientStreaming<I, O>,
    requests: RequestStream<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    const call = this.#callSignal(options, false);
    try {
      const res = (await this.#streamCall(method, requests, options, call)) as UnaryResponse;
      return res.message as MessageShape<O>;
    } catch (e) {
      throw toCallError(e, call);
    } finally {
      call.cleanup();
    }
  }

  /** Calls a client-streaming method; never rejects for RPC errors. */
  async callClientStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodClientStreaming<I, O>,
    requests: RequestStream<I>,
    options?: CallOptions,
  ): Promise<UnaryOutput<MessageShape<O>>> {
    const call = this.#callSignal(options, false);
    try {
      const res = (await this.#streamCall(method, requests, options, call)) as UnaryResponse;
      return unaryOutput(res);
    } catch (e) {
      return errorOutput(toCallError(e, call));
    } finally {
      call.cleanup();
    }
  }

  /** Calls a bidi method; iterating yields the responses and throws a `ConnectError` on failure. */
  bidiStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    requests: RequestStream<I>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<O>> {
    return throwing(() => this.callBidiStream(method, requests, options));
  }

  /** Calls a bidi method in the low-level form: the call starts at once. */
  callBidiStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    requests: RequestStream<I>,
    options?: CallOptions,
  ): StreamOutput<MessageShape<O>> {
    const call = this.#callSignal(options);
    const res = this.#streamCall(method, requests, options, call) as Promise<StreamResponse>;
    return new CallStreamOutput(res, call);
  }

  // Streams need a signal of their own so closing them can cancel the call;
  // calls with one response end by themselves.
  #callSignal(options: CallOptions | undefined, abortable = true): CallSignal {
    const timeoutMs = options?.timeoutMs ?? this.#options.defaultTimeoutMs;
    if (
      !abortable &&
      timeoutMs === undefined &&
      options?.signal === undefined &&
      this.#uncancellable !== undefined
    ) {
      return this.#uncancellable;
    }
    return createCallSignal(options?.signal, timeoutMs, abortable);
  }

  #unaryCall(
    method: DescMethod & { input: DescMessage },
    request: MessageInitShape<DescMessage>,
    options: CallOptions | undefined,
    call: CallSignal,
  ): Promise<UnaryResponse | StreamResponse> {
    const entry = this.#entry(method);
    if (call.signal.aborted) return Promise.reject(abortError(call.signal));
    return entry.fn({
      stream: false,
      side: "client",
      service: method.parent,
      method,
      url: entry.url,
      header: new Metadata(options?.headers),
      signal: call.signal,
      timeoutMs: options?.timeoutMs ?? this.#options.defaultTimeoutMs,
      message: create(method.input, request) as Message,
    });
  }

  #streamCall(
    method: DescMethod & { input: DescMessage },
    requests: RequestStream<DescMessage>,
    options: CallOptions | undefined,
    call: CallSignal,
  ): Promise<UnaryResponse | StreamResponse> {
    const entry = this.#entry(method);
    if (call.signal.aborted) return Promise.reject(abortError(call.signal));
    return entry.fn({
      stream: true,
      side: "client",
      service: method.parent,
      method,
      url: entry.url,
      header: new Metadata(options?.headers),
      signal: call.signal,
      timeoutMs: options?.timeoutMs ?? this.#options.defaultTimeoutMs,
      message: createAll(method.input, requests),
    });
  }

  #entry(method: DescMethod): MethodEntry {
    const cached = this.#methods.get(method);
    if (cached !== undefined) return cached;
    const o = this.#options;
    const codec = o.codec ?? "proto";
    const send = o.compression?.send;
    const accept = [...(o.compression?.accept ?? [])];
    if (send !== undefined && !accept.some((c) => c.name === send.name)) accept.push(send);
    const url = `${this.#baseUrl}/${method.parent.typeName}/${method.name}`;
    let registry = this.#registries.get(method.parent);
    if (registry === undefined) {
      registry = serviceRegistry(method.parent, o.registry);
      this.#registries.set(method.parent, registry);
    }
    const inner = this.#protocol.createCall({
      transport: this.#transport,
      service: method.parent,
      method,
      url,
      codec,
      input: createSerializer(method.input, codec, registry, Code.Internal),
      output: createSerializer(method.output, codec, registry, Code.Internal),
      readMaxBytes: o.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
      writeMaxBytes: o.writeMaxBytes ?? MAX_ENVELOPE_PAYLOAD,
      sendCompression: send,
      acceptCompression: accept,
      compressMinBytes: o.compression?.minBytes ?? DEFAULT_COMPRESS_MIN_BYTES,
      useHttpGet: o.useHttpGet ?? false,
      registry,
    });
    const entry = { url, fn: applyInterceptors(inner, o.interceptors) };
    this.#methods.set(method, entry);
    return entry;
  }
}

/** The request stream as messages (an init becomes a message of its type). */
function createAll(
  desc: DescMessage,
  requests: RequestStream<DescMessage>,
): AsyncIterable<Message> {
  const make = (init: MessageInitShape<DescMessage>) => create(desc, init) as Message;
  return isAsyncIterable(requests) ? mapIterable(requests, make) : createEach(requests, make);
}

function isAsyncIterable<T>(value: AsyncIterable<T> | Iterable<T>): value is AsyncIterable<T> {
  return Symbol.asyncIterator in value;
}

/** A request stream given as a plain list or other sync iterable, as messages. */
async function* createEach(
  requests: Iterable<MessageInitShape<DescMessage>>,
  make: (init: MessageInitShape<DescMessage>) => Message,
): AsyncGenerator<Message> {
  for (const init of requests) yield make(init);
}

/** The error a call ends with: the signal's reason wins once the call is aborted. */
function toCallError(e: unknown, call: CallSignal): ConnectError {
  if (call.signal.aborted) {
    const reason = abortError(call.signal);
    if (e instanceof ConnectError && e.code === reason.code) return e;
    return reason;
  }
  return deadlineAware(ConnectError.from(e), call);
}

function unaryOutput<O>(res: UnaryResponse | StreamResponse): UnaryOutput<O> {
  return {
    message: res.message as O,
    headers: res.header,
    trailers: res.trailer,
    error: undefined,
  };
}

function errorOutput<O>(error: ConnectError): UnaryOutput<O> {
  const { headers, trailers } = errorParts(error);
  return { message: undefined, headers, trailers, error };
}

/** Turns a low-level stream output into an iterable that throws its error; the call starts on iteration. */
function throwing<O>(start: () => StreamOutput<O>): AsyncIterable<O> {
  return {
    [Symbol.asyncIterator]() {
      return new ThrowingIterator(start());
    },
  };
}

/**
 * Iterates a stream output and, once it is over, closes it and throws its
 * error if it has one; a reader that stops early closes it too.
 */
class ThrowingIterator<O> implements AsyncIterator<O> {
  readonly #out: StreamOutput<O>;
  readonly #it: AsyncIterator<O>;
  #over = false;

  constructor(out: StreamOutput<O>) {
    this.#out = out;
    this.#it = out[Symbol.asyncIterator]();
  }

  next(): Promise<IteratorResult<O>> {
    if (this.#over) return Promise.resolve(done);
    return this.#it.next().then(this.#onResult, this.#onError);
  }

  async return(): Promise<IteratorResult<O>> {
    if (!this.#over) {
      this.#over = true;
      try {
        await this.#it.return?.();
      } finally {
        await this.#out.close();
      }
    }
    return done;
  }

  readonly #onResult = (r: IteratorResult<O>): IteratorResult<O> | Promise<IteratorResult<O>> =>
    r.done === true ? this.#finish() : r;

  readonly #onError = async (e: unknown): Promise<never> => {
    this.#over = true;
    await this.#out.close();
    throw e;
  };

  async #finish(): Promise<IteratorResult<O>> {
    if (this.#over) return done;
    this.#over = true;
    await this.#out.close();
    const error = this.#out.error;
    if (error !== undefined) throw error;
    return done;
  }
}
