import * as assert from "uvu/assert";

/** Resource kinds that must not outlive the tests: sockets, servers, timers. */
const watched = new Set([
  "TCPSocketWrap",
  "TCPServerWrap",
  "TLSWrap",
  "Http2Session",
  "Timeout",
  "Immediate",
  "PipeWrap",
]);

function count(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (watched.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** Process warnings seen since the first baseline: listener leaks show up here. */
const warnings: string[] = [];
let listening = false;

/** Records what is open now, to compare against at the end of a test file. */
export function resourceBaseline(): Map<string, number> {
  if (!listening) {
    listening = true;
    process.on("warning", (warning) => warnings.push(`${warning.name}: ${warning.message}`));
  }
  return count();
}

/**
 * Fails unless, within a second, no more sockets, servers or timers are open
 * than at the baseline, and no process warning was emitted. Closing is
 * asynchronous, so this polls briefly.
 */
export async function assertNoLeaks(baseline: Map<string, number>): Promise<void> {
  assert.equal(warnings, [], "process warnings (a MaxListenersExceededWarning is a listener leak)");
  let extra: string[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    extra = [];
    for (const [kind, n] of count()) {
      const before = baseline.get(kind) ?? 0;
      if (n > before) extra.push(`${kind} x${n - before}`);
    }
    if (extra.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.unreachable(`resources left open: ${extra.join(", ")}`);
}
