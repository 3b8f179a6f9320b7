import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { makeData, SMALL_BYTES } from "./payload.js";
import { createBenchClient } from "./stacks/index.js";
import type { BenchClient, HttpVersion, StackName, Wire } from "./types.js";

/**
 * Client CPU time per unary call, for comparing clients closely: every client
 * calls the same bare server (a child process), in rounds of a fixed number of
 * calls that take turns, so a change in the machine's load hits all of them
 * alike. Prints the median CPU µs per call of each client and their ratios.
 *
 *   node dist/src/client-cpu.js --http 2 --in-flight 1 --stacks ours,bare
 *
 * Options: `--http 1.1|2`, `--wire connect|grpc`, `--in-flight N`, `--calls N`
 * (per round), `--rounds N`, `--stacks a,b`. With `taskset`, the server runs
 * on core 0 and this process should be started on core 1
 * (`taskset -c 1 node ...`).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      http: { type: "string", default: "2" },
      wire: { type: "string", default: "connect" },
      "in-flight": { type: "string", default: "1" },
      calls: { type: "string", default: "2000" },
      rounds: { type: "string", default: "7" },
      stacks: { type: "string", default: "ours,bare" },
    },
  });
  const httpVersion = values.http as HttpVersion;
  const wire = values.wire as Wire;
  const inFlight = Number(values["in-flight"]);
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const stacks = values.stacks.split(",") as StackName[];
  const server = await startBareServerProcess(httpVersion);
  try {
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const clients: BenchClient[] = [];
    for (const stack of stacks) {
      clients.push(await createBenchClient({ stack, httpVersion, wire, baseUrl }));
    }
    const data = makeData(SMALL_BYTES);
    const run = async (client: BenchClient, count: number) => {
      let left = count;
      const worker = async () => {
        while (left-- > 0) {
          const echo = await client.unary(data);
          if (echo.byteLength !== data.byteLength) throw new Error("unary echo has the wrong size");
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    };
    // Warm-up: the JIT has compiled the hot paths before anything is measured.
    for (const client of clients) await run(client, calls);
    const perCall: number[][] = stacks.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < clients.length; i++) {
        const before = process.cpuUsage();
        await run(clients[i]!, calls);
        const used = process.cpuUsage(before);
        perCall[i]!.push((used.user + used.system) / calls);
      }
    }
    const medians = perCall.map(median);
    const title = `HTTP/${httpVersion} ${wire}, ${inFlight} in flight, ${rounds} rounds of ${calls} calls`;
    process.stdout.write(`${title}: client CPU µs per call (median, then every round)\n`);
    for (let i = 0; i < stacks.length; i++) {
      const rows = perCall[i]!.map((v) => v.toFixed(1)).join(" ");
      const ratio =
        i === 0 ? "" : `  ${stacks[0]} ÷ ${stacks[i]}: ${(medians[0]! / medians[i]!).toFixed(2)}x`;
      process.stdout.write(
        `  ${stacks[i]!.padEnd(10)} ${medians[i]!.toFixed(1).padStart(7)}  [${rows}]${ratio}\n`,
      );
    }
    for (const client of clients) await client.close();
  } finally {
    server.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The bare server in a child process (pinned to core 0 when `taskset` exists). */
async function startBareServerProcess(
  httpVersion: HttpVersion,
): Promise<{ port: number; stop(): void }> {
  const module = new URL("./stacks/bare-server.js", import.meta.url).href;
  const script = [
    `const { startBareServer } = await import(${JSON.stringify(module)});`,
    `const server = await startBareServer(${JSON.stringify(httpVersion)});`,
    'process.stdout.write(String(server.port) + "\\n");',
    "process.stdin.resume();",
    "process.stdin.on('end', () => server.close().then(() => process.exit(0)));",
  ].join("\n");
  const args = ["--input-type=module", "-e", script];
  const pinned = ["/usr/bin/taskset", "/bin/taskset"].some((p) => existsSync(p));
  const child = pinned
    ? spawn("taskset", ["-c", "0", process.execPath, ...args], {
        stdio: ["pipe", "pipe", "inherit"],
      })
    : spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bare server exited with code ${code}`)));
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  return { port, stop: () => child.stdin.end() };
}

await main();
