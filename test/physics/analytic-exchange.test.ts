// The multiqudit couplings against closed forms: the flip-flop L+_a L−_b + h.c. between unequal spins (matrix
// elements √(l(l+1) − m(m±1)) of both wires), the whole-array rlxly as a single excitation on an open chain, and
// multiqudit_full term by term. Exact outcome probabilities, no sampling.
import { expect } from 'chai';
import { binomialPmf } from '../../spooler/physics/test-statistics.ts';
import { finalState } from '../../spooler/simulators/multiqudit.ts';
import { outcomeDistribution } from '../../spooler/simulators/test-support.ts';
import type { SimInstruction } from '../../spooler/simulators/types.ts';

const PI = Math.PI;
const measureAll = (numWires: number): SimInstruction[] => Array.from({ length: numWires }, (_, w) => ['measure', [w], []]);

function expectOutcomes(instructions: SimInstruction[], numWires: number, expected: Record<string, number>): void {
  const distribution = outcomeDistribution(finalState({ instructions: [...instructions, ...measureAll(numWires)], shots: 1, num_wires: numWires }));
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  expect(total, 'the expected outcomes cover everything').to.be.closeTo(1, 1e-12);
  for (const [outcome, p] of Object.entries(expected)) expect(distribution.get(outcome) ?? 0, `P(${outcome})`).to.be.closeTo(p, 1e-10);
}

/** One excitation starting on site 0 of an open N-site chain with unit hopping: P(site j) at time t. */
function chainProbability(sites: number, j: number, t: number): number {
  let [re, im] = [0, 0];
  for (let k = 1; k <= sites; k++) {
    const weight = (2 / (sites + 1)) * Math.sin((k * PI) / (sites + 1)) * Math.sin((k * PI * (j + 1)) / (sites + 1));
    const energy = 2 * Math.cos((k * PI) / (sites + 1));
    re += weight * Math.cos(energy * t);
    im -= weight * Math.sin(energy * t);
  }
  return re * re + im * im;
}

const oneFlipped = (sites: number, j: number) => Array.from({ length: sites }, (_, w) => (w === j ? 1 : 0)).join(' ');

describe('analytic: flip-flop exchange between unequal spins', () => {
  for (const theta of [0.37, 1.9]) {
    it(`spin 1/2 down, spin 1 up: rlxly(${theta}) moves the flip over with probability sin²(√2θ)`, () => {
      // ⟨+½, 0| L+_a L−_b |−½, +1⟩ = 1 · √2
      const s = Math.sin(Math.SQRT2 * theta) ** 2;
      expectOutcomes([['load', [1], [2]], ['rlx', [0], [PI]], ['rlxly', [0, 1], [theta]]], 2, { '1 0': 1 - s, '0 1': s });
    });

    it(`two spins 1, m = −1 and +1: rlxly(${theta}) is a three-level chain with couplings 2 (cos⁴, sin²(2√2θ)/2, sin⁴ of √2θ)`, () => {
      const [c, s] = [Math.cos(Math.SQRT2 * theta), Math.sin(Math.SQRT2 * theta)];
      expectOutcomes([['load', [0], [2]], ['load', [1], [2]], ['rlx', [0], [PI]], ['rlxly', [0, 1], [theta]]], 2, {
        '2 0': c ** 4,
        '1 1': 2 * s * s * c * c,
        '0 2': s ** 4,
      });
    });

    it(`multiqudit_full(0, 0, 0, Jxy = ${theta}, 0) exchanges like rlxly(${theta})`, () => {
      const s = Math.sin(Math.SQRT2 * theta) ** 2;
      expectOutcomes([['load', [1], [2]], ['rlx', [0], [PI]], ['multiqudit_full', [0, 1], [0, 0, 0, theta, 0]]], 2, { '1 0': 1 - s, '0 1': s });
    });
  }
});

describe('analytic: rlxly on the whole array is an XY chain of the wires the experiment has', () => {
  for (const [sites, t] of [[5, 0.8], [5, 2.9], [3, 1.4]] as const) {
    it(`${sites} spin-1/2 wires, one flip on wire 0, rlxly(${t}) on [0…4]: open-chain probabilities`, () => {
      const expected = Object.fromEntries(Array.from({ length: sites }, (_, j) => [oneFlipped(sites, j), chainProbability(sites, j, t)]));
      expectOutcomes([['rlx', [0], [PI]], ['rlxly', [0, 1, 2, 3, 4], [t]]], sites, expected);
    });
  }
});

describe('analytic: multiqudit_full term by term', () => {
  it('ω alone rotates every wire on its own: a product of binomials with p = sin²(ω/2)', () => {
    const [omega, atoms] = [1.1, [3, 1, 2]];
    const p = Math.sin(omega / 2) ** 2;
    const expected: Record<string, number> = {};
    for (let a = 0; a <= atoms[0]!; a++) {
      for (let b = 0; b <= atoms[1]!; b++) {
        for (let c = 0; c <= atoms[2]!; c++) expected[`${a} ${b} ${c}`] = binomialPmf(atoms[0]!, a, p) * binomialPmf(atoms[1]!, b, p) * binomialPmf(atoms[2]!, c, p);
      }
    }
    const loads: SimInstruction[] = atoms.map((n, w) => ['load', [w], [n]]);
    expectOutcomes([...loads, ['multiqudit_full', [0, 1, 2], [omega, 0, 0, 0, 0]]], 3, expected);
  });

  it('δ alone is rlz on every wire: a Ramsey sequence on each reads 1 with probability cos²(δ/2)', () => {
    const delta = 2.3;
    const q = Math.cos(delta / 2) ** 2;
    const ramsey: SimInstruction[] = [['rlx', [0], [PI / 2]], ['rlx', [1], [PI / 2]], ['multiqudit_full', [0, 1], [0, delta, 0, 0, 0]], ['rlx', [0], [PI / 2]], ['rlx', [1], [PI / 2]]];
    expectOutcomes(ramsey, 2, { '0 0': (1 - q) ** 2, '0 1': (1 - q) * q, '1 0': q * (1 - q), '1 1': q * q });
  });

  it('Jzz alone is Lz·Lz: between rlx(π/2) on both, rlx(π/2) on wire 1 reads 1 with probability cos²(Jzz/4)', () => {
    // wire 1 precesses by ±Jzz/2 depending on wire 0's m = ±1/2; its average Bloch vector shrinks by cos(Jzz/2)
    const jzz = 1.7;
    const distribution = outcomeDistribution(
      finalState({ instructions: [['rlx', [0], [PI / 2]], ['rlx', [1], [PI / 2]], ['multiqudit_full', [0, 1], [0, 0, 0, 0, jzz]], ['rlx', [1], [PI / 2]], ['measure', [1], []]], shots: 1, num_wires: 2 }),
    );
    expect(distribution.get('1') ?? 0).to.be.closeTo(Math.cos(jzz / 4) ** 2, 1e-10);
  });
});
