// The backends against independent analytic results, through the job path a spooler takes (schema, backend checks,
// runExperiment, result assembly): sampled outcomes must fit the exact distribution (χ², 0.1 %), and the same test
// must reject a slightly wrong one, so each check can fail.
import { expect } from 'chai';
import type { BackendDefinition } from '../spooler/backend.ts';
import { publishedConfig } from '../spooler/backend.ts';
import { fermions } from '../spooler/backends/fermions/index.ts';
import { multiqudit } from '../spooler/backends/multiqudit/index.ts';
import { rydberg } from '../spooler/backends/rydberg/index.ts';
import { simulatorBackend } from '../spooler/backends/shared.ts';
import { singlequdit } from '../spooler/backends/singlequdit/index.ts';
import { executeJob } from '../spooler/execute.ts';
import { HilbertSpaceTooLarge, OperatorTooLarge } from '../spooler/physics/limits.ts';
import { binomialPmf, chiSquareTest, histogram } from '../spooler/physics/test-statistics.ts';
import { InvalidJobError } from '../schemas/errors.ts';

type Instruction = [string, number[], number[]];
const SHOTS = 4000;
const JOB_ID = '0123456789abcdef01234567';

/** Runs one experiment as a spooler would and returns its memory. */
async function memoryOf(backend: BackendDefinition, instructions: Instruction[], numWires: number, seed = 11, shots = SHOTS): Promise<string[]> {
  const config = publishedConfig(backend, { maxInstructions: 1000, maxHilbertDimension: 2 ** 22 });
  const experiment = { instructions, shots, num_wires: numWires, wire_order: backend.config.wire_order, seed };
  const result = await executeJob({
    backend,
    config,
    providerName: 'alqor',
    jobId: JOB_ID,
    payload: { experiment_0: experiment },
    context: { jobId: JOB_ID, maxHilbertDimension: 2 ** 22, checkpoint: () => undefined },
  });
  return result.results[0]!.data.memory;
}

function fits(memory: string[], expected: Map<string, number>): boolean {
  const { statistic, critical } = chiSquareTest(histogram(memory), expected, memory.length);
  return statistic < critical;
}

/** The exact distribution fits, a slightly different one (`wrong`) does not. */
function expectDistribution(memory: string[], exact: Map<string, number>, wrong: Map<string, number>): void {
  expect(fits(memory, exact), 'fits the analytic distribution').to.equal(true);
  expect(fits(memory, wrong), 'rejects a slightly wrong distribution').to.equal(false);
}

const binomial = (atoms: number, theta: number) =>
  new Map(Array.from({ length: atoms + 1 }, (_, k) => [String(k), binomialPmf(atoms, k, Math.sin(theta / 2) ** 2)]));
const twoOutcomes = (first: string, p: number, second: string) => new Map([[first, p], [second, 1 - p]]);
const measure = (...wires: number[]): Instruction[] => wires.map((w) => ['measure', [w], []]);
const ALL = [0, 1, 2, 3, 4];

describe('backends against analytic values (through the job path)', function () {
  this.timeout(30_000);

  describe('spin rotation: n atoms rotated by θ are binomial with p = sin²(θ/2)', () => {
    const [atoms, theta] = [30, 1.1];
    it('singlequdit: load, rlx', async () => {
      const memory = await memoryOf(singlequdit, [['load', [0], [atoms]], ['rlx', [0], [theta]], ...measure(0)], 1);
      expectDistribution(memory, binomial(atoms, theta), binomial(atoms, theta + 0.1));
    });
    it('multiqudit: the same on wire 1 with rlx and with rly, wire 0 untouched', async () => {
      for (const gate of ['rlx', 'rly']) {
        const memory = await memoryOf(multiqudit, [['load', [1], [atoms]], [gate, [1], [theta]], ...measure(1)], 2);
        expectDistribution(memory, binomial(atoms, theta), binomial(atoms, theta - 0.1));
      }
      const untouched = await memoryOf(multiqudit, [['load', [1], [atoms]], ['rlx', [1], [theta]], ...measure(0)], 2, 3, 200);
      expect(new Set(untouched)).to.deep.equal(new Set(['0']));
    });
  });

  describe('two-wire exchange', () => {
    it('rlxly(θ) moves the flipped spin from wire 0 to wire 1 with probability sin²θ', async () => {
      const theta = 0.6;
      const memory = await memoryOf(multiqudit, [['rlx', [0], [Math.PI]], ['rlxly', [0, 1], [theta]], ...measure(0, 1)], 2);
      expectDistribution(memory, twoOutcomes('1 0', Math.cos(theta) ** 2, '0 1'), twoOutcomes('1 0', Math.cos(theta + 0.05) ** 2, '0 1'));
    });

    it('rlzlz(θ) precesses wire 0 by θ·m₁: a Ramsey sequence reads 1 with probability cos²(θ·m₁/2)', async () => {
      const ramsey = (theta: number, wire1: Instruction[]): Instruction[] => [
        ...wire1,
        ['rlx', [0], [Math.PI / 2]],
        ['rlzlz', [0, 1], [theta]],
        ['rlx', [0], [Math.PI / 2]],
        ...measure(0),
      ];
      // m₁ = +1/2 (default spin) or +1 (two atoms loaded): at θ = 2π the outcomes are certain and opposite
      expect(new Set(await memoryOf(multiqudit, ramsey(2 * Math.PI, []), 2, 1, 300))).to.deep.equal(new Set(['0']));
      expect(new Set(await memoryOf(multiqudit, ramsey(2 * Math.PI, [['load', [1], [2]]]), 2, 1, 300))).to.deep.equal(new Set(['1']));
      const theta = 2;
      const memory = await memoryOf(multiqudit, ramsey(theta, []), 2);
      expectDistribution(memory, twoOutcomes('1', Math.cos(theta / 4) ** 2, '0'), twoOutcomes('1', Math.cos(theta / 4 + 0.05) ** 2, '0'));
    });
  });

  describe('fermions', () => {
    const hop = (theta: number): Instruction => ['fhop', [0, 1, 2, 3], [theta]];
    it('a single fermion stays on its site with probability cos²θ under fhop(θ)', async () => {
      const theta = 0.8;
      const memory = await memoryOf(fermions, [['load', [0], []], hop(theta), ...measure(0, 2)], 8);
      expectDistribution(memory, twoOutcomes('1 0', Math.cos(theta) ** 2, '0 1'), twoOutcomes('1 0', Math.cos(theta + 0.05) ** 2, '0 1'));
    });

    it('Pauli blocking with both spins: the blocked spin-down stays put while the spin-up hops as if alone', async () => {
      const theta = 0.8;
      // site 0 holds both spins, site 1 a spin-down: the spin-down pair cannot move; the spin-up oscillates
      const memory = await memoryOf(fermions, [['load', [0], []], ['load', [1], []], ['load', [2], []], hop(theta), ...measure(0, 1, 2, 3)], 8);
      expectDistribution(memory, twoOutcomes('1 1 1 0', Math.cos(theta) ** 2, '1 0 1 1'), twoOutcomes('1 1 1 0', Math.cos(theta + 0.05) ** 2, '1 0 1 1'));
      // both sites full: nothing can move whatever θ
      const full = await memoryOf(fermions, [0, 1, 2, 3].map((w): Instruction => ['load', [w], []]).concat([hop(1.3)], measure(0, 1, 2, 3)), 8, 2, 300);
      expect(new Set(full)).to.deep.equal(new Set(['1 1 1 1']));
    });

    it('refuses a second load into a filled mode before running (as the server does), naming the experiment and the instruction', async () => {
      const failure = await memoryOf(fermions, [['load', [0], []], ['load', [0], []], ...measure(0)], 8).then(() => undefined, (error: Error) => error);
      expect(failure).to.be.instanceOf(InvalidJobError);
      expect(failure?.message).to.equal(
        'experiment_0, instruction 1 (load): mode 0 is occupied already (instruction 0 filled it and no instruction since can have emptied it; a mode holds at most one fermion)',
      );
    });

    it('fails a load into a mode a hop has partly filled when it runs, naming the experiment and the instruction', async () => {
      const failure = await memoryOf(fermions, [['load', [2], []], hop(0.4), ['load', [0], []], ...measure(0)], 8).then(() => undefined, (error: Error) => error);
      expect(failure?.message).to.equal('experiment_0, instruction 2 ("load"): mode 0 is (partly) occupied already');
    });
  });

  describe('rydberg', () => {
    it('Rabi oscillation: rydberg_full(Ω, 0, 0) excites one atom with probability sin²(Ω/2)', async () => {
      const omega = 1.3;
      const memory = await memoryOf(rydberg, [['rydberg_full', ALL, [omega, 0, 0]], ...measure(0)], 1);
      expectDistribution(memory, twoOutcomes('1', Math.sin(omega / 2) ** 2, '0'), twoOutcomes('1', Math.sin(omega / 2 + 0.05) ** 2, '0'));
      expect(new Set(await memoryOf(rydberg, [['rlx', [0], [Math.PI]], ...measure(0)], 1, 1, 300))).to.deep.equal(new Set(['1']));
    });

    it('full blockade of two neighbours: never both excited, one excitation shared at the √2-enhanced Rabi frequency', async () => {
      // Ω = π/√2 transfers |00⟩ completely to (|01⟩ + |10⟩)/√2 under blockade; free atoms would end in |11⟩ with sin⁴(Ω/2) ≈ 0.62
      const omega = Math.PI / Math.SQRT2;
      const blocked = await memoryOf(rydberg, [['rydberg_full', ALL, [omega, 0, 1e4]], ...measure(0, 1)], 2);
      expectDistribution(blocked, new Map([['0 1', 0.5], ['1 0', 0.5]]), new Map([['0 1', 0.45], ['1 0', 0.45], ['1 1', 0.1]]));
      const free = await memoryOf(rydberg, [['rydberg_full', ALL, [omega, 0, 0]], ...measure(0, 1)], 2);
      const p = Math.sin(omega / 2) ** 2;
      expect(fits(free, new Map([['0 0', (1 - p) ** 2], ['0 1', p * (1 - p)], ['1 0', p * (1 - p)], ['1 1', p * p]]))).to.equal(true);
    });
  });

  describe('size bounds met while running are invalid jobs, never "Execution failed"', () => {
    it('maps HilbertSpaceTooLarge to an InvalidJobError naming the experiment and the size', () => {
      const experiment = { instructions: [['load', [0], [50]], ...measure(0)], shots: 1, num_wires: 2, wire_order: 'interleaved' };
      const run = () => multiqudit.runExperiment('experiment_3', experiment as never, { jobId: JOB_ID, maxHilbertDimension: 50, checkpoint: () => undefined });
      expect(run).to.throw(InvalidJobError, 'experiment_3: Hilbert space of 102 amplitudes exceeds the limit of 50');
    });

    it('maps OperatorTooLarge the same way (the non-zero bound is only known once a Hamiltonian is built)', () => {
      for (const error of [new OperatorTooLarge(2 ** 26, 2 ** 25), new HilbertSpaceTooLarge(2 ** 23, 2 ** 22)]) {
        const backend = simulatorBackend({
          config: rydberg.config,
          gates: [],
          instructions: rydberg.instructions,
          simulator: { hilbertDimension: () => 2, simulate: () => { throw error; } },
        });
        const run = () => backend.runExperiment('experiment_0', { instructions: [], shots: 1, num_wires: 1, wire_order: 'interleaved' }, {
          jobId: JOB_ID,
          maxHilbertDimension: 2 ** 22,
          checkpoint: () => undefined,
        });
        expect(run).to.throw(InvalidJobError, `experiment_0: ${error.message}`);
      }
    });
  });
});
