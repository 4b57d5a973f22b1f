// Specification of the singlequdit backend against binomial spin-rotation statistics and analytic interferometry.
import { expect } from 'chai';
import { HilbertSpaceTooLarge } from '../physics/limits.ts';
import { binomialPmf, chiSquareTest, histogram } from '../physics/test-statistics.ts';
import { finalState, hilbertDimension, simulate } from './singlequdit.ts';
import { outcomeDistribution } from './test-support.ts';
import type { SimExperiment, SimInstruction } from './types.ts';

const job = (instructions: SimInstruction[], shots = 100, seed?: number): SimExperiment => ({
  instructions: [...instructions, ['measure', [0], []]],
  shots,
  num_wires: 1,
  ...(seed === undefined ? {} : { seed }),
});

/** Exact P(index k) for k = 0…2l. */
const populations = (experiment: SimExperiment): number[] => {
  const final = finalState(experiment);
  return Array.from({ length: final.dims[0]! }, (_, k) => outcomeDistribution(final).get(String(k)) ?? 0);
};

describe('singlequdit simulator', () => {
  it('flips l = 1/2 with rlx(π): every shot reads 1', () => {
    expect(simulate(job([['rlx', [0], [Math.PI]]], 200)).memory).to.deep.equal(new Array(200).fill('1'));
  });

  it('flips all 50 atoms of load 50 with rlx(π): every shot reads 50', () => {
    expect(new Set(simulate(job([['load', [0], [50]], ['rlx', [0], [Math.PI]]], 500)).memory)).to.deep.equal(new Set(['50']));
  });

  it('samples load 20 + rlx(π/3) from the binomial distribution with p = sin²(π/6) = 1/4', () => {
    const experiment = job([['load', [0], [20]], ['rlx', [0], [Math.PI / 3]]], 20_000, 2024);
    const expected = new Map(Array.from({ length: 21 }, (_, k) => [String(k), binomialPmf(20, k, 0.25)]));
    populations(experiment).forEach((p, k) => expect(p).to.be.closeTo(expected.get(String(k))!, 1e-12));
    const { statistic, critical } = chiSquareTest(histogram(simulate(experiment).memory), expected, 20_000);
    expect(statistic).to.be.below(critical);
    // the same histogram is rejected against the distribution a wrong convention (p = sin²θ) would give
    const wrong = new Map(Array.from({ length: 21 }, (_, k) => [String(k), binomialPmf(20, k, 0.75)]));
    const check = chiSquareTest(histogram(simulate(experiment).memory), wrong, 20_000);
    expect(check.statistic).to.be.above(check.critical);
  });

  it('shows rlz only through interference: rlx(π/2) rlz(φ) rlx(π/2) is binomial with p = cos²(φ/2)', () => {
    for (const phi of [0, 0.7, Math.PI / 2, 2.9, Math.PI]) {
      const experiment = job([['load', [0], [10]], ['rlx', [0], [Math.PI / 2]], ['rlz', [0], [phi]], ['rlx', [0], [Math.PI / 2]]]);
      populations(experiment).forEach((p, k) => expect(p, `φ = ${phi}`).to.be.closeTo(binomialPmf(10, k, Math.cos(phi / 2) ** 2), 1e-12));
      expect(populations(job([['load', [0], [10]], ['rlz', [0], [phi]]]))[0]).to.be.closeTo(1, 1e-15);
    }
  });

  it('twists l = 1 with rlz2(χ): rlx(π/2) rlz2(χ) rlx(π/2) gives [sin²(χ/2), 0, cos²(χ/2)]', () => {
    for (const chi of [0.4, 1.5, 3]) {
      const expected = [Math.sin(chi / 2) ** 2, 0, Math.cos(chi / 2) ** 2];
      const twisted = (gate: SimInstruction): number[] =>
        populations(job([['load', [0], [2]], ['rlx', [0], [Math.PI / 2]], gate, ['rlx', [0], [Math.PI / 2]]]));
      twisted(['rlz2', [0], [chi]]).forEach((p, k) => expect(p).to.be.closeTo(expected[k]!, 1e-12));
      twisted(['sq_full', [0], [0, 0, chi]]).forEach((p, k) => expect(p).to.be.closeTo(expected[k]!, 1e-12));
    }
  });

  it('applies sq_full(ω, δ, χ) with θ = 1, e.g. sq_full(ω, 0, 0) = rlx(ω)', () => {
    const viaFull = populations(job([['load', [0], [30]], ['sq_full', [0], [1.3, 0, 0]]]));
    const viaRlx = populations(job([['load', [0], [30]], ['rlx', [0], [1.3]]]));
    viaFull.forEach((p, k) => expect(p).to.be.closeTo(viaRlx[k]!, 1e-12));
  });

  it('finishes sq_full with the largest parameters on 500 atoms, normalised', () => {
    const big = 5e6 * Math.PI;
    const total = populations(job([['load', [0], [500]], ['sq_full', [0], [big, big, big]]])).reduce((a, b) => a + b, 0);
    expect(total).to.be.closeTo(1, 1e-10);
  });

  it('resets on a second load and reads the latest spin', () => {
    const memory = simulate(job([['rlx', [0], [Math.PI]], ['load', [0], [4]]], 20)).memory;
    expect(new Set(memory)).to.deep.equal(new Set(['0']));
  });

  it('repeats the outcome once per measure and gives empty entries when nothing is measured', () => {
    const twice = simulate({ ...job([['rlx', [0], [Math.PI]]], 3), instructions: [['rlx', [0], [Math.PI]], ['measure', [0], []], ['measure', [0], []]] });
    expect(twice.memory).to.deep.equal(['1 1', '1 1', '1 1']);
    expect(simulate({ instructions: [['rlx', [0], [1]]], shots: 3, num_wires: 1 }).memory).to.deep.equal(['', '', '']);
  });

  it('reproduces the memory for a fixed seed', () => {
    const experiment = job([['load', [0], [40]], ['rlx', [0], [1]]], 50, 7);
    expect(simulate(experiment).memory).to.deep.equal(simulate(experiment).memory);
    expect(simulate(experiment).memory).not.to.deep.equal(simulate({ ...experiment, seed: 8 }).memory);
  });

  it('refuses a spin beyond the amplitude bound before simulating', () => {
    const experiment = job([['load', [0], [500]], ['rlx', [0], [1]]]);
    expect(hilbertDimension(experiment)).to.equal(501);
    expect(() => simulate(experiment, { maxAmplitudes: 256 })).to.throw(HilbertSpaceTooLarge, '501 amplitudes');
  });

  it('calls the checkpoint for every instruction and stops when it throws', () => {
    let calls = 0;
    simulate(job([['load', [0], [3]], ['barrier', [0], []], ['rlx', [0], [1]]]), { checkpoint: () => void calls++ });
    expect(calls).to.be.at.least(4);
    const cancel = (): void => {
      throw new Error('job cancelled');
    };
    expect(() => simulate(job([['rlx', [0], [1]]]), { checkpoint: cancel })).to.throw('job cancelled');
  });

  it('names an unknown instruction and its index', () => {
    expect(() => simulate(job([['rlx', [0], [1]], ['fhop', [0], [1]]]))).to.throw('instruction 1 ("fhop") is not a singlequdit instruction');
  });
});
