// Collective-spin rotations against closed forms computed here from the physics alone: any sequence of rlx, rly,
// rlz and sq_full(ω, δ, 0) is one SU(2) rotation U, and 2l atoms starting in m = +l end up binomial with
// p = |U₁₀|² (U as the 2×2 matrix of exp(−iθ n·σ/2) products); rlz2 at χ = π and 2π acts as a parity-dependent
// rotation, so the outcome is deterministic. Odd and even atom numbers, up to 500.
import { expect } from 'chai';
import { binomialPmf } from '../../spooler/physics/test-statistics.ts';
import * as multiqudit from '../../spooler/simulators/multiqudit.ts';
import * as qubit from '../../spooler/simulators/qubit.ts';
import * as singlequdit from '../../spooler/simulators/singlequdit.ts';
import { outcomeDistribution } from '../../spooler/simulators/test-support.ts';
import type { FinalState, SimExperiment, SimInstruction } from '../../spooler/simulators/types.ts';

const PI = Math.PI;
type Complex = [re: number, im: number];
type Matrix = [[Complex, Complex], [Complex, Complex]];

/** exp(−iθ n·σ/2) = cos(θ/2) − i sin(θ/2) n·σ for a unit vector n. */
function su2([nx, ny, nz]: [number, number, number], theta: number): Matrix {
  const [c, s] = [Math.cos(theta / 2), Math.sin(theta / 2)];
  return [
    [[c, -s * nz], [-s * ny, -s * nx]],
    [[s * ny, -s * nx], [c, s * nz]],
  ];
}

function times(a: Matrix, b: Matrix): Matrix {
  const entry = (i: 0 | 1, j: 0 | 1): Complex => {
    const [[ar, ai], [br, bi]] = [a[i][0], b[0][j]];
    const [[cr, ci], [dr, di]] = [a[i][1], b[1][j]];
    return [ar * br - ai * bi + cr * dr - ci * di, ar * bi + ai * br + cr * di + ci * dr];
  };
  return [
    [entry(0, 0), entry(0, 1)],
    [entry(1, 0), entry(1, 1)],
  ];
}

const AXES: Record<string, [number, number, number]> = { rlx: [1, 0, 0], rly: [0, 1, 0], rlz: [0, 0, 1] };

/** One gate as a spin-1/2 rotation: sq_full(ω, δ, 0) turns by √(ω² + δ²) about (ω, 0, δ). */
function rotationOf([name, , params]: SimInstruction): Matrix {
  if (name !== 'sq_full') return su2(AXES[name]!, params[0]!);
  const [omega, delta] = [params[0]!, params[1]!];
  const angle = Math.hypot(omega, delta);
  return su2([omega / angle, 0, delta / angle], angle);
}

/** The single-atom flip probability |U₁₀|² of a gate sequence (first gate applied first). */
function flipProbability(gates: SimInstruction[]): number {
  const u = gates.reduce((product, gate) => times(rotationOf(gate), product), su2([0, 0, 1], 0));
  const [re, im] = u[1][0];
  return re * re + im * im;
}

function expectBinomial(final: FinalState, atoms: number, p: number, tolerance: number, prefix = ''): void {
  const distribution = outcomeDistribution(final);
  for (let k = 0; k <= atoms; k++) {
    expect(distribution.get(`${prefix}${k}`) ?? 0, `P(${prefix}${k})`).to.be.closeTo(binomialPmf(atoms, k, p), tolerance);
  }
}

const run = (simulator: { finalState(e: SimExperiment): FinalState }, instructions: SimInstruction[], numWires = 1) =>
  simulator.finalState({ instructions, shots: 1, num_wires: numWires });

const SEQUENCES: Array<{ label: string; gates: SimInstruction[] }> = [
  { label: 'rlx(π/2) rlz(1.3) rlx(2.2)', gates: [['rlx', [0], [PI / 2]], ['rlz', [0], [1.3]], ['rlx', [0], [2.2]]] },
  { label: 'rlz(0.3) rlx(6.2) rlz(5.5) rlx(0.01)', gates: [['rlz', [0], [0.3]], ['rlx', [0], [6.2]], ['rlz', [0], [5.5]], ['rlx', [0], [0.01]]] },
  { label: 'sq_full(3, 4, 0): a rotation by 5 about (3, 0, 4)/5', gates: [['sq_full', [0], [3, 4, 0]]] },
  { label: 'rlx(0.7) sq_full(12345.6, 7890.1, 0)', gates: [['rlx', [0], [0.7]], ['sq_full', [0], [12345.6, 7890.1, 0]]] },
];

describe('analytic: collective spin rotations are binomial with the SU(2) flip probability', () => {
  for (const atoms of [1, 2, 7, 499, 500]) {
    for (const { label, gates } of SEQUENCES) {
      it(`singlequdit, ${atoms} atoms: ${label}`, () => {
        expectBinomial(run(singlequdit, [['load', [0], [atoms]], ...gates, ['measure', [0], []]]), atoms, flipProbability(gates), 1e-9);
      });
    }
  }

  for (const atoms of [1, 6, 101]) {
    it(`multiqudit, ${atoms} atoms on wire 1 of 2 (wire 0 untouched): rlx(π/2) rlz(0.8) rly(2.1) rlx(0.4)`, () => {
      const gates: SimInstruction[] = [['rlx', [1], [PI / 2]], ['rlz', [1], [0.8]], ['rly', [1], [2.1]], ['rlx', [1], [0.4]]];
      const final = run(multiqudit, [['load', [1], [atoms]], ...gates, ['measure', [0], []], ['measure', [1], []]], 2);
      expectBinomial(final, atoms, flipProbability(gates), 1e-10, '0 ');
    });
  }

  it('multiqudit: rlx(π/2) rlz(π/2) rly(π/2) turns all 10 atoms over (a rotation about −y would leave them up)', () => {
    expect(outcomeDistribution(run(multiqudit, [['load', [0], [10]], ['rlx', [0], [PI / 2]], ['rlz', [0], [PI / 2]], ['rly', [0], [PI / 2]], ['measure', [0], []]])).get('10')).to.be.closeTo(1, 1e-12);
  });
});

describe('analytic: rlz2 between two rlx(π/2) at χ = π and 2π', () => {
  // e^{−iπm²} is e^{−iπLz} up to a global phase for integer m and a global phase alone for half-integer m;
  // e^{−i2πm²} is a global phase for both. So rlx(π/2) rlz2(χ) rlx(π/2) is rlx(π/2) Rz(π) rlx(π/2) = Rz(π) (all
  // atoms stay) for χ = π and an even number of atoms, and rlx(π) (all flip) otherwise.
  for (const atoms of [3, 4, 499, 500]) {
    for (const [chi, label] of [[PI, 'π'], [2 * PI, '2π'], [20 * PI, '20π']] as const) {
      const expected = chi === PI && atoms % 2 === 0 ? 0 : atoms;
      it(`${atoms} atoms, χ = ${label}: every shot reads ${expected}, also through sq_full(0, 0, χ)`, () => {
        for (const twist of [['rlz2', [0], [chi]], ['sq_full', [0], [0, 0, chi]]] as SimInstruction[]) {
          const final = run(singlequdit, [['load', [0], [atoms]], ['rlx', [0], [PI / 2]], twist, ['rlx', [0], [PI / 2]], ['measure', [0], []]]);
          expect(outcomeDistribution(final).get(String(expected)) ?? 0, twist[0]).to.be.closeTo(1, 1e-9);
        }
      });
    }
  }
});

describe('analytic: the qubit rotates about +x, +y, +z (exp(−iθσ/2))', () => {
  // rx(π/2) takes +z to −y, rz(π/2) −y to +x, ry(π/2) +x to −z; ry(π/2) takes +z to +x, rz(π/2) +x to +y, rx(π/2)
  // +y to +z. A reversed axis sign would swap both outcomes.
  const cases: Array<{ text: string; reads: string }> = [
    { text: 'X(90), Z(90), Y(90)', reads: '1' },
    { text: 'Y(90), Z(90), X(90)', reads: '0' },
  ];
  for (const { text, reads } of cases) {
    it(`${text} reads ${reads} in every shot`, () => {
      const final = qubit.finalState({ instructions: qubit.parseRotationText(text), shots: 1, num_wires: 1 });
      expect(outcomeDistribution(final).get(reads) ?? 0).to.be.closeTo(1, 1e-12);
    });
  }
});
