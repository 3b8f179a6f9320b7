import type { AbortWatcher } from "@connect-ts/protocol";

/**
 * The abort side of one call, with its `AbortController` made only when the
 * signal is first read. An `AbortController` and its `AbortSignal` (an
 * `EventTarget`) are among the costliest objects of a small call, and a call
 * whose handler never looks at its signal, and that nobody aborts, needs
 * neither. The handler runtime watches for the abort through
 * {@link LazyAbort.watchAbort}, which needs neither either.
 *
 * Aborting before the signal exists records the reason; a signal read later
 * is born aborted with it, so a reader cannot tell the difference.
 */
export class LazyAbort {
  #controller: AbortController | undefined = undefined;
  #watcher: AbortWatcher | undefined = undefined;
  #aborted = false;
  #reason: unknown = undefined;

  /** The call's signal: aborted when the client goes away or a shutdown cancels the call. */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      if (this.#aborted) controller.abort(this.#reason);
      this.#controller = controller;
    }
    return controller.signal;
  }

  /** Whether the call was aborted, without making a signal to ask. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Sets the one watcher told of the abort (see `ServerRequest.watchAbort`); false if aborted already. */
  watchAbort(watcher: AbortWatcher | undefined): boolean {
    if (this.#aborted) {
      this.#watcher = undefined;
      return false;
    }
    this.#watcher = watcher;
    return true;
  }

  /** Aborts the signal with `reason`; only the first call counts. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const watcher = this.#watcher;
    this.#watcher = undefined;
    watcher?.requestAborted(reason);
    this.#controller?.abort(reason);
  }
}
