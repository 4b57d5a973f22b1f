// Sampled memory through the job path (schema, execution, result assembly) against the numpy reference's exact
// distribution: per backend one job of several random experiments, one of them at the backend's max_shots, each
// outcome's count within a Bernstein bound. The bounds are set so that a correct sampler fails the whole file with
// probability below 1e-6 (Bonferroni over every outcome checked); seeds are fixed, so a run is repeatable.
import { expect } from 'chai';
import { publishedConfig } from '../../spooler/backend.ts';
import { executeJob } from '../../spooler/execute.ts';
import { createRng } from '../../spooler/physics/random.ts';
import { histogram } from '../../spooler/physics/test-statistics.ts';
import { experimentsOf, plans } from './numpy/plans.ts';
import { numpyDistributions, numpyMissing } from './numpy/solver.ts';

const FALSE_FAILURE_RATE = 1e-6;
const EXPERIMENTS_PER_JOB = 4;
const JOB_ID = '0123456789abcdef01234567';
const MISSING = numpyMissing();

/**
 * The deviation |count − shots·p| that a Binomial(shots, p) count exceeds with probability at most δ (Bernstein:
 * P(|X − np| ≥ t) ≤ 2·exp(−t² / (2(np(1−p) + t/3)))), valid for every p, tiny ones included.
 */
function bernsteinBound(shots: number, p: number, delta: number): number {
  const log = Math.log(2 / delta);
  const variance = shots * p * (1 - p);
  return log / 3 + Math.sqrt((log / 3) ** 2 + 2 * variance * log);
}

describe('physics against numpy: sampled memory through the job path', function () {
  this.timeout(120_000);
  if (MISSING !== undefined) {
    it.skip(`skipped: ${MISSING}`);
    return;
  }

  const jobs = plans.map((p) => {
    const rng = createRng(7 + p.count);
    const experiments = experimentsOf(p, 1).slice(0, EXPERIMENTS_PER_JOB);
    const shots = experiments.map((_, k) => (k === 0 ? p.backend.config.max_shots : 1 + Math.floor(rng.next() * 5000)));
    return { p, experiments, shots };
  });
  let answers: ReturnType<typeof numpyDistributions>[] = [];
  before(() => {
    const flat = numpyDistributions(jobs.flatMap(({ p, experiments }) => experiments.map((experiment) => ({ backend: p.backend.config.display_name, experiment }))));
    answers = jobs.map(({ experiments }) => flat.splice(0, experiments.length));
  });
  const outcomesChecked = (): number => answers.flat().reduce((sum, a) => sum + ('distribution' in a ? a.distribution.size : 0), 0);

  jobs.forEach(({ p, experiments, shots }, j) => {
    it(`${p.label}: ${experiments.length} experiments (${shots.join(', ')} shots) fit the exact distribution`, async () => {
      const valid = experiments.map((experiment, k) => ({ experiment, shots: shots[k]!, answer: answers[j]![k]! })).filter(({ answer }) => 'distribution' in answer);
      const payload = Object.fromEntries(
        valid.map(({ experiment, shots: n }, k) => [`experiment_${k}`, { ...experiment, shots: n, seed: 1000 + k, wire_order: p.backend.config.wire_order }]),
      );
      const config = publishedConfig(p.backend, { maxInstructions: 1000, maxHilbertDimension: 2 ** 22 });
      const context = { jobId: JOB_ID, maxHilbertDimension: 2 ** 22, checkpoint: () => undefined };
      const { results } = await executeJob({ backend: p.backend, config, providerName: 'alqor', jobId: JOB_ID, payload, context });
      const delta = FALSE_FAILURE_RATE / outcomesChecked();
      valid.forEach(({ experiment, shots: n, answer }, k) => {
        const { memory } = results[k]!.data;
        const measures = experiment.instructions.filter(([name]) => name === 'measure').length;
        expect(results[k]!.header.name).to.equal(`experiment_${k}`);
        expect(memory).to.have.length(n);
        expect(new Set(memory.map((entry) => (entry === '' ? 0 : entry.split(' ').length)))).to.deep.equal(new Set([measures]));
        const exact = (answer as { distribution: Map<string, number> }).distribution;
        const counts = histogram(memory);
        for (const outcome of counts.keys()) expect(exact.has(outcome), `outcome "${outcome}" impossible`).to.equal(true);
        for (const [outcome, probability] of exact) {
          const deviation = Math.abs((counts.get(outcome) ?? 0) - n * probability);
          expect(deviation, `experiment_${k} "${outcome}": ${counts.get(outcome) ?? 0} of ${n} shots, P = ${probability}`).to.be.at.most(bernsteinBound(n, probability, delta));
        }
      });
    });
  });
});
