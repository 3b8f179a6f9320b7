import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  type CallOptions,
  Code,
  ConnectError,
  Metadata,
  type StreamOutput,
  type UnaryOutput,
} from "@connect-ts/protocol";
import {
  type ClientCompatRequest,
  type ClientCompatRequest_Cancel,
  type ClientResponseResult,
  ClientResponseResultSchema,
} from "../gen/connectrpc/conformance/v1/client_compat_pb.js";
import { StreamType } from "../gen/connectrpc/conformance/v1/config_pb.js";
import {
  type BidiStreamRequest,
  BidiStreamRequestSchema,
  type BidiStreamResponse,
  type ClientStreamRequest,
  ClientStreamRequestSchema,
  type ClientStreamResponse,
  type ConformancePayload,
  ConformancePayloadSchema,
  type IdempotentUnaryRequest,
  IdempotentUnaryRequestSchema,
  type IdempotentUnaryResponse,
  type ServerStreamRequest,
  ServerStreamRequestSchema,
  type ServerStreamResponse,
  type UnaryRequest,
  UnaryRequestSchema,
  type UnaryResponse,
  type UnimplementedRequest,
  UnimplementedRequestSchema,
  type UnimplementedResponse,
} from "../gen/connectrpc/conformance/v1/service_pb.js";
import { appendHeaders, errorToProto, headersFromMetadata } from "./convert.js";
import { sleep } from "./sleep.js";

/**
 * The low-level (`call*`) methods of a `ConformanceService` client: they
 * never throw for RPC errors and report headers and trailers, which is what
 * the suite asks to record.
 */
export interface ConformanceCalls {
  callUnary(request: UnaryRequest, options?: CallOptions): Promise<UnaryOutput<UnaryResponse>>;
  callIdempotentUnary(
    request: IdempotentUnaryRequest,
    options?: CallOptions,
  ): Promise<UnaryOutput<IdempotentUnaryResponse>>;
  callUnimplemented(
    request: UnimplementedRequest,
    options?: CallOptions,
  ): Promise<UnaryOutput<UnimplementedResponse>>;
  callServerStream(
    request: ServerStreamRequest,
    options?: CallOptions,
  ): StreamOutput<ServerStreamResponse>;
  callClientStream(
    requests: AsyncIterable<ClientStreamRequest>,
    options?: CallOptions,
  ): Promise<UnaryOutput<ClientStreamResponse>>;
  callBidiStream(
    requests: AsyncIterable<BidiStreamRequest>,
    options?: CallOptions,
  ): StreamOutput<BidiStreamResponse>;
}

/** Thrown for requests the client program cannot carry out (not RPC errors). */
export class InvalidCaseError extends Error {
  override name = "InvalidCaseError";
}

/**
 * Runs the RPC a `ClientCompatRequest` describes and records its outcome:
 * response headers, payloads, error and trailers. Cancellation happens at
 * the requested point, and the call then goes on as if nothing happened, so
 * that what the client runtime does with a cancelled call is what gets
 * recorded.
 */
export async function invoke(
  client: ConformanceCalls,
  req: ClientCompatRequest,
): Promise<ClientResponseResult> {
  const controller = new AbortController();
  // Ends the request stream's delays once the call is over, whatever ended it.
  const finished = new AbortController();
  const options: CallOptions = {
    headers: appendHeaders(new Metadata(), req.requestHeaders),
    signal: controller.signal,
  };
  if (req.timeoutMs !== undefined) options.timeoutMs = req.timeoutMs;
  const cancel = cancelPlan(req.cancel);
  const call: CallContext = { req, options, controller, finished, cancel };
  try {
    switch (req.method ?? defaultMethod(req.streamType)) {
      case "Unary":
        return await unary(call, (m, o) => client.callUnary(m, o), UnaryRequestSchema);
      case "IdempotentUnary":
        return await unary(
          call,
          (m, o) => client.callIdempotentUnary(m, o),
          IdempotentUnaryRequestSchema,
        );
      case "Unimplemented":
        return await unary(
          call,
          (m, o) => client.callUnimplemented(m, o),
          UnimplementedRequestSchema,
        );
      case "ServerStream":
        return await serverStream(call, client);
      case "ClientStream":
        return await clientStream(call, client);
      case "BidiStream":
        return await bidiStream(call, client);
      default:
        throw new InvalidCaseError(`unknown method ${req.method}`);
    }
  } finally {
    finished.abort();
  }
}

interface CallContext {
  readonly req: ClientCompatRequest;
  readonly options: CallOptions;
  readonly controller: AbortController;
  readonly finished: AbortController;
  readonly cancel: CancelPlan;
}

/** When to cancel, flattened from the request's oneof. */
interface CancelPlan {
  beforeCloseSend: boolean;
  afterCloseSendMs: number | undefined;
  afterNumResponses: number | undefined;
}

function cancelPlan(cancel: ClientCompatRequest_Cancel | undefined): CancelPlan {
  const plan: CancelPlan = {
    beforeCloseSend: false,
    afterCloseSendMs: undefined,
    afterNumResponses: undefined,
  };
  if (cancel === undefined) return plan;
  switch (cancel.cancelTiming.case) {
    case "beforeCloseSend":
      plan.beforeCloseSend = true;
      break;
    case "afterNumResponses":
      plan.afterNumResponses = cancel.cancelTiming.value;
      break;
    case "afterCloseSendMs":
      plan.afterCloseSendMs = cancel.cancelTiming.value;
      break;
    default:
      // No timing given: cancel right after closing the send side.
      plan.afterCloseSendMs = 0;
  }
  return plan;
}

function defaultMethod(streamType: StreamType): string {
  switch (streamType) {
    case StreamType.UNARY:
      return "Unary";
    case StreamType.SERVER_STREAM:
      return "ServerStream";
    case StreamType.CLIENT_STREAM:
      return "ClientStream";
    case StreamType.HALF_DUPLEX_BIDI_STREAM:
    case StreamType.FULL_DUPLEX_BIDI_STREAM:
      return "BidiStream";
    default:
      throw new InvalidCaseError(`unsupported stream type ${streamType}`);
  }
}

/** Unpacks the request messages, checking each is of the method's input type. */
function requestMessages<D extends DescMessage>(
  req: ClientCompatRequest,
  schema: D,
): MessageShape<D>[] {
  return req.requestMessages.map((any, i) => {
    const message = anyUnpack(any, schema);
    if (message === undefined) {
      throw new InvalidCaseError(
        `request message #${i + 1} is ${any.typeUrl}, expected ${schema.typeName}`,
      );
    }
    return message;
  });
}

function onlyRequest<D extends DescMessage>(req: ClientCompatRequest, schema: D): MessageShape<D> {
  const messages = requestMessages(req, schema);
  if (messages.length !== 1) {
    throw new InvalidCaseError(`expected exactly one request message, got ${messages.length}`);
  }
  return messages[0]!;
}

/** Cancels the call `ms` milliseconds from now, unless it is over by then. */
function cancelAfter(call: CallContext, ms: number): void {
  if (ms <= 0) {
    call.controller.abort();
    return;
  }
  sleep(ms, call.finished.signal).then(
    () => call.controller.abort(),
    () => {},
  );
}

async function unary<D extends DescMessage>(
  call: CallContext,
  send: (message: MessageShape<D>, options: CallOptions) => Promise<UnaryOutput<object>>,
  schema: D,
): Promise<ClientResponseResult> {
  const message = onlyRequest(call.req, schema);
  const pending = send(message, call.options);
  if (call.cancel.afterCloseSendMs !== undefined) cancelAfter(call, call.cancel.afterCloseSendMs);
  return unaryResult(await pending, 0);
}

function unaryResult(output: UnaryOutput<object>, unsent: number): ClientResponseResult {
  return result(
    output.headers,
    output.message === undefined ? [] : [payloadOf(output.message)],
    output.error,
    output.trailers,
    unsent,
  );
}

/**
 * The request stream of a client or bidi call: each message after the
 * delay; then, as the plan says, cancel instead of closing, or close and
 * cancel later. `afterEach` lets full-duplex calls wait for a response
 * before sending the next message.
 */
class RequestFeed<T> implements AsyncIterable<T> {
  sent = 0;
  constructor(
    private readonly call: CallContext,
    private readonly messages: readonly T[],
    private readonly afterEach?: (sent: number) => Promise<void>,
  ) {}

  get unsent(): number {
    return this.messages.length - this.sent;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const { call } = this;
    try {
      for (const message of this.messages) {
        await sleep(call.req.requestDelayMs, call.finished.signal);
        yield message;
        this.sent++;
        if (this.afterEach !== undefined) await this.afterEach(this.sent);
      }
    } catch {
      // The call ended while a delay was running: stop sending.
      return;
    }
    if (call.cancel.beforeCloseSend) {
      call.controller.abort();
      return;
    }
    if (call.cancel.afterCloseSendMs !== undefined) {
      // Closing the send side is this generator returning, just below.
      cancelAfter(call, call.cancel.afterCloseSendMs);
    }
  }
}

async function clientStream(
  call: CallContext,
  client: ConformanceCalls,
): Promise<ClientResponseResult> {
  const feed = new RequestFeed(call, requestMessages(call.req, ClientStreamRequestSchema));
  const output = await client.callClientStream(feed, call.options);
  return unaryResult(output, output.error === undefined ? 0 : feed.unsent);
}

async function serverStream(
  call: CallContext,
  client: ConformanceCalls,
): Promise<ClientResponseResult> {
  const message = onlyRequest(call.req, ServerStreamRequestSchema);
  const output = client.callServerStream(message, call.options);
  if (call.cancel.afterCloseSendMs !== undefined) cancelAfter(call, call.cancel.afterCloseSendMs);
  return readStream(call, output, 0);
}

async function bidiStream(
  call: CallContext,
  client: ConformanceCalls,
): Promise<ClientResponseResult> {
  const messages = requestMessages(call.req, BidiStreamRequestSchema);
  if (call.req.streamType !== StreamType.FULL_DUPLEX_BIDI_STREAM) {
    const feed = new RequestFeed(call, messages);
    const output = client.callBidiStream(feed, call.options);
    return readStream(call, output, () => feed.unsent);
  }
  // Full duplex: send one, wait for its response, send the next, and so on.
  const responses = new Progress();
  const feed = new RequestFeed(call, messages, (sent) => responses.reach(sent));
  const output = client.callBidiStream(feed, call.options);
  return readStream(call, output, () => feed.unsent, responses);
}

/** Reads a response stream to its end, cancelling after N responses if asked. */
async function readStream(
  call: CallContext,
  output: StreamOutput<{ payload?: ConformancePayload }>,
  unsent: number | (() => number),
  progress?: Progress,
): Promise<ClientResponseResult> {
  const payloads: ConformancePayload[] = [];
  try {
    for await (const message of output) {
      payloads.push(payloadOf(message));
      progress?.advance(payloads.length);
      if (payloads.length === call.cancel.afterNumResponses) call.controller.abort();
    }
  } catch (err) {
    // The low-level output reports RPC errors in `error`; anything thrown
    // here is a bug, recorded as the error so that it shows in the report.
    return result(
      output.headers,
      payloads,
      ConnectError.from(err, Code.Internal),
      output.trailers,
      0,
    );
  } finally {
    progress?.end();
    await output.close();
  }
  const error = output.error;
  const notSent = typeof unsent === "number" ? unsent : unsent();
  return result(
    output.headers,
    payloads,
    error,
    output.trailers,
    error === undefined ? 0 : notSent,
  );
}

/** Counts responses so a full-duplex request stream can wait for the Nth one. */
class Progress {
  #count = 0;
  #ended = false;
  #waiters: { n: number; resolve: () => void }[] = [];

  /** Resolves once `n` responses have arrived or the stream has ended. */
  reach(n: number): Promise<void> {
    if (this.#ended || this.#count >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  advance(count: number): void {
    this.#count = count;
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!this.#ended && this.#count < w.n) return true;
      w.resolve();
      return false;
    });
  }
}

/** The payload of a response; an empty one if the response has none (or no such field). */
function payloadOf(message: object): ConformancePayload {
  const payload =
    "payload" in message ? (message.payload as ConformancePayload | undefined) : undefined;
  return payload ?? create(ConformancePayloadSchema);
}

function result(
  headers: Metadata,
  payloads: ConformancePayload[],
  error: ConnectError | undefined,
  trailers: Metadata,
  unsent: number,
): ClientResponseResult {
  return create(ClientResponseResultSchema, {
    responseHeaders: headersFromMetadata(headers),
    payloads,
    error: error === undefined ? undefined : errorToProto(error),
    responseTrailers: headersFromMetadata(trailers),
    numUnsentRequests: unsent,
  });
}
