/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): the functions with the
 * most self time, and the packages the time went to. Run
 * `node dist/src/profile-summary.js <file.cpuprofile> [top]`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of the samples. */
export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly selfPercent: number;
}

/** Where a script URL belongs: a package name, `node:` internals, or the file. */
export function owner(url: string): string {
  if (url === "") return "(native/vm)";
  if (url.startsWith("node:")) return "node internals";
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url) ?? /\/packages\/([^/]+)\//.exec(url);
  if (m !== null) return m[1]!.startsWith("@") ? m[1]! : `@connect-ts/${m[1]}`;
  if (url.includes("/bench/")) return "bench";
  return url;
}

/** Self time per function and per owner, in percent of all samples. */
export function summarize(profile: Profile): {
  functions: HotFunction[];
  owners: [string, number][];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  }
  const fns = new Map<string, HotFunction & { time: number }>();
  const owners = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*\/(node_modules|packages|bench)\//, "$1/");
    const where = frame.url === "" ? "" : `${file}:${frame.lineNumber + 1}`;
    const name = frame.functionName || "(anonymous)";
    const key = `${name} ${where}`;
    const prev = fns.get(key);
    fns.set(key, { name, where, selfPercent: 0, time: (prev?.time ?? 0) + time });
    const o = owner(frame.url);
    owners.set(o, (owners.get(o) ?? 0) + time);
  }
  const functions = [...fns.values()]
    .sort((a, b) => b.time - a.time)
    .map((f) => ({ name: f.name, where: f.where, selfPercent: (100 * f.time) / total }));
  const ownerList = [...owners.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([o, t]): [string, number] => [o, (100 * t) / total]);
  return { functions, owners: ownerList };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error("usage: profile-summary <file.cpuprofile> [top]");
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 30);
  const { functions, owners } = summarize(JSON.parse(readFileSync(file, "utf8")) as Profile);
  console.log("self time by owner:");
  for (const [o, p] of owners.slice(0, 15)) console.log(`  ${p.toFixed(1).padStart(5)}%  ${o}`);
  console.log(`top ${top} functions by self time:`);
  for (const f of functions.slice(0, top)) {
    console.log(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
}
