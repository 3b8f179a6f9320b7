/** The end of an iteration, one frozen object shared by every iterator here. */
export const doneResult: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * Closes an iterator its reader no longer reads, without waiting: whatever
 * its `return()` throws or rejects with changes nothing for the reader.
 */
export function closeQuietly(it: AsyncIterator<unknown> | undefined): void {
  if (it?.return === undefined) return;
  try {
    it.return().then(undefined, () => {});
  } catch {
    // A source whose return() throws has nothing left to release.
  }
}
