import { type DescMessage, type DescMethod, type MessageShape, toBinary } from "@bufbuild/protobuf";
import {
  type AnyFn,
  Code,
  ConnectError,
  codeToString,
  type Interceptor,
  type StreamResponse,
  type UnaryResponse,
} from "@connect-ts/protocol";

/** What {@link logging} reports about one call, once it has ended. */
export interface LogEntry {
  /** `"client"` or `"server"`: which end's chain logged it. */
  readonly side: "client" | "server";
  /** The procedure path, e.g. `/eliza.v1.ElizaService/Say`. */
  readonly procedure: string;
  /** The method's descriptor, for anything the path does not say. */
  readonly method: DescMethod;
  /** `"ok"`, or the Connect name of the error code (`"unavailable"`, ...). */
  readonly code: string;
  /** The error the call ended with, if any. */
  readonly error: ConnectError | undefined;
  /** From the call entering this interceptor to its end (for streams, the end of the response stream). */
  readonly durationMs: number;
  /** Request messages seen. */
  readonly requestMessages: number;
  /** Response messages seen. */
  readonly responseMessages: number;
  /** Binary Protobuf size of the request messages, uncompressed; undefined unless `sizes` is on. */
  readonly requestBytes: number | undefined;
  /** Binary Protobuf size of the response messages, uncompressed; undefined unless `sizes` is on. */
  readonly responseBytes: number | undefined;
}

/** Options of {@link logging}. */
export interface LoggingOptions {
  /**
   * Receives one entry per call. Default: one line from {@link formatLogEntry}
   * through `console.info`. Whatever it throws is ignored: logging never fails a call.
   */
  log?: (entry: LogEntry) => void;
  /**
   * Measure message sizes. Default true. It costs one extra binary encoding
   * per message (the interceptor sees messages, not bytes), so turn it off on
   * hot paths where the sizes are not needed.
   */
  sizes?: boolean;
}

/**
 * Logs each call when it ends: procedure, duration, code, and message counts
 * and sizes. Works on clients and servers, for every kind of method. Place it
 * first (outermost) to time the whole call, retries included.
 *
 * @example
 * const lines: string[] = [];
 * createClient(ElizaService, transport, {
 *   interceptors: [logging({ log: (e) => lines.push(formatLogEntry(e)) })],
 * });
 */
export function logging(options: LoggingOptions = {}): Interceptor {
  const log = options.log ?? ((entry: LogEntry) => console.info(formatLogEntry(entry)));
  const sizes = options.sizes ?? true;
  return (next: AnyFn): AnyFn =>
    async (request) => {
      const started = performance.now();
      const method = request.method;
      const counts = { reqN: 0, resN: 0, reqB: 0, resB: 0 };
      let logged = false;
      const finish = (error: ConnectError | undefined) => {
        if (logged) return;
        logged = true;
        const entry: LogEntry = {
          side: request.side,
          procedure: `/${method.parent.typeName}/${method.name}`,
          method,
          code: error === undefined ? "ok" : codeToString(error.code),
          error,
          durationMs: performance.now() - started,
          requestMessages: counts.reqN,
          responseMessages: counts.resN,
          requestBytes: sizes ? counts.reqB : undefined,
          responseBytes: sizes ? counts.resB : undefined,
        };
        try {
          log(entry);
        } catch {
          // A broken logger must not break the call.
        }
      };
      const countRequest = (m: MessageShape<DescMessage>) => {
        counts.reqN++;
        if (sizes) counts.reqB += sizeOf(method.input, m);
      };
      const countResponse = (m: MessageShape<DescMessage>) => {
        counts.resN++;
        if (sizes) counts.resB += sizeOf(method.output, m);
      };
      let response: UnaryResponse | StreamResponse;
      try {
        if (request.stream) {
          response = await next({
            ...request,
            message: observe(request.message, countRequest, () => {}),
          });
        } else {
          countRequest(request.message);
          response = await next(request);
        }
      } catch (e) {
        const error = ConnectError.from(e);
        finish(error);
        throw error;
      }
      if (!response.stream) {
        countResponse(response.message);
        finish(undefined);
        return response;
      }
      return {
        ...response,
        message: observe(response.message, countResponse, finish),
      };
    };
}

/**
 * One line for an entry, e.g.
 * `client /eliza.v1.ElizaService/Say ok 1.8ms req=1 (12 B) res=1 (40 B)`.
 */
export function formatLogEntry(entry: LogEntry): string {
  const req = `req=${entry.requestMessages}${bytes(entry.requestBytes)}`;
  const res = `res=${entry.responseMessages}${bytes(entry.responseBytes)}`;
  const error = entry.error === undefined ? "" : ` ${JSON.stringify(entry.error.rawMessage)}`;
  return `${entry.side} ${entry.procedure} ${entry.code} ${entry.durationMs.toFixed(1)}ms ${req} ${res}${error}`;
}

function bytes(n: number | undefined): string {
  return n === undefined ? "" : ` (${n} B)`;
}

function sizeOf(desc: DescMessage, message: MessageShape<DescMessage>): number {
  try {
    return toBinary(desc, message).byteLength;
  } catch {
    return 0;
  }
}

/**
 * Passes a stream through, counting what goes by, and reports its end once:
 * completion, an error, or the consumer stopping early (`canceled`).
 */
async function* observe<T>(
  source: AsyncIterable<T>,
  onItem: (item: T) => void,
  onEnd: (error: ConnectError | undefined) => void,
): AsyncGenerator<T> {
  let ended = false;
  try {
    for await (const item of source) {
      onItem(item);
      yield item;
    }
    ended = true;
    onEnd(undefined);
  } catch (e) {
    ended = true;
    const error = ConnectError.from(e);
    onEnd(error);
    throw error;
  } finally {
    if (!ended) onEnd(new ConnectError("stream closed before its end", Code.Canceled));
  }
}
