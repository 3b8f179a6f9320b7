import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connect-ts/protocol";
import type { ConformanceServiceImplementation } from "../gen/connectrpc/conformance/v1/service_connect.js";
import {
  type BidiStreamRequest,
  BidiStreamRequestSchema,
  type BidiStreamResponseSchema,
  type ClientStreamRequest,
  ClientStreamRequestSchema,
  ConformancePayload_ConnectGetInfoSchema,
  type ConformancePayload_RequestInfo,
  ConformancePayload_RequestInfoSchema,
  type IdempotentUnaryRequest,
  IdempotentUnaryRequestSchema,
  type ServerStreamRequest,
  ServerStreamRequestSchema,
  type ServerStreamResponseSchema,
  type StreamResponseDefinition,
  type UnaryRequest,
  UnaryRequestSchema,
  type UnaryResponseDefinition,
} from "../gen/connectrpc/conformance/v1/service_pb.js";
import { appendHeaders, errorFromProto, headersFromMetadata } from "./convert.js";
import { sleep } from "./sleep.js";

/** How the service learns the query of a Connect GET request, which it echoes back. */
export type QueryLookup = (context: HandlerContext) => string | undefined;

/** Options of {@link conformanceImplementation}. */
export interface ConformanceServiceOptions {
  /** Returns the raw query string of the current request, if it was a GET. */
  query?: QueryLookup;
}

/** Every method of the service but `Unimplemented`, which must stay unimplemented. */
export type ConformanceImplementation = Omit<ConformanceServiceImplementation, "unimplemented">;

type Payload = MessageInitShape<typeof ServerStreamResponseSchema>["payload"];

/**
 * The `ConformanceService` as the suite's contract describes it: each request
 * carries a definition of the response headers, messages, trailers, delays
 * and error to answer with, and every answer echoes what the server observed
 * (request headers, timeout, request messages). `Unimplemented` has no
 * implementation, so the router answers it with `unimplemented`.
 */
export function conformanceImplementation(
  options: ConformanceServiceOptions = {},
): ConformanceImplementation {
  const info = (context: HandlerContext, requests: Any[]) =>
    requestInfo(context, requests, options.query);

  const unary = async (
    request: UnaryRequest | IdempotentUnaryRequest,
    requestAny: Any,
    context: HandlerContext,
  ) => {
    const payload = await answerUnary(
      request.responseDefinition,
      info(context, [requestAny]),
      context,
    );
    return { payload };
  };

  return {
    unary: (request, context) => unary(request, anyPack(UnaryRequestSchema, request), context),

    idempotentUnary: (request, context) =>
      unary(request, anyPack(IdempotentUnaryRequestSchema, request), context),

    async clientStream(requests, context) {
      let definition: UnaryResponseDefinition | undefined;
      const received: Any[] = [];
      let first = true;
      for await (const request of requests as AsyncIterable<ClientStreamRequest>) {
        if (first) {
          definition = request.responseDefinition;
          first = false;
        }
        received.push(anyPack(ClientStreamRequestSchema, request));
      }
      const payload = await answerUnary(definition, info(context, received), context);
      return { payload };
    },

    async *serverStream(request: ServerStreamRequest, context) {
      const definition = request.responseDefinition;
      if (definition === undefined) return;
      const received = [anyPack(ServerStreamRequestSchema, request)];
      yield* answerStream(definition, context, (sent) =>
        sent === 0 ? info(context, received) : undefined,
      );
    },

    async *bidiStream(requests, context) {
      let definition: StreamResponseDefinition | undefined;
      let fullDuplex = false;
      let first = true;
      let sent = 0;
      let received: Any[] = [];
      for await (const request of requests as AsyncIterable<BidiStreamRequest>) {
        received.push(anyPack(BidiStreamRequestSchema, request));
        if (first) {
          first = false;
          definition = request.responseDefinition;
          fullDuplex = request.fullDuplex;
          if (definition !== undefined) {
            appendHeaders(context.responseHeaders, definition.responseHeaders);
            appendHeaders(context.responseTrailers, definition.responseTrailers);
          }
        }
        if (!fullDuplex) continue;
        // Full duplex: one response per request, each echoing the requests
        // read since the previous response; the first also echoes headers
        // and timeout. Once the responses run out, stop reading and end.
        if (definition === undefined || sent >= definition.responseData.length) break;
        const echo: ConformancePayload_RequestInfo =
          sent === 0
            ? info(context, received)
            : create(ConformancePayload_RequestInfoSchema, { requests: received });
        await sleep(definition.responseDelayMs, context.signal);
        yield streamResponse<typeof BidiStreamResponseSchema>(definition.responseData[sent]!, echo);
        sent++;
        received = [];
      }
      if (definition === undefined) return;
      // Half duplex, or full duplex with more responses than requests: send
      // the rest now that the client is done sending.
      for (; sent < definition.responseData.length; sent++) {
        await sleep(definition.responseDelayMs, context.signal);
        yield streamResponse<typeof BidiStreamResponseSchema>(
          definition.responseData[sent]!,
          sent === 0 ? info(context, received) : undefined,
        );
      }
      if (definition.error !== undefined) {
        throw errorFromProto(
          definition.error,
          sent === 0 ? [infoDetail(info(context, received))] : [],
        );
      }
    },
  };
}

/**
 * Answers a unary or client-stream call: response headers and trailers as
 * defined, then after the delay either the payload or the defined error,
 * which carries the request info as a detail.
 */
async function answerUnary(
  definition: UnaryResponseDefinition | undefined,
  echo: ConformancePayload_RequestInfo,
  context: HandlerContext,
) {
  if (definition === undefined) return { requestInfo: echo };
  appendHeaders(context.responseHeaders, definition.responseHeaders);
  appendHeaders(context.responseTrailers, definition.responseTrailers);
  await sleep(definition.responseDelayMs, context.signal);
  if (definition.response.case === "error") {
    throw errorFromProto(definition.response.value, [infoDetail(echo)]);
  }
  return {
    requestInfo: echo,
    data: definition.response.case === "responseData" ? definition.response.value : undefined,
  };
}

/**
 * Sends a server stream's responses as defined, each after the delay, then
 * the defined error if any. The request info goes in the first response, or
 * in the error's details when no response went before it.
 */
async function* answerStream(
  definition: StreamResponseDefinition,
  context: HandlerContext,
  echoFor: (sent: number) => ConformancePayload_RequestInfo | undefined,
) {
  appendHeaders(context.responseHeaders, definition.responseHeaders);
  appendHeaders(context.responseTrailers, definition.responseTrailers);
  let sent = 0;
  for (const data of definition.responseData) {
    const echo = echoFor(sent);
    await sleep(definition.responseDelayMs, context.signal);
    yield streamResponse<typeof ServerStreamResponseSchema>(data, echo);
    sent++;
  }
  if (definition.error !== undefined) {
    const echo = echoFor(0);
    throw errorFromProto(definition.error, sent === 0 && echo ? [infoDetail(echo)] : []);
  }
}

function streamResponse<
  S extends typeof ServerStreamResponseSchema | typeof BidiStreamResponseSchema,
>(data: Uint8Array, requestInfo: ConformancePayload_RequestInfo | undefined): MessageInitShape<S> {
  const payload: Payload = { data, requestInfo };
  return { payload } as MessageInitShape<S>;
}

/** What the server observed of the call: request headers, timeout, messages, GET query. */
function requestInfo(
  context: HandlerContext,
  requests: Any[],
  query: QueryLookup | undefined,
): ConformancePayload_RequestInfo {
  const remaining = context.timeRemaining();
  const rawQuery = query?.(context);
  return create(ConformancePayload_RequestInfoSchema, {
    requestHeaders: headersFromMetadata(context.requestHeaders),
    timeoutMs: remaining === undefined ? undefined : BigInt(Math.floor(remaining)),
    requests,
    connectGetInfo:
      rawQuery === undefined
        ? undefined
        : create(ConformancePayload_ConnectGetInfoSchema, { queryParams: queryParams(rawQuery) }),
  });
}

function queryParams(rawQuery: string) {
  const byName = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const values = byName.get(name);
    if (values === undefined) byName.set(name, [value]);
    else values.push(value);
  }
  return [...byName].map(([name, value]) => ({ name, value }));
}

function infoDetail(echo: ConformancePayload_RequestInfo) {
  return { desc: ConformancePayload_RequestInfoSchema, value: echo };
}
