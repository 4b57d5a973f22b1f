// Sampling checked separately from the exact probabilities: for a few seeded random circuits per backend, the
// `memory` the backend returns through runExperiment (fixed seed, 4000 shots) passes Pearson's χ² test (bins of
// fewer than 5 expected counts pooled, 0.1 % level) against the reference solver's distribution, and the same
// memory fails against that distribution with its two likeliest outcomes swapped, so the test can fail.
import { expect } from 'chai';
import type { Experiment } from '../../schemas/job.ts';
import { createRng } from '../../spooler/physics/random.ts';
import { chiSquareTest, histogram } from '../../spooler/physics/test-statistics.ts';
import { backendsUnderTest } from './backends.ts';
import type { BackendUnderTest } from './backends.ts';
import { randomCircuit } from './circuits.ts';
import type { Circuit } from './circuits.ts';
import { referenceDistribution } from './reference/simulate.ts';

const SHOTS = 4000;
const CIRCUITS_PER_BACKEND = 3;

/** Circuits whose two likeliest outcomes differ clearly (≥ 0.05), so that swapping them must be detected. */
function distinctiveCircuits(backend: BackendUnderTest): Array<{ circuit: Circuit; exact: Map<string, number> }> {
  const rng = createRng(4242);
  const found: Array<{ circuit: Circuit; exact: Map<string, number> }> = [];
  while (found.length < CIRCUITS_PER_BACKEND) {
    const circuit = randomCircuit(rng, backend.space, backend.sizes[Math.floor(rng.next() * backend.sizes.length)]!);
    const exact = referenceDistribution(backend.name, circuit);
    const [first, second] = [...exact.values()].sort((a, b) => b - a);
    if (second !== undefined && first! - second >= 0.05) found.push({ circuit, exact });
  }
  return found;
}

function withLikeliestSwapped(exact: Map<string, number>): Map<string, number> {
  const [[a, pa], [b, pb]] = [...exact].sort((x, y) => y[1] - x[1]) as [[string, number], [string, number]];
  return new Map([...exact, [a, pb], [b, pa]]);
}

describe('sampling: memory against the exact distribution (χ², fixed seed)', function () {
  this.timeout(30_000);
  for (const backend of backendsUnderTest) {
    it(`${backend.name}: ${CIRCUITS_PER_BACKEND} circuits × ${SHOTS} shots fit the reference, not a distorted one`, async () => {
      for (const [k, { circuit, exact }] of distinctiveCircuits(backend).entries()) {
        const experiment = { ...circuit, shots: SHOTS, seed: 100 + k, wire_order: backend.definition.config.wire_order } as Experiment;
        const { memory } = await backend.definition.runExperiment('experiment_0', experiment, { jobId: '0'.repeat(24), maxHilbertDimension: 2 ** 22, checkpoint: () => undefined });
        const counts = histogram(memory);
        const fit = chiSquareTest(counts, exact, SHOTS);
        expect(fit.statistic, `χ² ${fit.statistic} ≥ ${fit.critical} for ${JSON.stringify(experiment)}`).to.be.below(fit.critical);
        const distorted = chiSquareTest(counts, withLikeliestSwapped(exact), SHOTS);
        expect(distorted.statistic, `a distorted distribution passed for ${JSON.stringify(experiment)}`).to.be.above(distorted.critical);
      }
    });
  }
});
