// Specification of the fermions backend against single- and two-particle analytic results.
import { expect } from 'chai';
import { chiSquareTest, histogram } from '../physics/test-statistics.ts';
import { finalState, simulate } from './fermions.ts';
import { outcomeDistribution, outcomeProbability } from './test-support.ts';
import type { SimExperiment, SimInstruction } from './types.ts';

const job = (instructions: SimInstruction[], measured: number[], shots = 100, seed?: number, numWires = 8): SimExperiment => ({
  instructions: [...instructions, ...measured.map((w): SimInstruction => ['measure', [w], []])],
  shots,
  num_wires: numWires,
  ...(seed === undefined ? {} : { seed }),
});
const load = (w: number): SimInstruction => ['load', [w], []];
const hop = (theta: number, wires = [0, 1, 2, 3]): SimInstruction => ['fhop', wires, [theta]];

describe('fermions simulator', () => {
  it('moves both spins of site 0 to site 1 with fhop(π/2): every shot reads 0 0 1 1', () => {
    expect(new Set(simulate(job([load(0), load(1), hop(Math.PI / 2)], [0, 1, 2, 3], 300)).memory)).to.deep.equal(new Set(['0 0 1 1']));
  });

  it('keeps whole-array gates inside a smaller register: two tweezers hop only between each other', () => {
    const ALL = [0, 1, 2, 3, 4, 5, 6, 7];
    for (const theta of [0.4, 1.1]) {
      const final = finalState(job([load(0), hop(theta, ALL), ['fint', ALL, [0.5]], ['fphase', ALL, [0.3]]], [0, 2], 1, undefined, 4));
      expect(outcomeProbability(final, '1 0')).to.be.closeTo(Math.cos(theta) ** 2, 1e-12);
      expect(outcomeProbability(final, '0 1')).to.be.closeTo(Math.sin(theta) ** 2, 1e-12);
    }
    expect(() => finalState(job([hop(1, [4, 5, 6, 7])], [], 1, undefined, 6))).to.throw(RangeError, 'wire 6 is not one of the wires 0…5');
    // one tweezer (or a lone mode) has nowhere to hop and no pair to interact: the gates do nothing
    for (const numWires of [1, 2]) {
      const final = finalState(job([load(0), hop(1.3, ALL), ['fint', ALL, [0.7]]], [0], 1, undefined, numWires));
      expect(outcomeProbability(final, '1')).to.be.closeTo(1, 1e-15);
    }
  });

  it('lets a single fermion stay with probability cos²θ', () => {
    for (const theta of [0.3, 1, Math.PI / 3, 2.8]) {
      const final = finalState(job([load(0), hop(theta)], [0, 2]));
      expect(outcomeProbability(final, '1 0')).to.be.closeTo(Math.cos(theta) ** 2, 1e-12);
      expect(outcomeProbability(final, '0 1')).to.be.closeTo(Math.sin(theta) ** 2, 1e-12);
    }
    const sampled = job([load(0), hop(1)], [0, 2], 10_000, 5);
    const { statistic, critical } = chiSquareTest(histogram(simulate(sampled).memory), outcomeDistribution(finalState(sampled)), 10_000);
    expect(statistic).to.be.below(critical);
  });

  it('hops the two spins of a site independently: both move together with probability sin⁴θ', () => {
    const theta = 0.7;
    const [c2, s2] = [Math.cos(theta) ** 2, Math.sin(theta) ** 2];
    const final = finalState(job([load(0), load(1), hop(theta)], [0, 1, 2, 3]));
    expect(outcomeProbability(final, '1 1 0 0')).to.be.closeTo(c2 * c2, 1e-12);
    expect(outcomeProbability(final, '0 0 1 1')).to.be.closeTo(s2 * s2, 1e-12);
    expect(outcomeProbability(final, '1 0 0 1')).to.be.closeTo(c2 * s2, 1e-12);
    expect(outcomeProbability(final, '0 1 1 0')).to.be.closeTo(c2 * s2, 1e-12);
  });

  it('blocks hopping between two sites already holding one spin-down fermion each (Pauli)', () => {
    for (const theta of [0.4, 1.2, 2.5]) {
      expect(outcomeProbability(finalState(job([load(0), load(2), hop(theta)], [0, 2])), '1 1')).to.be.closeTo(1, 1e-12);
    }
  });

  it('gives a doubly occupied site the phase e^{−iθ} under fint(θ), and nothing else', () => {
    const theta = 1.9;
    const before = finalState(job([load(0), load(1)], []));
    const after = finalState(job([load(0), load(1), ['fint', [0, 1, 2, 3, 4, 5, 6, 7], [theta]]], []));
    const index = 0b11000000;
    const ratio = [after.state.re[index]!, after.state.im[index]!];
    const [a, b] = [before.state.re[index]!, before.state.im[index]!];
    expect(Math.hypot(a, b)).to.be.closeTo(1, 1e-15);
    // after/before = (a' + ib')(a − ib)/|before|²
    expect(ratio[0]! * a + ratio[1]! * b).to.be.closeTo(Math.cos(theta), 1e-12);
    expect(ratio[1]! * a - ratio[0]! * b).to.be.closeTo(-Math.sin(theta), 1e-12);
    // one spin per site: untouched (the −1 is the Jordan–Wigner sign of creating mode 3 after mode 0)
    const single = finalState(job([load(0), load(3), ['fint', [0, 1, 2, 3, 4, 5, 6, 7], [theta]]], []));
    expect([single.state.re[0b10010000], single.state.im[0b10010000]]).to.deep.equal([-1, 0]);
  });

  it('makes fint visible in a hop–interact–hop interferometer: P(both back at site 1) = cos²(U/2)', () => {
    // With fhop(π/4) as a 50/50 splitter for each spin, the two-particle amplitudes give
    // P(site 1 doubly occupied) = cos²(U/2), P(site 0 doubly occupied) = sin²(U/2), nothing else.
    for (const u of [0, 0.9, Math.PI / 2, 2.4, Math.PI]) {
      const final = finalState(job([load(0), load(1), hop(Math.PI / 4), ['fint', [0, 1, 2, 3, 4, 5, 6, 7], [u]], hop(Math.PI / 4)], [0, 1, 2, 3]));
      expect(outcomeProbability(final, '0 0 1 1'), `U = ${u}`).to.be.closeTo(Math.cos(u / 2) ** 2, 1e-12);
      expect(outcomeProbability(final, '1 1 0 0'), `U = ${u}`).to.be.closeTo(Math.sin(u / 2) ** 2, 1e-12);
    }
  });

  it('makes fphase visible in a single-particle interferometer: P(back at mode 0) = sin²(φ/2)', () => {
    for (const phi of [0.5, Math.PI / 2, Math.PI]) {
      const final = finalState(job([load(0), hop(Math.PI / 4), ['fphase', [2, 3], [phi]], hop(Math.PI / 4)], [0, 2]));
      expect(outcomeProbability(final, '1 0')).to.be.closeTo(Math.sin(phi / 2) ** 2, 1e-12);
    }
  });

  it('reads fhop on all eight wires as hopping along the four-site chain', () => {
    // A spin-down fermion on a 4-site open chain: modes sin(kπ(j+1)/5)·√(2/5), energies 2cos(kπ/5).
    const theta = 1.3;
    const final = finalState(job([load(0), hop(theta, [0, 1, 2, 3, 4, 5, 6, 7])], [0, 2, 4, 6]));
    for (let site = 0; site < 4; site++) {
      let [re, im] = [0, 0];
      for (let k = 1; k <= 4; k++) {
        const weight = (2 / 5) * Math.sin((k * Math.PI) / 5) * Math.sin((k * Math.PI * (site + 1)) / 5);
        re += weight * Math.cos(2 * theta * Math.cos((k * Math.PI) / 5));
        im -= weight * Math.sin(2 * theta * Math.cos((k * Math.PI) / 5));
      }
      const outcome = [0, 1, 2, 3].map((j) => (j === site ? 1 : 0)).join(' ');
      expect(outcomeProbability(final, outcome)).to.be.closeTo(re * re + im * im, 1e-12);
    }
  });

  it('refuses to load a mode that is already occupied', () => {
    expect(() => simulate(job([load(3), load(3)], [3]))).to.throw(RangeError, 'instruction 1 ("load"): mode 3 is (partly) occupied already');
  });

  it('reproduces the memory for a fixed seed', () => {
    const experiment = job([load(0), load(1), hop(Math.PI / 4)], [0, 1, 2, 3], 40, 12345);
    expect(simulate(experiment).memory).to.deep.equal(simulate(experiment).memory);
    expect(new Set(simulate(experiment).memory).size).to.be.above(1);
  });
});
