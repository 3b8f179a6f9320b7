import type { Round } from "../child/load.js";
import { attempt, ChildScope, type RunContext } from "./context.js";

/** One stack's place in a case whose rounds are taken in turns. */
export interface Entrant {
  /** The key its rounds are filed under. */
  readonly key: string;
  /** Measures one round. */
  measure(): Promise<Round>;
}

/**
 * How the rounds of a case are measured: `rounds` rounds of every entrant,
 * each round's outcome filed under the entrant's key (an error ends an
 * entrant's rounds), `log` told of each.
 */
export type MeasureRounds = (
  entrants: readonly Entrant[],
  rounds: number,
  log: (line: string) => void,
) => Promise<Map<string, Round[] | Error>>;

/**
 * Measures `rounds` rounds of every entrant, in turns: each round runs every
 * entrant once, starting one further along the list than the round before.
 * A stack's rounds are then spread over the whole case, between the rounds of
 * its peers, so a burst of load on a shared machine falls on all of them
 * rather than on whichever stack happened to run then; and round `r` of two
 * stacks can be compared as a pair. An entrant whose round fails is dropped
 * from later turns and keeps the error.
 */
export const takeTurns: MeasureRounds = async (entrants, rounds, log) => {
  const record = new RoundRecord(entrants, rounds, log);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < entrants.length; i++) {
      const entrant = entrants[(r + i) % entrants.length]!;
      if (!record.running(entrant)) continue;
      try {
        record.add(entrant, r, await entrant.measure());
      } catch (error) {
        record.fail(entrant, error);
      }
    }
  }
  return record.results;
};

/**
 * Measures `rounds` rounds of every entrant, all entrants at once in each
 * round: their servers share the server core and their load generators the
 * load core, so each gets the share of the machine the scheduler gives it,
 * at the same moments. The ratio of two entrants' rates in a round is then
 * the inverse ratio of what an operation costs them, whatever the machine
 * was doing meanwhile. An entrant whose round fails keeps the error and the
 * others go on alone.
 */
export const takeTogether: MeasureRounds = async (entrants, rounds, log) => {
  const record = new RoundRecord(entrants, rounds, log);
  for (let r = 0; r < rounds; r++) {
    const running = entrants.filter((e) => record.running(e));
    const settled = await Promise.allSettled(running.map((e) => e.measure()));
    settled.forEach((outcome, i) => {
      const entrant = running[i]!;
      if (outcome.status === "fulfilled") record.add(entrant, r, outcome.value);
      else record.fail(entrant, outcome.reason);
    });
  }
  return record.results;
};

/** Every entrant's rounds so far, or the error that ended them; logs each round. */
class RoundRecord {
  readonly results = new Map<string, Round[] | Error>();

  constructor(
    entrants: readonly Entrant[],
    readonly rounds: number,
    readonly log: (line: string) => void,
  ) {
    for (const e of entrants) this.results.set(e.key, []);
  }

  /** Whether the entrant still takes part (no round of it has failed). */
  running(entrant: Entrant): boolean {
    return Array.isArray(this.results.get(entrant.key));
  }

  add(entrant: Entrant, r: number, round: Round): void {
    (this.results.get(entrant.key) as Round[]).push(round);
    this.log(`  round ${r + 1}/${this.rounds} ${entrant.key}: ${Math.round(round.rate)}/s`);
  }

  fail(entrant: Entrant, error: unknown): void {
    this.results.set(entrant.key, error instanceof Error ? error : new Error(String(error)));
  }
}

/** One stack of a case: its key, and how to start it (servers, load child, warm-up). */
export interface Entry {
  readonly key: string;
  start(scope: ChildScope): Promise<Entrant>;
}

/**
 * Runs one case: starts every entry in a fresh {@link ChildScope}, measures
 * their rounds (in turns unless told otherwise), and stops their children.
 * An entry that fails to start keeps its error and sits out the rounds.
 */
export async function runCase(
  ctx: RunContext,
  entries: readonly Entry[],
  measure: MeasureRounds = takeTurns,
): Promise<Map<string, Round[] | Error>> {
  const scope = new ChildScope(ctx);
  try {
    const entrants: Entrant[] = [];
    const failed = new Map<string, Error>();
    for (const entry of entries) {
      const entrant = await attempt(() => entry.start(scope));
      if (entrant instanceof Error) failed.set(entry.key, entrant);
      else entrants.push(entrant);
    }
    const results = await measure(entrants, ctx.config.rounds, ctx.report.log);
    for (const [key, error] of failed) results.set(key, error);
    return results;
  } finally {
    await scope.close();
  }
}

/**
 * Starts a workload in a fresh load child, warms it up, and returns it as an
 * entrant whose rounds `takeTurns` can measure.
 */
export async function workloadEntrant(
  ctx: RunContext,
  scope: ChildScope,
  key: string,
  label: string,
  spec: unknown,
): Promise<Entrant> {
  const child = scope.loadChild(label);
  await child.call("startWorkload", spec);
  if (ctx.config.warmupSeconds > 0) {
    await child.call<Round>("measure", { ms: ctx.config.warmupSeconds * 1000 });
  }
  const ms = ctx.config.roundSeconds * 1000;
  return { key, measure: () => child.call<Round>("measure", { ms }) };
}
