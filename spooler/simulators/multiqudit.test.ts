// Specification of the multiqudit backend against analytic exchange, Ramsey and chain results.
import { expect } from 'chai';
import { applyExpm } from '../physics/expm.ts';
import { HilbertSpaceTooLarge, OperatorTooLarge } from '../physics/limits.ts';
import { spinOperators } from '../physics/spin.ts';
import { chiSquareTest, histogram } from '../physics/test-statistics.ts';
import { basisVector, probabilities } from '../physics/vector.ts';
import { finalState, hilbertDimension, simulate } from './multiqudit.ts';
import * as singlequdit from './singlequdit.ts';
import { outcomeDistribution, outcomeProbability } from './test-support.ts';
import type { SimExperiment, SimInstruction } from './types.ts';

const measureAll = (numWires: number): SimInstruction[] => Array.from({ length: numWires }, (_, w) => ['measure', [w], []]);
const job = (numWires: number, instructions: SimInstruction[], shots = 100, seed?: number): SimExperiment => ({
  instructions: [...instructions, ...measureAll(numWires)],
  shots,
  num_wires: numWires,
  ...(seed === undefined ? {} : { seed }),
});

describe('multiqudit simulator', () => {
  it('loads each wire before any gate and reports wires in measure order', () => {
    const experiment: SimExperiment = {
      instructions: [['rlx', [0], [Math.PI]], ['load', [0], [3]], ['load', [1], [1]], ['measure', [1], []], ['measure', [0], []]],
      shots: 10,
      num_wires: 2,
    };
    expect(hilbertDimension(experiment)).to.equal(8);
    expect(new Set(simulate(experiment).memory)).to.deep.equal(new Set(['0 3']));
  });

  it('flips a wire with rly(π) as with rlx(π)', () => {
    expect(new Set(simulate(job(2, [['load', [1], [6]], ['rly', [1], [Math.PI]]])).memory)).to.deep.equal(new Set(['0 6']));
  });

  it('rotates about +y with rly: rly(π/2) rlz(φ) rlx(π/2) matches exp(−iθLy) from Ly = (L+ − L−)/2i', () => {
    // the sign of Ly decides the outcome here; the reference is computed directly from the spin operators
    for (const phi of [0.4, Math.PI / 2, 2.2]) {
      const s = spinOperators(1.5);
      const direct = basisVector(4, 0);
      applyExpm(s.ly, Math.PI / 2, direct);
      applyExpm(s.lz, phi, direct);
      applyExpm(s.lx, Math.PI / 2, direct);
      const final = finalState(job(2, [['load', [0], [3]], ['rly', [0], [Math.PI / 2]], ['rlz', [0], [phi]], ['rlx', [0], [Math.PI / 2]]]));
      probabilities(direct).forEach((p, k) => expect(outcomeProbability(final, `${k} 0`), `φ = ${phi}, k = ${k}`).to.be.closeTo(p, 1e-12));
    }
  });

  it('swaps one excitation between two spin-1/2 wires under rlxly(θ) with probability sin²θ', () => {
    // In {|↓↑⟩, |↑↓⟩} the flip-flop L+_0 L−_1 + h.c. acts as σx (matrix element √1·√1 = 1), so
    // exp(−iθσx)|↓↑⟩ = cos θ |↓↑⟩ − i sin θ |↑↓⟩.
    for (const theta of [0.2, 0.9, Math.PI / 4, Math.PI / 2, 2.6]) {
      const final = finalState(job(2, [['rlx', [0], [Math.PI]], ['rlxly', [0, 1], [theta]]]));
      expect(outcomeProbability(final, '0 1')).to.be.closeTo(Math.sin(theta) ** 2, 1e-12);
      expect(outcomeProbability(final, '1 0')).to.be.closeTo(Math.cos(theta) ** 2, 1e-12);
    }
    const sampled = job(2, [['rlx', [0], [Math.PI]], ['rlxly', [0, 1], [0.9]]], 10_000, 11);
    const { statistic, critical } = chiSquareTest(histogram(simulate(sampled).memory), outcomeDistribution(finalState(sampled)), 10_000);
    expect(statistic).to.be.below(critical);
  });

  it('sums rlxly over neighbouring pairs when given all wires: a 3-site XY chain', () => {
    // One excitation hopping on 0–1–2 with unit amplitude: eigenvalues 0, ±√2, so
    // P(0) = cos⁴(θ/√2), P(1) = sin²(√2θ)/2, P(2) = sin⁴(θ/√2).
    for (const theta of [0.5, 1.7, 3]) {
      const final = finalState(job(3, [['rlx', [0], [Math.PI]], ['rlxly', [0, 1, 2], [theta]]]));
      const c = Math.cos(theta / Math.SQRT2);
      const s = Math.sin(theta / Math.SQRT2);
      expect(outcomeProbability(final, '1 0 0')).to.be.closeTo(c ** 4, 1e-12);
      expect(outcomeProbability(final, '0 1 0')).to.be.closeTo(Math.sin(Math.SQRT2 * theta) ** 2 / 2, 1e-12);
      expect(outcomeProbability(final, '0 0 1')).to.be.closeTo(s ** 4, 1e-12);
    }
  });

  it('leaves populations alone under rlzlz', () => {
    const prepared: SimInstruction[] = [['load', [0], [4]], ['load', [1], [3]], ['rlx', [0], [1.1]], ['rlx', [1], [2.3]]];
    const before = outcomeDistribution(finalState(job(2, prepared)));
    const after = outcomeDistribution(finalState(job(2, [...prepared, ['rlzlz', [0, 1], [4.2]]])));
    for (const [outcome, p] of before) expect(after.get(outcome)).to.be.closeTo(p, 1e-12);
  });

  it('shows rlzlz as a partner-dependent rlz in a Ramsey sequence: P(wire 0 back up) = sin²(θ·m₁/2)', () => {
    // With wire 1 in Lz eigenstate m₁, exp(−iθ Lz₀ m₁) is rlz(θm₁) on wire 0, and rlx(π/2) rlz(φ) rlx(π/2)
    // returns a spin 1/2 to m = +1/2 with probability sin²(φ/2).
    for (const theta of [0.8, 2, 5]) {
      for (const [atoms, m1] of [[1, 0.5], [2, 1]] as const) {
        const final = finalState(job(2, [['load', [1], [atoms]], ['rlx', [0], [Math.PI / 2]], ['rlzlz', [0, 1], [theta]], ['rlx', [0], [Math.PI / 2]]]));
        expect(outcomeProbability(final, '0 0'), `θ = ${theta}, m₁ = ${m1}`).to.be.closeTo(Math.sin((theta * m1) / 2) ** 2, 1e-12);
      }
    }
  });

  it('builds multiqudit_full from the same terms as the single gates', () => {
    // Jxy only: the all-wires rlxly; ω, δ, χ only: independent sq_full evolutions on each wire.
    const start: SimInstruction[] = [['load', [0], [2]], ['load', [1], [3]], ['load', [2], [1]], ['rlx', [1], [Math.PI]]];
    const viaFull = outcomeDistribution(finalState(job(3, [...start, ['multiqudit_full', [0, 1, 2], [0, 0, 0, 1.3, 0]]])));
    const viaRlxly = outcomeDistribution(finalState(job(3, [...start, ['rlxly', [0, 1, 2], [1.3]]])));
    for (const [outcome, p] of viaRlxly) expect(viaFull.get(outcome) ?? 0).to.be.closeTo(p, 1e-12);

    const local = outcomeDistribution(finalState(job(2, [['load', [0], [6]], ['load', [1], [6]], ['multiqudit_full', [0, 1], [0.7, 0.4, 0.3, 0, 0]]])));
    const single = outcomeDistribution(singlequdit.finalState({ instructions: [['load', [0], [6]], ['sq_full', [0], [0.7, 0.4, 0.3]], ['measure', [0], []]], shots: 1, num_wires: 1 }));
    for (const [a, pa] of single) for (const [b, pb] of single) expect(local.get(`${a} ${b}`) ?? 0).to.be.closeTo(pa * pb, 1e-12);
  });

  it('refuses 5 wires of 500 atoms with HilbertSpaceTooLarge before touching an instruction', () => {
    const instructions: SimInstruction[] = [0, 1, 2, 3, 4].map((w) => ['load', [w], [500]]);
    const experiment = job(5, [...instructions, ['rlx', [0], [1]]]);
    expect(hilbertDimension(experiment)).to.equal(501 ** 5);
    let checkpoints = 0;
    expect(() => simulate(experiment, { checkpoint: () => void checkpoints++ }))
      .to.throw(HilbertSpaceTooLarge, 'Hilbert space of 3.2e13 amplitudes exceeds the limit of 4194304 (2^22)')
      .with.property('dimension', 501 ** 5);
    expect(checkpoints).to.equal(0);
  });

  it('refuses a Hamiltonian with more non-zeros than allowed', () => {
    const experiment = job(3, [['load', [0], [10]], ['multiqudit_full', [0, 1, 2], [1, 1, 1, 1, 1]]]);
    expect(() => simulate(experiment, { maxNonZeros: 50 })).to.throw(OperatorTooLarge);
  });

  it('refuses multiqudit_full on five 20-atom wires at the default bounds, naming its exact size, without building it', () => {
    const loads: SimInstruction[] = [0, 1, 2, 3, 4].map((w) => ['load', [w], [20]]);
    const experiment = job(5, [...loads, ['multiqudit_full', [0, 1, 2, 3, 4], [1, 1, 1, 1, 1]]]);
    expect(() => simulate(experiment))
      .to.throw(OperatorTooLarge, 'Hamiltonian with 7.3e7 non-zero entries exceeds the limit of 33554432 (2^25)')
      .with.property('nonZeros', 72_615_481);
  });

  it('names a wire that does not exist', () => {
    expect(() => simulate(job(2, [['rlx', [2], [1]]]))).to.throw(RangeError, 'instruction 0 ("rlx"): wire 2 is not one of the wires 0…1');
  });
});
