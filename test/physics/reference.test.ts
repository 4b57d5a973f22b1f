// The reference solver checked against mathematics alone (identities and closed forms), so that agreement with it
// means something: Jacobi decompositions reproduce their matrix, the exponential matches closed forms, the spin
// matrices obey the angular-momentum algebra and the Jordan–Wigner operators the canonical anticommutation relations.
import { expect } from 'chai';
import { createRng } from '../../spooler/physics/random.ts';
import { adjoint, basis, identity, multiply, sum, zeros } from './reference/dense.ts';
import type { Dense, Vector } from './reference/dense.ts';
import { decompose, evolve, jacobiEigen } from './reference/eigen.ts';
import { annihilator, pauli, spin } from './reference/operators.ts';

function maxDifference(a: Dense, b: Dense): number {
  let worst = 0;
  for (let p = 0; p < a.re.length; p++) worst = Math.max(worst, Math.abs(a.re[p]! - b.re[p]!), Math.abs(a.im[p]! - b.im[p]!));
  return worst;
}

/** AB − BA */
const commutator = (a: Dense, b: Dense): Dense => sum(a.n, [[1, multiply(a, b)], [-1, multiply(b, a)]]);
/** AB + BA */
const anticommutator = (a: Dense, b: Dense): Dense => sum(a.n, [[1, multiply(a, b)], [1, multiply(b, a)]]);
/** i·A */
const timesI = (a: Dense): Dense => ({ n: a.n, re: a.im.map((v) => -v), im: Float64Array.from(a.re) });

function randomHermitian(n: number, seed: number): Dense {
  const rng = createRng(seed);
  const h = zeros(n);
  for (let i = 0; i < n; i++) {
    h.re[i * n + i] = rng.next() * 4 - 2;
    for (let j = i + 1; j < n; j++) {
      const [re, im] = [rng.next() * 2 - 1, rng.next() * 2 - 1];
      h.re[i * n + j] = h.re[j * n + i] = re;
      h.im[i * n + j] = im;
      h.im[j * n + i] = -im;
    }
  }
  return h;
}

describe('reference solver: checked against mathematics', () => {
  it('Jacobi: QΛQᵀ reproduces a random symmetric matrix and Q is orthogonal', () => {
    const size = 24;
    const rng = createRng(7);
    const m = new Float64Array(size * size);
    for (let i = 0; i < size; i++) for (let j = i; j < size; j++) m[i * size + j] = m[j * size + i] = rng.next() * 2 - 1;
    const { values, vectors } = jacobiEigen(m, size);
    let worst = 0;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        let rebuilt = 0;
        let gram = 0;
        for (let k = 0; k < size; k++) {
          rebuilt += vectors[i * size + k]! * values[k]! * vectors[j * size + k]!;
          gram += vectors[k * size + i]! * vectors[k * size + j]!;
        }
        worst = Math.max(worst, Math.abs(rebuilt - m[i * size + j]!), Math.abs(gram - (i === j ? 1 : 0)));
      }
    }
    expect(worst).to.be.below(1e-13);
  });

  it('exp(−iθ n·σ/2) = cos(θ/2) − i sin(θ/2) n·σ for a complex (σy) and a real direction', () => {
    for (const [nx, ny, nz] of [[0.48, 0.6, 0.64], [0.6, 0, 0.8]] as const) {
      const h = sum(2, [[nx / 2, pauli.x], [ny / 2, pauli.y], [nz / 2, pauli.z]]);
      const theta = 2.7;
      const expected = sum(2, [[Math.cos(theta / 2), identity(2)], [-Math.sin(theta / 2), timesI(sum(2, [[2, h]]))]]);
      const d = decompose(h);
      for (const column of [0, 1]) {
        const got: Vector = evolve(d, theta, basis(2, column));
        for (const row of [0, 1]) {
          expect(got.re[row]).to.be.closeTo(expected.re[row * 2 + column]!, 1e-14);
          expect(got.im[row]).to.be.closeTo(expected.im[row * 2 + column]!, 1e-14);
        }
      }
    }
  });

  it('keeps a random 12-dimensional Hermitian evolution unitary and composes exp(−iaH)·exp(−ibH) = exp(−i(a+b)H)', () => {
    const d = decompose(randomHermitian(12, 3));
    const start = evolve(d, 0.3, basis(12, 5));
    const twoSteps = evolve(d, 1.1, evolve(d, 0.6, start));
    const oneStep = evolve(d, 1.7, start);
    let norm = 0;
    for (let i = 0; i < 12; i++) {
      norm += twoSteps.re[i]! ** 2 + twoSteps.im[i]! ** 2;
      expect(twoSteps.re[i]).to.be.closeTo(oneStep.re[i]!, 1e-13);
      expect(twoSteps.im[i]).to.be.closeTo(oneStep.im[i]!, 1e-13);
    }
    expect(norm).to.be.closeTo(1, 1e-13);
  });

  it('spin matrices: [Lx, Ly] = iLz and L² = l(l+1) for l = 1/2 … 5/2', () => {
    for (const l of [0.5, 1, 1.5, 2.5]) {
      const s = spin(l);
      const n = s.lz.n;
      expect(maxDifference(commutator(s.lx, s.ly), timesI(s.lz)), `l = ${l}`).to.be.below(1e-13);
      const casimir = sum(n, [[1, multiply(s.lx, s.lx)], [1, multiply(s.ly, s.ly)], [1, multiply(s.lz, s.lz)]]);
      expect(maxDifference(casimir, sum(n, [[l * (l + 1), identity(n)]])), `l = ${l}`).to.be.below(1e-13);
    }
  });

  it('Jordan–Wigner operators: {a_i, a_j†} = δ_ij and {a_i, a_j} = 0 on three modes', () => {
    const modes = 3;
    const a = Array.from({ length: modes }, (_, j) => annihilator(modes, j));
    for (let i = 0; i < modes; i++) {
      for (let j = 0; j < modes; j++) {
        const expected = i === j ? identity(8) : zeros(8);
        expect(maxDifference(anticommutator(a[i]!, adjoint(a[j]!)), expected), `{a${i}, a${j}†}`).to.equal(0);
        expect(maxDifference(anticommutator(a[i]!, a[j]!), zeros(8)), `{a${i}, a${j}}`).to.equal(0);
      }
    }
  });
});
