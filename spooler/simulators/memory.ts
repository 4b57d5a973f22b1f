// Turns a final state into the `memory` of a result: shots drawn jointly from the state's probabilities, each
// written as the measured wires' outcomes in `measure` order, separated by single spaces. The exact distribution
// over those same strings is what sampling draws from (the physics tests compare it with an independent solver).
import { hilbertDimension } from '../physics/limits.ts';
import { createRng, sampleIndices } from '../physics/random.ts';
import { probabilities } from '../physics/vector.ts';
import type { FinalState, SimExperiment, SimOptions, SimResult } from './types.ts';

/** The `memory` entry of a basis-state index: the measured wires' outcomes in `measure` order. */
function outcomeWriter(final: FinalState): (index: number) => string {
  const strides = final.dims.map((_, w) => hilbertDimension(final.dims.slice(w + 1)));
  return (index) => final.measured.map((w) => Math.floor(index / strides[w]!) % final.dims[w]!).join(' ');
}

/** P(memory entry) for every entry the state can produce, summed over the unmeasured wires; no sampling. */
export function outcomeDistribution(final: FinalState): Map<string, number> {
  const write = outcomeWriter(final);
  const distribution = new Map<string, number>();
  probabilities(final.state).forEach((p, index) => {
    const outcome = write(index);
    distribution.set(outcome, (distribution.get(outcome) ?? 0) + p);
  });
  return distribution;
}

/** The shot count is bounded by the backend schema (max_shots); here it only has to be a count. */
export function sampleMemory(final: FinalState, experiment: Pick<SimExperiment, 'shots' | 'seed'>): string[] {
  if (!Number.isSafeInteger(experiment.shots) || experiment.shots < 0) throw new RangeError(`shots ${experiment.shots} is not a count`);
  // Without any `measure` there is nothing to sample: every shot's entry is the empty string.
  if (final.measured.length === 0) return new Array<string>(experiment.shots).fill('');
  const rng = createRng(experiment.seed ?? undefined);
  const indices = sampleIndices(probabilities(final.state), experiment.shots, rng);
  const write = outcomeWriter(final);
  const written = new Map<number, string>();
  const memory = new Array<string>(indices.length);
  for (let shot = 0; shot < indices.length; shot++) {
    const index = indices[shot]!;
    let text = written.get(index);
    if (text === undefined) {
      text = write(index);
      written.set(index, text);
    }
    memory[shot] = text;
  }
  return memory;
}

/** A backend's `simulate`: its final state, sampled `shots` times. */
export function sampledFrom(finalState: (experiment: SimExperiment, options: SimOptions) => FinalState) {
  return (experiment: SimExperiment, options: SimOptions = {}): SimResult => ({ memory: sampleMemory(finalState(experiment, options), experiment) });
}
