// Differential physics suite: thousands of seeded random valid circuits per backend, the engine's exact outcome
// probabilities (before sampling) against the naive dense reference solver (reference/), to 1e-10. Every circuit
// is first checked against the backend's own job schema, so the generator cannot drift into invalid jobs. A
// mismatch prints the circuit as a job to replay through /api/v2/<backend>/post_job.
import { expect } from 'chai';
import { publishedConfig } from '../../spooler/backend.ts';
import { createRng } from '../../spooler/physics/random.ts';
import { compiledJobValidator } from '../../schemas/validators.ts';
import { backendsUnderTest } from './backends.ts';
import type { BackendUnderTest } from './backends.ts';
import { randomCircuit, systematicCircuits } from './circuits.ts';
import type { Circuit } from './circuits.ts';
import { referenceDistribution } from './reference/simulate.ts';

const TOLERANCE = 1e-10;
const SEED = 20_240_615;

function largestDifference(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): { outcome: string; difference: number } {
  let worst = { outcome: '', difference: 0 };
  for (const outcome of new Set([...a.keys(), ...b.keys()])) {
    const difference = Math.abs((a.get(outcome) ?? 0) - (b.get(outcome) ?? 0));
    if (difference > worst.difference) worst = { outcome, difference };
  }
  return worst;
}

function asJob(backend: BackendUnderTest, circuit: Circuit): Record<string, unknown> {
  return { experiment_0: { ...circuit, shots: 100, wire_order: backend.definition.config.wire_order } };
}

function circuitsFor(backend: BackendUnderTest): { systematic: Circuit[]; random: Circuit[] } {
  const rng = createRng(SEED + backend.name.length);
  const systematic = systematicCircuits(rng, backend.space, backend.sizes);
  const random = Array.from({ length: backend.randomCircuits }, () => randomCircuit(rng, backend.space, backend.sizes[Math.floor(rng.next() * backend.sizes.length)]!));
  return { systematic, random };
}

describe('differential physics: every backend against a dense reference solver', function () {
  this.timeout(60_000);

  for (const backend of backendsUnderTest) {
    const { systematic, random } = circuitsFor(backend);
    const circuits = [...systematic, ...random];
    const validate = compiledJobValidator(publishedConfig(backend.definition, { maxInstructions: 1000, maxHilbertDimension: 2 ** 22 }).job_schema);

    it(`${backend.name}: ${circuits.length} circuits (${systematic.length} systematic, ${random.length} random) match to ${TOLERANCE}`, () => {
      const started = performance.now();
      const failures: string[] = [];
      for (const circuit of circuits) {
        const job = asJob(backend, circuit);
        expect(validate(job), `generated an invalid job ${JSON.stringify(job)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
        let worst: { outcome: string; difference: number };
        try {
          worst = largestDifference(backend.distribution(circuit), referenceDistribution(backend.name, circuit));
        } catch (error) {
          worst = { outcome: `(engine threw: ${(error as Error).message})`, difference: Infinity };
        }
        if (!(worst.difference <= TOLERANCE) && failures.length < 5) {
          failures.push(`P("${worst.outcome}") differs by ${worst.difference}; replay: POST /api/v2/${backend.name}/post_job ${JSON.stringify(job)}`);
        }
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`      ${backend.name}: ${circuits.length} circuits in ${seconds} s`);
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });

    it(`${backend.name}: the circuits use every instruction and every register size`, () => {
      const used = new Set(circuits.flatMap((c) => c.instructions.map(([name]) => name)));
      // supported_instructions, and the instructions jobs may use without their being advertised (multiqudit rly)
      for (const name of [...backend.definition.config.supported_instructions, ...backend.definition.instructions.map((spec) => spec.name)]) {
        expect(used.has(name), name).to.equal(true);
      }
      expect([...new Set(circuits.map((c) => c.num_wires))].sort((a, b) => a - b)).to.deep.equal(backend.sizes);
    });
  }
});
