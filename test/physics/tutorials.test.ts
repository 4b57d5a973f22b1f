// The circuits qiskit-cold-atom's tutorials and the qlued notebooks send to remote backends
// (test/corpus/tutorials/, each naming its notebook and cells), posted as qiskit-cold-atom posts them through
// /api/v2/<backend>/post_job to a running server and spoolers. Every job must finish, and every experiment's memory
// must fit the reference solver's distribution: each shot the certain outcome where the circuit is deterministic,
// otherwise Pearson's χ² (no impossible outcome, fewer-than-5 bins pooled) with a fixed seed per experiment.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { chiSquareTest, histogram } from '../../spooler/physics/test-statistics.ts';
import { qiskitLikeClient } from '../support/qiskit-like-client.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { referenceDistribution } from './reference/simulate.ts';

type Experiment = { instructions: Array<[string, number[], number[]]>; shots: number; num_wires: number; wire_order: string; seed?: number };
interface TutorialCircuits {
  source: { repo: string; commit: string; path: string; cells: number[] };
  backend: string;
  payload: Record<string, Experiment>;
}
interface Index {
  converted: string[];
  excluded: Array<{ path: string; reason: string }>;
}

const DIRECTORY = new URL('../corpus/tutorials/', import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, DIRECTORY), 'utf8')) as T;
const files = readdirSync(DIRECTORY).filter((name) => name !== 'index.json');
/** Probability 1 up to rounding: every shot must read this outcome. */
const CERTAIN = 1 - 1e-9;

/** The same job with a fixed seed on every experiment that has none, so that the sampled memory is reproducible. */
function seeded(payload: Record<string, Experiment>): Record<string, Experiment> {
  return Object.fromEntries(Object.entries(payload).map(([name, e], k) => [name, { ...e, seed: e.seed ?? 1000 + k }]));
}

function expectFits(memory: string[], exact: Map<string, number>, what: string): void {
  const [likeliest, p] = [...exact].sort((a, b) => b[1] - a[1])[0]!;
  if (p >= CERTAIN) {
    expect(new Set(memory), `${what}: always ${likeliest}`).to.deep.equal(new Set([likeliest]));
    return;
  }
  const { statistic, critical } = chiSquareTest(histogram(memory), exact, memory.length);
  expect(statistic, `${what}: χ² against ${JSON.stringify([...exact])}`).to.be.below(critical);
}

describe('tutorial and notebook circuits end to end through /api/v2, against the reference solver', function () {
  this.timeout(120_000);
  let system: TestSystem;
  before(async () => {
    system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit,multiqudit,fermions,rydberg' });
  });
  after(async () => system.stop());

  it('has an index naming every converted file, and every file names its source notebook and cells', () => {
    const index = read<Index>('index.json');
    expect([...files].sort()).to.deep.equal([...index.converted].sort());
    for (const name of files) {
      const { source } = read<TutorialCircuits>(name);
      expect(source.repo, name).to.match(/^[\w-]+\/[\w-]+$/);
      expect(source.commit, name).to.match(/^[0-9a-f]{40}$/);
      expect(source.path, name).to.match(/\.ipynb$/);
      expect(source.cells.length, name).to.be.above(0);
    }
  });

  for (const [k, name] of files.entries()) {
    const { source, backend, payload } = read<TutorialCircuits>(name);
    const experiments = Object.keys(payload).length;
    it(`${name} (${source.path.split('/').pop()}, cells ${source.cells.join(', ')}): ${experiments} experiment(s) on ${backend}`, async () => {
      const job = seeded(payload);
      // one user per job: each polls within its own request budget (the server limits requests per credential)
      const user = `tutorial${k}`;
      const { result } = await qiskitLikeClient(`${system.url}/api/v2/${backend}`, user, await system.user(user)).run(job);
      expect(result.status, JSON.stringify(result)).to.equal('finished');
      const results = result.results as Array<{ header: { name: string }; data: { memory: string[] } }>;
      expect(results.map((r) => r.header.name)).to.deep.equal(Object.keys(job));
      for (const { header, data } of results) {
        const experiment = job[header.name]!;
        expect(data.memory, header.name).to.have.length(experiment.shots);
        const exact = referenceDistribution(backend, { instructions: experiment.instructions, num_wires: experiment.num_wires });
        expectFits(data.memory, exact, `${name} ${header.name}`);
      }
    });
  }
});
