import type { Round } from "../child/load.js";

/** One stack's place in a case whose rounds are taken in turns. */
export interface Entrant {
  /** The key its rounds are filed under. */
  readonly key: string;
  /** Measures one round. */
  measure(): Promise<Round>;
}

/**
 * Measures `rounds` rounds of every entrant, in turns: each round runs every
 * entrant once, starting one further along the list than the round before.
 * A stack's rounds are then spread over the whole case, between the rounds of
 * its peers, so a burst of load on a shared machine falls on all of them
 * rather than on whichever stack happened to run then; and round `r` of two
 * stacks can be compared as a pair. An entrant whose round fails is dropped
 * from later turns and keeps the error.
 */
export async function takeTurns(
  entrants: readonly Entrant[],
  rounds: number,
  log: (line: string) => void,
): Promise<Map<string, Round[] | Error>> {
  const results = new Map<string, Round[] | Error>();
  for (const e of entrants) results.set(e.key, []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < entrants.length; i++) {
      const entrant = entrants[(r + i) % entrants.length]!;
      const measured = results.get(entrant.key);
      if (!Array.isArray(measured)) continue;
      try {
        const round = await entrant.measure();
        measured.push(round);
        log(`  round ${r + 1}/${rounds} ${entrant.key}: ${Math.round(round.rate)}/s`);
      } catch (error) {
        results.set(entrant.key, error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
  return results;
}
