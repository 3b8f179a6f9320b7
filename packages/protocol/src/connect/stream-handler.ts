import type { Message } from "@bufbuild/protobuf";
import type { CallSignal } from "../call-signal.js";
import type { CodecName } from "../client-types.js";
import { Code } from "../code.js";
import type { Compression } from "../compression.js";
import {
  compressMessage,
  decompressMessage,
  negotiateServerCompression,
} from "../compression-negotiation.js";
import { ConnectError } from "../connect-error.js";
import {
  EnvelopeDecoder,
  encodeEnvelope,
  FLAG_COMPRESSED,
  FLAG_END_STREAM,
  readEnvelopes,
} from "../envelope.js";
import { withContext } from "../handler-context.js";
import type { HandlerContext } from "../handler-types.js";
import { AbortRace, raceAbort } from "../abort-race.js";
import type { ServerRequest, ServerResponse } from "../http.js";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import type { HandlerMethodConfig } from "../protocol.js";
import { encodeEndStream } from "./end-stream.js";
import {
  headerStreamAcceptEncoding,
  headerStreamEncoding,
  streamContentType,
} from "./request-header.js";

import { checkWriteLimit, StartFailure, startCall } from "./handler-start.js";

/** Builds the handler of a streaming method. */
export function createStreamHandler(
  config: HandlerMethodConfig,
): (req: ServerRequest, codec: CodecName) => Promise<ServerResponse> {
  const { service, method, readMaxBytes, writeMaxBytes, compressMinBytes, registry } = config;
  const kind = method.methodKind;
  const acceptEncoding =
    config.compression.length > 0 ? config.compression.map((c) => c.name).join(", ") : undefined;
  return async (req, codec) => {
    const headers = new Metadata();
    headers.set("content-type", streamContentType(codec));
    if (acceptEncoding !== undefined) headers.set(headerStreamAcceptEncoding, acceptEncoding);
    let context: HandlerContext | undefined;
    let call: CallSignal | undefined;
    let compression: Compression | undefined;
    const { input, output } = config.serializers(codec);
    const frame = async (message: Message): Promise<Uint8Array> => {
      const bytes = output.serialize(message);
      checkWriteLimit(bytes.length, writeMaxBytes);
      if (compression !== undefined && bytes.length >= compressMinBytes) {
        return encodeEnvelope(FLAG_COMPRESSED, await compressMessage(compression, bytes));
      }
      return encodeEnvelope(0, bytes);
    };
    const endFrame = async (
      trailers: Metadata,
      error: ConnectError | undefined,
    ): Promise<Uint8Array> => {
      const bytes = encodeEndStream(trailers, error, registry);
      if (compression !== undefined && bytes.length >= compressMinBytes) {
        try {
          return encodeEnvelope(
            FLAG_COMPRESSED | FLAG_END_STREAM,
            await compressMessage(compression, bytes),
          );
        } catch {
          // Fall through: the end of the stream must go out whatever happens.
        }
      }
      return encodeEnvelope(FLAG_END_STREAM, bytes);
    };
    let first: Message | undefined;
    let rest: AsyncIterator<Message> | undefined;
    let response: UnaryResponse | StreamResponse;
    try {
      const start = startCall(req, config, undefined);
      context = start.context;
      call = start.call;
      const negotiated = negotiateServerCompression(
        config.compression,
        req.headers.get(headerStreamEncoding),
        req.headers.get(headerStreamAcceptEncoding),
      );
      compression = negotiated.response;
      const requestCompression = negotiated.request;
      const signal = call.signal;
      let message: Message | AsyncIterable<Message>;
      if (kind === "server_streaming") {
        message = await readSingle(req, readMaxBytes, requestCompression, input.parse, signal);
      } else {
        message = readRequests(req, readMaxBytes, requestCompression, input.parse);
      }
      response = await raceAbort(
        config.call(
          withContext(
            kind === "server_streaming"
              ? {
                  stream: false,
                  side: "server",
                  service,
                  method,
                  url: req.path,
                  header: req.headers,
                  signal,
                  timeoutMs: start.timeoutMs,
                  message: message as Message,
                }
              : {
                  stream: true,
                  side: "server",
                  service,
                  method,
                  url: req.path,
                  header: req.headers,
                  signal,
                  timeoutMs: start.timeoutMs,
                  message: message as AsyncIterable<Message>,
                },
            start.context,
          ),
        ),
        signal,
      );
      if (response.stream) {
        rest = response.message[Symbol.asyncIterator]();
        const r = await raceAbort(rest.next(), signal);
        if (!r.done) first = r.value;
      } else {
        first = response.message;
      }
    } catch (thrown) {
      let e = thrown;
      if (e instanceof StartFailure) {
        context = e.context;
        e = e.cause;
      }
      const err = ConnectError.from(e);
      headers.merge(context?.responseHeaders ?? new Metadata());
      headers.set("content-type", streamContentType(codec));
      // The end-stream message may be compressed: the header must say with what.
      if (compression !== undefined) headers.set(headerStreamEncoding, compression.name);
      const body = await endFrame(context?.responseTrailers ?? new Metadata(), err);
      closeIterator(rest);
      call?.cleanup();
      req.body.cancel();
      return { status: 200, headers, body };
    }
    // The handler has produced its first message (or finished): headers are final now.
    // The protocol's own headers win over any an interceptor or handler set.
    headers.merge(response.header);
    headers.set("content-type", streamContentType(codec));
    if (compression !== undefined) headers.set(headerStreamEncoding, compression.name);
    const callSignal = call;
    const trailer = response.trailer;
    const race = new AbortRace(callSignal.signal);
    const release = (finished: boolean) => {
      race.dispose();
      if (!finished) {
        callSignal.abort(
          new ConnectError("the client stopped reading the response", Code.Canceled),
        );
        closeIterator(rest);
      }
      callSignal.cleanup();
      req.body.cancel();
    };
    async function* body(): AsyncGenerator<Uint8Array> {
      let error: ConnectError | undefined;
      let finished = false;
      try {
        try {
          if (first !== undefined) yield await frame(first);
          if (rest !== undefined) {
            for (;;) {
              const r = await race.race(rest.next());
              if (r.done) break;
              yield await frame(r.value);
            }
          }
        } catch (e) {
          error = ConnectError.from(e);
        }
        yield await endFrame(trailer, error);
        finished = true;
      } finally {
        release(finished);
      }
    }
    return { status: 200, headers, body: releasing(body(), () => release(false)) };
  };
}

/**
 * Wraps a generator so that returning it before its first `next` still
 * releases the call: a generator that never started skips its `finally`.
 */
function releasing(
  gen: AsyncGenerator<Uint8Array>,
  release: () => void,
): AsyncIterable<Uint8Array> {
  let started = false;
  const iterator: AsyncIterator<Uint8Array> = {
    next() {
      started = true;
      return gen.next();
    },
    return(value?: unknown) {
      if (!started) {
        started = true;
        release();
      }
      return gen.return(value as undefined);
    },
    throw(e?: unknown) {
      if (!started) {
        started = true;
        release();
      }
      return gen.throw(e);
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** Reads the one request of a server-streaming call: exactly one envelope. */
async function readSingle(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
  signal: AbortSignal,
): Promise<Message> {
  const bytes = await raceAbort(req.body.readAll(readMaxBytes + 5), signal);
  const decoder = new EnvelopeDecoder(readMaxBytes);
  const frames = decoder.push(bytes);
  decoder.end();
  if (frames.length !== 1) {
    // Unimplemented, as gRPC answers a server-streaming call without exactly one request.
    throw new ConnectError(
      `protocol error: want exactly one request message, got ${frames.length}`,
      Code.Unimplemented,
    );
  }
  return parse(await requestPayload(frames[0]!.flags, frames[0]!.data, compression, readMaxBytes));
}

async function* readRequests(
  req: ServerRequest,
  readMaxBytes: number,
  compression: Compression | undefined,
  parse: (data: Uint8Array) => Message,
): AsyncGenerator<Message> {
  for await (const env of readEnvelopes(req.body, readMaxBytes)) {
    yield parse(await requestPayload(env.flags, env.data, compression, readMaxBytes));
  }
}

async function requestPayload(
  flags: number,
  data: Uint8Array,
  compression: Compression | undefined,
  readMaxBytes: number,
): Promise<Uint8Array> {
  if ((flags & FLAG_END_STREAM) !== 0) {
    throw new ConnectError("protocol error: end-stream flag in a request", Code.InvalidArgument);
  }
  if ((flags & FLAG_COMPRESSED) === 0) return data;
  if (compression === undefined) {
    throw new ConnectError(
      "protocol error: compressed message but the request names no encoding",
      Code.Internal,
    );
  }
  return decompressMessage(compression, data, readMaxBytes);
}

function closeIterator(it: AsyncIterator<unknown> | undefined): void {
  if (it?.return === undefined) return;
  // The implementation's own cleanup may fail; the call is over either way.
  Promise.resolve()
    .then(() => it.return?.())
    .catch(() => {});
}
