// The work model a backend publishes (config.limits) must agree with what its simulator refuses: the server decides
// from the model alone, so a model that undercounts would let through jobs the spooler then fails.
import { expect } from 'chai';
import { OperatorTooLarge } from '../physics/limits.ts';
import * as multiquditSimulator from '../simulators/multiqudit.ts';
import * as singlequditSimulator from '../simulators/singlequdit.ts';
import { publishedConfig } from '../backend.ts';
import { workIssues } from '../../schemas/work-limits.ts';
import type { BackendDefinition } from '../backend.ts';
import { builtinBackends } from './index.ts';
import { multiqudit } from './multiqudit/index.ts';
import { singlequdit } from './singlequdit/index.ts';

type Instruction = [string, number[], number[]];
const limitsOf = (backend: BackendDefinition) => publishedConfig(backend, { maxInstructions: 100, maxHilbertDimension: 1 << 22 }).limits!;

function seeded(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function randomJob(random: () => number, wires: number, gates: Instruction[]) {
  const loads: Instruction[] = Array.from({ length: wires }, (_, w) => ['load', [w], [1 + Math.floor(random() * 4)]]);
  return { instructions: [...loads, ...gates], shots: 1, num_wires: wires, wire_order: 'interleaved' };
}

describe('published work models', () => {
  it('size the state exactly as the simulators do', () => {
    const random = seeded(3);
    for (const [backend, simulator, maxWires] of [[singlequdit, singlequditSimulator, 1], [multiqudit, multiquditSimulator, 5]] as const) {
      // With a bound of 0 every experiment is refused, and the refusal carries the model's size.
      const limits = limitsOf(backend);
      for (let i = 0; i < 50; i += 1) {
        const experiment = randomJob(random, 1 + Math.floor(random() * maxWires), []);
        if (random() < 0.5) experiment.instructions.push(['load', [0], [Math.floor(random() * 9)]]);
        const [issue] = workIssues(limits, 0, { experiment_0: experiment });
        expect(issue?.value, JSON.stringify(experiment)).to.equal(simulator.hilbertDimension(experiment));
      }
    }
  });

  it('bound each Hamiltonian from above, exactly off the diagonal', () => {
    const random = seeded(11);
    const limits = { ...limitsOf(multiqudit), max_hamiltonian_nonzeros: 1 };
    const param = () => (random() < 0.3 ? 0 : 0.1 + random());
    let refusedBelow = 0;
    for (let i = 0; i < 60; i += 1) {
      const wires = 2 + Math.floor(random() * 3);
      const all = Array.from({ length: wires }, (_, w) => w);
      const gate: Instruction = [
        ['multiqudit_full', all, [param(), param(), param(), param(), param()]] as Instruction,
        ['rlxly', all, [param()]] as Instruction,
        ['rlxly', [0, wires - 1], [param()]] as Instruction,
      ][i % 3]!;
      const experiment = randomJob(random, wires, [gate, ['measure', [0], []]]);
      const issue = workIssues(limits, 1 << 22, { experiment_0: experiment }).find((found) => found.rule === 'max_hamiltonian_nonzeros');
      if (!issue) continue;
      const dim = experiment.instructions.filter(([name]) => name === 'load').reduce((p, [, , [atoms]]) => p * (atoms! + 1), 1);
      // The model's count admits the Hamiltonian…
      expect(() => multiquditSimulator.simulate(experiment, { maxNonZeros: issue.value }), JSON.stringify(experiment)).not.to.throw();
      // …and counts at most the diagonal too many: a bound below its off-diagonal entries is refused.
      const offDiagonal = gate[0] === 'multiqudit_full' && gate[2].some((p, k) => [1, 2, 4].includes(k) && p !== 0) ? issue.value - dim : issue.value;
      if (offDiagonal <= 1) continue;
      expect(() => multiquditSimulator.simulate(experiment, { maxNonZeros: offDiagonal - 1 })).to.throw(OperatorTooLarge);
      refusedBelow += 1;
    }
    expect(refusedBelow).to.be.greaterThan(30);
  });
});

describe('published state-size models at any bound', () => {
  it('refuse at submission exactly the experiments each simulator backend refuses before running', () => {
    const random = seeded(5);
    for (const name of ['singlequdit', 'multiqudit', 'rydberg', 'fermions']) {
      const backend = builtinBackends.get(name)!;
      const limits = limitsOf(backend);
      const loadable = name === 'singlequdit' || name === 'multiqudit';
      for (let i = 0; i < 40; i += 1) {
        const wires = 1 + Math.floor(random() * backend.config.num_wires);
        const loads: Instruction[] = loadable ? Array.from({ length: wires }, (_, w) => ['load', [w], [1 + Math.floor(random() * 6)]]) : [];
        const job = { experiment_0: { instructions: [...loads, ['measure', [0], []]], shots: 1, num_wires: wires, wire_order: backend.config.wire_order } };
        // the configured bound may be anything from 2 up (QSPOOL_MAX_HILBERT_DIMENSION)
        const bound = 2 ** (1 + Math.floor(random() * 8));
        const spooler = backend.checkJob!(job, { maxHilbertDimension: bound }).length > 0;
        const server = workIssues(limits, bound, job).some((issue) => issue.rule === 'max_hilbert_dimension');
        expect(server, `${name}, bound ${bound}: ${JSON.stringify(job)}`).to.equal(spooler);
      }
    }
  });
});
