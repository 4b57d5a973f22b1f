// Exact outcome probabilities of a simulator's final state, keyed like `memory` entries, for the tests.
import { outcomeDistribution } from './memory.ts';
import type { FinalState } from './types.ts';

export { outcomeDistribution };

/** Probability of one outcome string (0 if it never occurs). */
export function outcomeProbability(final: FinalState, outcome: string): number {
  return outcomeDistribution(final).get(outcome) ?? 0;
}
