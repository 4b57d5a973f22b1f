// The engine's exact outcome probabilities (before sampling) against an independent numpy/LAPACK reference
// (numpy/reference.py) on random valid experiments of every backend, and on the shared corpus's payloads, whose
// asserted memory the reference must give with probability 1. Agreement to 1e-10 plus 1e-12·Σ|θ|·‖H‖ (the rounding
// any double-precision solver makes at huge angles); an experiment one side refuses, the other must refuse too.
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { publishedConfig } from '../../spooler/backend.ts';
import { outcomeDistribution } from '../../spooler/simulators/memory.ts';
import { compiledJobValidator } from '../../schemas/validators.ts';
import { experimentsOf, plans } from './numpy/plans.ts';
import type { Plan } from './numpy/plans.ts';
import { numpyDistributions, numpyMissing } from './numpy/solver.ts';
import type { NumpyAnswer } from './numpy/solver.ts';
import type { RandomExperiment } from './numpy/payloads.ts';

const CORPUS = ['test/corpus/payloads', '/work/shared/corpus/payloads'].find((dir) => existsSync(dir));
const MISSING = numpyMissing();

interface CorpusCase {
  name: string;
  backend: string;
  experiments: RandomExperiment[];
  /** The memory entries the corpus asserts: results[i].data.memory[0], or every entry of it. */
  expected: Array<{ key: string; experiment: number; memory: string }>;
}

function corpusFiles(): CorpusCase[] {
  if (CORPUS === undefined) return [];
  return readdirSync(CORPUS)
    .filter((name) => /^spooler-.*\.json$/.test(name))
    .map((name) => {
      const file = JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as { backend: string; payload: Record<string, RandomExperiment>; expect: Record<string, unknown> };
      const expected = Object.entries(file.expect).flatMap(([key, value]) => {
        const at = /^(?:every )?results\[(\d+)\]\.data\.memory(?:\[0\]| entry)$/.exec(key);
        return at === null ? [] : [{ key, experiment: Number(at[1]), memory: String(value) }];
      });
      return { name, backend: file.backend, experiments: Object.values(file.payload), expected };
    })
    .filter(({ expected }) => expected.length > 0);
}

/** What is wrong with the engine's answer for the experiment, or undefined. */
function disagreement(p: Plan, experiment: RandomExperiment, answer: NumpyAnswer): string | undefined {
  let engine: Map<string, number>;
  try {
    engine = outcomeDistribution(p.finalState({ ...experiment, shots: 1 }));
  } catch (error) {
    return 'error' in answer ? undefined : `the engine threw (${(error as Error).message}), numpy did not`;
  }
  if ('error' in answer) return `numpy refused (${answer.error}), the engine did not`;
  const tolerance = 1e-10 + 1e-12 * answer.stiffness;
  for (const outcome of new Set([...engine.keys(), ...answer.distribution.keys()])) {
    const [ours, theirs] = [engine.get(outcome) ?? 0, answer.distribution.get(outcome) ?? 0];
    if (!(Math.abs(ours - theirs) <= tolerance)) return `P("${outcome}") is ${ours}, numpy ${theirs} (tolerance ${tolerance})`;
  }
  return undefined;
}

describe('physics against numpy: exact outcome probabilities', function () {
  this.timeout(120_000);
  if (MISSING !== undefined) {
    it.skip(`skipped: ${MISSING}`);
    return;
  }

  // one python3 process for everything: numpy's import costs a second on a loaded machine
  const runs = plans.map((p) => ({ p, experiments: experimentsOf(p) }));
  const corpus = corpusFiles();
  let answers: NumpyAnswer[][] = [];
  before(() => {
    const batches = [...runs.map(({ p, experiments }) => ({ backend: p.backend.config.display_name, experiments })), ...corpus];
    const flat = numpyDistributions(batches.flatMap(({ backend, experiments }) => experiments.map((experiment) => ({ backend, experiment }))));
    answers = batches.map(({ experiments }) => flat.splice(0, experiments.length));
  });

  runs.forEach(({ p, experiments }, run) => {
    it(`${p.label}: ${p.count} random experiments agree`, () => {
      const validate = compiledJobValidator(publishedConfig(p.backend, { maxInstructions: 1000, maxHilbertDimension: 2 ** 22 }).job_schema);
      const failures: string[] = [];
      experiments.forEach((experiment, k) => {
        const job = { experiment_0: { ...experiment, shots: 1, wire_order: p.backend.config.wire_order } };
        expect(validate(job), `generated an invalid job ${JSON.stringify(job)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
        const problem = disagreement(p, experiment, answers[run]![k]!);
        if (problem !== undefined) failures.push(`${problem}; job ${JSON.stringify(job)}`);
      });
      expect(failures, failures.slice(0, 3).join('\n')).to.deep.equal([]);
    });
  });

  corpus.forEach(({ name, backend, experiments, expected }, file) => {
    it(`corpus ${name}: numpy gives the asserted memory with certainty, the engine agrees`, () => {
      const p = plans.find((candidate) => candidate.backend.config.display_name === backend)!;
      const ours = answers[runs.length + file]!;
      experiments.forEach((experiment, k) => expect(disagreement(p, experiment, ours[k]!), `experiment ${k}`).to.equal(undefined));
      expect(expected.length).to.be.above(0);
      for (const { key, experiment, memory } of expected) {
        const answer = ours[experiment]!;
        expect('distribution' in answer && answer.distribution.get(memory), key).to.be.closeTo(1, 1e-9);
      }
    });
  });
});
