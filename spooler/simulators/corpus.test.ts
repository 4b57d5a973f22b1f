// Runs every spooler payload of the shared corpus through its simulator and checks the reference expectations.
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as fermions from './fermions.ts';
import * as multiqudit from './multiqudit.ts';
import * as rydberg from './rydberg.ts';
import * as singlequdit from './singlequdit.ts';
import type { SimExperiment, SimResult } from './types.ts';

// where the spooler payloads (each with the results the reference implementation produced) are found
const CORPUS = [process.env.QSPOOL_CORPUS, 'test/corpus/payloads', '/work/shared/corpus/payloads'].find(
  (dir): dir is string => dir !== undefined && existsSync(dir),
);
const SIMULATORS: Record<string, (experiment: SimExperiment) => SimResult> = {
  singlequdit: singlequdit.simulate,
  multiqudit: multiqudit.simulate,
  fermions: fermions.simulate,
  rydberg: rydberg.simulate,
};
/** Keys about HTTP, job status and backend metadata, which the server and spooler layers check. */
const NOT_SIMULATOR_KEYS = new Set(['post_job', 'final_status', 'result_job_id', 'display_name', 'backend_version', 'with_current_sqooler_example_spoolers']);

interface CorpusFile {
  backend: string;
  payload: Record<string, SimExperiment>;
  expect: Record<string, unknown>;
}

/**
 * Evaluates the expectation key shapes the corpus uses: a path `results[i].data.memory[j]`, `len(path)`,
 * `every path entry` and `path == path`. `data.instructions` is what the result layer echoes back, here the
 * experiment's own instructions.
 */
function evaluate(key: string, results: unknown[]): unknown {
  const len = /^len\((.+)\)$/.exec(key);
  if (len) return (resolve(len[1]!, results) as unknown[]).length;
  const every = /^every (.+) entry$/.exec(key);
  if (every) return new Set(resolve(every[1]!, results) as unknown[]);
  const equal = /^(.+) == (.+)$/.exec(key);
  if (equal) return JSON.stringify(resolve(equal[1]!, results)) === JSON.stringify(resolve(equal[2]!, results));
  return resolve(key, results);
}

function resolve(path: string, results: unknown[]): unknown {
  if (!/^results(\[\d+\]|\.\w+)*$/.test(path)) throw new Error(`unsupported expectation key ${path}`);
  let value: unknown = { results };
  for (const [, index, name] of path.matchAll(/\[(\d+)\]|(\w+)/g)) {
    const container = value as Record<string, unknown>;
    value = index === undefined ? container[name!] : (container as unknown as unknown[])[Number(index)];
    if (value === undefined) throw new Error(`${path}: nothing at ${index ?? name}`);
  }
  return value;
}

describe('corpus: spooler payloads against the reference results', () => {
  if (CORPUS === undefined) {
    it.skip('skipped: no corpus in $QSPOOL_CORPUS, test/corpus/payloads or /work/shared/corpus/payloads');
    return;
  }
  const files = readdirSync(CORPUS).filter((name) => /^spooler-.*\.json$/.test(name));
  it('finds the corpus', () => expect(files.length).to.be.above(10));

  for (const name of files) {
    const corpus = JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as CorpusFile;
    const simulate = SIMULATORS[corpus.backend];
    if (!simulate) continue;
    const keys = Object.keys(corpus.expect).filter((key) => !NOT_SIMULATOR_KEYS.has(key));

    it(`${name}: ${keys.join('; ')}`, () => {
      expect(keys.length).to.be.above(0);
      const experiments = Object.values(corpus.payload);
      const results = experiments.map((experiment) => ({ data: { ...simulate(experiment), instructions: experiment.instructions } }));
      for (const key of keys) {
        const expected = corpus.expect[key];
        // The reference samples with numpy's generator, so seeded memories cannot be reproduced bit for bit.
        // Every memory value the corpus asserts is physically certain (probability 1), which these runs
        // reproduce whatever the seed; for `a == b` the physical content is that equal seeds give equal memories.
        if (key.startsWith('every ')) expect(evaluate(key, results), key).to.deep.equal(new Set([expected]));
        else expect(evaluate(key, results), key).to.deep.equal(expected);
      }
    });
  }
});
