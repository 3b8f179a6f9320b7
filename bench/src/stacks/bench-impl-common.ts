const payloads = new Map<number, Uint8Array>();

/**
 * The data of a server-stream message of `size` bytes, allocated once per
 * size: the benchmark measures the stack, not the allocation of payloads.
 */
export function payloadOf(size: number): Uint8Array {
  let data = payloads.get(size);
  if (data === undefined) {
    data = new Uint8Array(size).fill(0x61);
    payloads.set(size, data);
  }
  return data;
}

/** Resolves once `signal` aborts: a held stream stays open until the client cancels it. */
export function holdUntilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
}
