import type { IncomingHttpHeaders } from "node:http";
import {
  type ConnectError,
  type HttpRequest,
  type HttpResponse,
  Metadata,
} from "@connect-ts/protocol";
import type { Dispatcher } from "undici";
import { abortError, wrapUndiciError } from "./errors.js";
import { fromUndiciHeaders } from "./headers.js";
import { type BodySource, PushBody } from "@connect-ts/protocol";
import type { StoppableBody } from "./request-body.js";

type Controller = Dispatcher.DispatchController;

enum Phase {
  /** Waiting for the response headers. */
  Requesting = 0,
  /** Response headers arrived; the body is being received. */
  Receiving = 1,
  /** Settled: the body ended, failed or was aborted. */
  Done = 2,
}

/**
 * One request through undici's `dispatch()`, as a handler: it resolves on the
 * response headers, pushes body chunks into a {@link PushBody} (pausing the
 * connection when the reader falls behind) and fills the trailers at the end.
 * undici's lower-level API is used instead of `request()` or `fetch()` so
 * that no Readable stream or WHATWG stream is built per response.
 */
export class Http1Exchange implements Dispatcher.DispatchHandler, BodySource {
  readonly promise: Promise<HttpResponse>;
  #resolve!: (response: HttpResponse) => void;
  #reject!: (reason: ConnectError) => void;
  readonly #signal: AbortSignal;
  readonly #requestBody: StoppableBody | undefined;
  #phase = Phase.Requesting;
  #controller: Controller | undefined;
  /** Why the request was stopped before undici handed over its controller. */
  #stopReason: ConnectError | undefined;
  #body: PushBody | undefined;
  #trailers: Metadata | undefined;

  /** Whether an abort listener is attached (not for a signal that cannot abort). */
  #listening: boolean;

  constructor(request: HttpRequest, requestBody: StoppableBody | undefined, abortable: boolean) {
    this.#signal = request.signal;
    this.#requestBody = requestBody;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#listening = abortable;
    if (abortable) request.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#stopReason !== undefined) controller.abort(this.#stopReason);
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.#phase !== Phase.Requesting || statusCode < 200) return;
    this.#phase = Phase.Receiving;
    const declared = headers["content-length"];
    const body = new PushBody(this, typeof declared === "string" ? Number(declared) : -1);
    const trailers = new Metadata();
    this.#body = body;
    this.#trailers = trailers;
    this.#resolve({
      status: statusCode,
      headers: fromUndiciHeaders(headers, new Metadata()),
      body,
      trailers,
    });
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    this.#body?.push(chunk);
  }

  onResponseEnd(_controller: Controller, trailers: IncomingHttpHeaders): void {
    if (this.#phase !== Phase.Receiving) return;
    this.#phase = Phase.Done;
    fromUndiciHeaders(trailers, this.#trailers!);
    this.#body!.end();
    this.#cleanup();
  }

  onResponseError(_controller: Controller | undefined, error: Error): void {
    this.#requestBody?.stop(error);
    if (this.#phase === Phase.Done) return;
    this.#settle(wrapUndiciError(error));
  }

  pause(): void {
    this.#controller?.pause();
  }

  resume(): void {
    this.#controller?.resume();
  }

  cancel(reason: ConnectError): void {
    this.#stop(reason);
  }

  readonly #onAbort = (): void => {
    if (this.#phase === Phase.Done) return;
    const error = abortError(this.#signal);
    // Cancelled means no more data, even data that already arrived.
    this.#settle(error, true);
    this.#stop(error);
  };

  /** Fails the exchange: the pending response, or the body being read. */
  #settle(error: ConnectError, discard = false): void {
    if (this.#phase === Phase.Requesting) {
      this.#phase = Phase.Done;
      this.#reject(error);
    } else if (this.#phase === Phase.Receiving) {
      this.#phase = Phase.Done;
      this.#body!.fail(error, discard);
    }
    this.#cleanup();
  }

  /** Stops the socket work: aborts the request in undici and the request body. */
  #stop(reason: ConnectError): void {
    this.#phase = Phase.Done;
    this.#requestBody?.stop(reason);
    if (this.#controller !== undefined) {
      if (!this.#controller.aborted) this.#controller.abort(reason);
    } else {
      this.#stopReason = reason;
    }
    this.#cleanup();
  }

  #cleanup(): void {
    if (!this.#listening) return;
    this.#listening = false;
    this.#signal.removeEventListener("abort", this.#onAbort);
  }
}
