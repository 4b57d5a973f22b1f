// Exact outcome distributions of a simulator's final state, keyed like `memory` entries, for the tests.
import { hilbertDimension } from '../physics/limits.ts';
import { probabilities } from '../physics/vector.ts';
import type { FinalState } from './types.ts';

/** P(outcome string) for the measured wires, summed over everything unmeasured. */
export function outcomeDistribution(final: FinalState): Map<string, number> {
  const p = probabilities(final.state);
  const strides = final.dims.map((_, w) => hilbertDimension(final.dims.slice(w + 1)));
  const distribution = new Map<string, number>();
  p.forEach((value, index) => {
    const key = final.measured.map((w) => Math.floor(index / strides[w]!) % final.dims[w]!).join(' ');
    distribution.set(key, (distribution.get(key) ?? 0) + value);
  });
  return distribution;
}

/** Probability of one outcome string (0 if it never occurs). */
export function outcomeProbability(final: FinalState, outcome: string): number {
  return outcomeDistribution(final).get(outcome) ?? 0;
}
