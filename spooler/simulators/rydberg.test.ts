// Specification of the rydberg backend: Rabi oscillation, blockade and the 1/r⁶ interaction phases.
import { expect } from 'chai';
import { HilbertSpaceTooLarge } from '../physics/limits.ts';
import { chiSquareTest, histogram } from '../physics/test-statistics.ts';
import { finalState, hilbertDimension, simulate } from './rydberg.ts';
import { outcomeDistribution, outcomeProbability } from './test-support.ts';
import type { SimExperiment, SimInstruction } from './types.ts';

const job = (numWires: number, instructions: SimInstruction[], measured: number[], shots = 100, seed?: number): SimExperiment => ({
  instructions: [...instructions, ...measured.map((w): SimInstruction => ['measure', [w], []])],
  shots,
  num_wires: numWires,
  ...(seed === undefined ? {} : { seed }),
});
const ALL = [0, 1, 2, 3, 4];

describe('rydberg simulator', () => {
  it('Rabi-oscillates a single atom: P(1) = sin²(ω/2) under rlx(ω)', () => {
    for (const omega of [0.3, 1, Math.PI / 2, 2.2, Math.PI]) {
      expect(outcomeProbability(finalState(job(1, [['rlx', [0], [omega]]], [0])), '1')).to.be.closeTo(Math.sin(omega / 2) ** 2, 1e-12);
    }
    const sampled = job(1, [['rlx', [0], [1]]], [0], 10_000, 3);
    const { statistic, critical } = chiSquareTest(histogram(simulate(sampled).memory), outcomeDistribution(finalState(sampled)), 10_000);
    expect(statistic).to.be.below(critical);
  });

  it('drives one atom under rydberg_full by any legal ω, δ, tiny ones included: P(1) = (ω/Ω)²·sin²(Ω/2), Ω = √(ω² + δ²)', () => {
    // ω = 1e-300 once ended the job in "eigenvalue iteration did not converge" (spectral.ts scales H now)
    for (const [omega, delta] of [[1e-300, 0], [1e-300, 1e-300], [1e-320, 0], [3e-8, 0], [2.5, 1e-310], [1.3, 0.7]] as const) {
      const big = Math.hypot(omega, delta);
      const final = finalState(job(1, [['rydberg_full', ALL, [omega, delta, 5]]], [0]));
      expect(outcomeProbability(final, '1'), `ω = ${omega}, δ = ${delta}`).to.be.closeTo((omega / big) ** 2 * Math.sin(big / 2) ** 2, 1e-12);
    }
  });

  it('drives each atom of a 5-atom chain on its own (the tutorial sweep rlx(ω) on every atom, ω = 0 included)', () => {
    for (const omega of [0, 0.9, Math.PI]) {
      const final = finalState(job(5, [...ALL.map((w): SimInstruction => ['rlx', [w], [omega]]), ['barrier', ALL, []]], ALL));
      const p = Math.sin(omega / 2) ** 2;
      expect(outcomeProbability(final, '0 0 0 0 0'), `ω = ${omega}`).to.be.closeTo((1 - p) ** 5, 1e-12);
      expect(outcomeProbability(final, '1 0 1 1 0'), `ω = ${omega}`).to.be.closeTo(p ** 3 * (1 - p) ** 2, 1e-12);
    }
  });

  it('blocks double excitation of neighbours and drives the pair at the collective frequency √2·ω', () => {
    // With φ ≫ ω, |gg⟩ couples only to W = (|gr⟩ + |rg⟩)/√2 with ⟨W|ω(Lx₀ + Lx₁)|gg⟩ = ω/√2, so
    // P(W) = sin²(ω/√2), i.e. (1 − cos √2ω)/2; |rr⟩ is off-resonant by φ and holds ~(ω/φ)² ≈ 2e-8 at most.
    const phi = 2e4;
    for (const omega of [0.5, 1, Math.PI / Math.SQRT2, 3]) {
      const final = finalState(job(2, [['rydberg_full', ALL, [omega, 0, phi]]], [0, 1]));
      expect(outcomeProbability(final, '1 1'), `ω = ${omega}`).to.be.below(1e-7);
      const single = outcomeProbability(final, '0 1') + outcomeProbability(final, '1 0');
      expect(single, `ω = ${omega}`).to.be.closeTo(Math.sin(omega / Math.SQRT2) ** 2, 1e-6);
    }
    // without the interaction the two atoms flip independently and |rr⟩ is reached
    const free = finalState(job(2, [['rydberg_full', ALL, [Math.PI / Math.SQRT2, 0, 0]]], [0, 1]));
    expect(outcomeProbability(free, '1 1')).to.be.closeTo(Math.sin(Math.PI / Math.SQRT2 / 2) ** 4, 1e-12);
  });

  it('gives |rr⟩ the phase e^{−iθ/|i−j|⁶} under rydberg_block, visible between two rlx(π/2)', () => {
    // rlx(π/2) on both, phase on |rr⟩, rlx(π/2) on both: P(rr) = (10 + 6 cos θ')/16, P(other) = (1 − cos θ')/8 each
    for (const theta of [0.6, Math.PI / 2, 2.5]) {
      const pair = finalState(job(2, [['rlx', [0], [Math.PI / 2]], ['rlx', [1], [Math.PI / 2]], ['rydberg_block', ALL, [theta]], ['rlx', [0], [Math.PI / 2]], ['rlx', [1], [Math.PI / 2]]], [0, 1]));
      expect(outcomeProbability(pair, '1 1')).to.be.closeTo((10 + 6 * Math.cos(theta)) / 16, 1e-12);
      expect(outcomeProbability(pair, '0 1')).to.be.closeTo((1 - Math.cos(theta)) / 8, 1e-12);
      // atoms 0 and 2 interact with 1/2⁶ of the strength
      const far = finalState(job(3, [['rlx', [0], [Math.PI / 2]], ['rlx', [2], [Math.PI / 2]], ['rydberg_block', ALL, [theta]], ['rlx', [0], [Math.PI / 2]], ['rlx', [2], [Math.PI / 2]]], [0, 2]));
      expect(outcomeProbability(far, '1 1')).to.be.closeTo((10 + 6 * Math.cos(theta / 64)) / 16, 1e-12);
    }
  });

  it('detunes with rydberg_full δ like rlz: δ alone only adds phases', () => {
    const final = finalState(job(3, [['rlx', [1], [1.2]], ['rydberg_full', ALL, [0, 2.5, 0]]], [0, 1, 2]));
    expect(outcomeProbability(final, '0 1 0')).to.be.closeTo(Math.sin(0.6) ** 2, 1e-12);
  });

  it('uses 2^num_wires amplitudes and only the wires that exist for whole-array gates', () => {
    expect(hilbertDimension(job(5, [], []))).to.equal(32);
    expect(() => simulate(job(30, [], [0]))).to.throw(HilbertSpaceTooLarge, 'Hilbert space of 1.1e9 amplitudes');
    expect(() => simulate(job(1e9, [], [0]))).to.throw(RangeError, 'num_wires 1000000000 is not a wire count');
    expect(new Set(simulate(job(2, [['rydberg_full', ALL, [Math.PI, 0, 0]]], [0, 1])).memory)).to.deep.equal(new Set(['1 1']));
  });
});
