// Specification of exp(−iθH)ψ: exact spin-rotation populations for every method, unitarity, agreement between
// the methods, and sane costs for the largest exponents the backends allow.
import { expect } from 'chai';
import { applyExpm, planExpm } from './expm.ts';
import type { ExpmMethod } from './expm.ts';
import { linearCombination } from './sparse.ts';
import { kron, liftedSum } from './tensor.ts';
import type { SparseMatrix } from './sparse.ts';
import { spinOperators } from './spin.ts';
import { binomialPmf } from './test-statistics.ts';
import { basisVector, normSquared, probabilities } from './vector.ts';
import type { ComplexVector } from './vector.ts';

function evolved(H: SparseMatrix, theta: number, psi: ComplexVector, method?: ExpmMethod): ComplexVector {
  const out = { re: psi.re.slice(), im: psi.im.slice() };
  applyExpm(H, theta, out, method ? { method } : {});
  return out;
}

function distance(a: ComplexVector, b: ComplexVector): number {
  let d = 0;
  for (let i = 0; i < a.re.length; i++) d = Math.max(d, Math.hypot(a.re[i]! - b.re[i]!, a.im[i]! - b.im[i]!));
  return d;
}

describe('applyExpm', () => {
  // exp(−iθLx) rotates the m = +l state about x by θ: the 2l atoms flip independently with p = sin²(θ/2).
  for (const l of [0.5, 1, 25, 250]) {
    for (const method of ['taylor', 'spectral', undefined] as const) {
      it(`gives binomial populations C(2l,k)p^k(1−p)^(2l−k) under exp(−iθLx) for l = ${l} (${method ?? 'auto'})`, () => {
        const { lx, dim } = spinOperators(l);
        for (const theta of [0.3, 1.1, Math.PI / 2, 2.5, Math.PI]) {
          const p = Math.sin(theta / 2) ** 2;
          const populations = probabilities(evolved(lx, theta, basisVector(dim, 0), method));
          populations.forEach((value, k) => expect(value, `θ = ${theta}, k = ${k}`).to.be.closeTo(binomialPmf(2 * l, k, p), 1e-10));
        }
      });
    }
  }

  it('preserves the norm to 1e-12 for a complex Hermitian H (Taylor)', () => {
    const s = spinOperators(25);
    const H = linearCombination([
      { matrix: s.lx, coefficient: 0.8 },
      { matrix: s.ly, coefficient: -1.3 },
      { matrix: s.lz2, coefficient: 0.05 },
    ]);
    expect(planExpm(H, 5).method).to.equal('taylor');
    const psi = evolved(s.lx, 1, basisVector(s.dim, 0));
    expect(Math.abs(normSquared(evolved(H, 5, psi)) - 1)).to.be.below(1e-12);
  });

  it('takes the diagonal fast path, with the same result as the Taylor series and the exact phases', () => {
    const s = spinOperators(10);
    const H = linearCombination([
      { matrix: s.lz2, coefficient: 1 },
      { matrix: s.lz, coefficient: 0.3 },
    ]);
    expect(planExpm(H, 2.3).method).to.equal('diagonal');
    const psi = evolved(s.lx, 1.2, basisVector(s.dim, 0));
    const fast = evolved(H, 2.3, psi);
    expect(distance(fast, evolved(H, 2.3, psi, 'taylor'))).to.be.below(1e-12);
    for (let i = 0; i < s.dim; i++) {
      const m = 10 - i;
      const phase = -2.3 * (m * m + 0.3 * m);
      expect(fast.re[i]).to.be.closeTo(psi.re[i]! * Math.cos(phase) - psi.im[i]! * Math.sin(phase), 1e-13);
      expect(fast.im[i]).to.be.closeTo(psi.re[i]! * Math.sin(phase) + psi.im[i]! * Math.cos(phase), 1e-13);
    }
  });

  it('agrees between the eigen-decomposition of a dense real H and the Taylor series', () => {
    const a = spinOperators(2);
    const b = spinOperators(3.5);
    const H = liftedSum([5, 8], [
      { wires: [0], operator: a.lx, coefficient: 0.7 },
      { wires: [1], operator: b.lx, coefficient: 1.1 },
      { wires: [1], operator: b.lz2, coefficient: 0.2 },
      { wires: [0, 1], operator: kron(a.lplus, b.lminus), coefficient: 0.9 },
      { wires: [0, 1], operator: kron(a.lminus, b.lplus), coefficient: 0.9 },
      { wires: [0, 1], operator: kron(a.lz, b.lz), coefficient: 0.4 },
    ]);
    expect(H.bandwidth()).to.be.above(1);
    const psi = basisVector(H.dim, 3);
    expect(distance(evolved(H, 3.7, psi, 'spectral'), evolved(H, 3.7, psi, 'taylor'))).to.be.below(1e-12);
  });

  it('handles sq_full-sized exponents (θ‖H‖ ~ 1e12) by eigen-decomposition rather than millions of steps', () => {
    const s = spinOperators(250);
    const omega = 5e6 * Math.PI;
    const H = linearCombination([
      { matrix: s.lx, coefficient: omega },
      { matrix: s.lz, coefficient: omega },
      { matrix: s.lz2, coefficient: omega },
    ]);
    expect(planExpm(H, 1).method).to.equal('spectral');
    expect(planExpm(H, 1, 'taylor').steps).to.be.above(1e11);
    expect(Math.abs(normSquared(evolved(H, 1, basisVector(s.dim, 0))) - 1)).to.be.below(1e-10);
    // a rotation by 5e6·π = 2.5e6 full turns about x returns the spin to m = +l
    expect(probabilities(evolved(s.lx, omega, basisVector(s.dim, 0)))[0]).to.be.above(1 - 1e-6);
  });

  it('rotates by tiny legal angles (ω = 1e-300, 1e-320) through the eigen-decomposition, as accurately as the numbers carry', () => {
    // (1e-320 is subnormal: its entries carry absolute errors of a few 5e-324, hence the absolute slack.) Before the
    // decomposition scaled H, the squares of such entries underflowed to 0 and the QR iteration stalled
    // ("eigenvalue iteration did not converge"): rydberg_full with ω = 1e-300 ended its job in an error.
    for (const omega of [1e-300, 1e-320]) {
      for (const [l, tridiagonal] of [[0.5, true], [250, true], [1, false]] as const) {
        const s = spinOperators(l);
        // ω·Lx ⊗ Lz is not tridiagonal and takes the Householder reduction
        const H = tridiagonal ? linearCombination([{ matrix: s.lx, coefficient: omega }]) : linearCombination([{ matrix: kron(s.lx, s.lz), coefficient: omega }]);
        const psi = evolved(H, 1, basisVector(H.dim, 0), 'spectral');
        // to first order in ω (exact here): exp(−iωA)|0⟩ = |0⟩ − iω·A|0⟩, with Lx|m = l⟩ = √(2l)/2·|m = l − 1⟩ and
        // Lz|m = l⟩ = l·|m = l⟩, so the amplitude of m = l − 1 (on the first factor, for Lx ⊗ Lz) is −i·√(2l)/2·ω (·l)
        const expected = -(Math.sqrt(2 * l) / 2) * omega * (tridiagonal ? 1 : l);
        const index = tridiagonal ? 1 : s.dim;
        expect(psi.re[0], `l = ${l}, ω = ${omega}`).to.be.closeTo(1, 1e-15);
        expect(Math.abs(psi.im[index]! - expected), `l = ${l}, ω = ${omega}`).to.be.at.most(Math.abs(expected) * 1e-12 + 1e-321);
      }
    }
  });

  it('sizes Taylor steps from the shifted norm, linearly in θ', () => {
    const s = spinOperators(25);
    const one = planExpm(s.lx, 1, 'taylor');
    const ten = planExpm(s.lx, 10, 'taylor');
    expect(one.steps).to.be.within(6, 8); // ‖Lx‖₁ ≈ 25.5, at most 4 per step
    expect(ten.steps).to.be.within(9 * one.steps, 10 * one.steps + 1);
  });

  it('calls the checkpoint between Taylor steps and stops when it throws', () => {
    const s = spinOperators(25);
    let calls = 0;
    const psi = basisVector(s.dim, 0);
    applyExpm(s.lx, 10, psi, { method: 'taylor', checkpoint: () => void calls++ });
    expect(calls).to.equal(planExpm(s.lx, 10, 'taylor').steps);
    expect(() =>
      applyExpm(s.lx, 10, basisVector(s.dim, 0), {
        method: 'taylor',
        checkpoint: () => {
          throw new Error('cancelled');
        },
      }),
    ).to.throw('cancelled');
  });

  it('refuses a state of the wrong length and methods that do not apply', () => {
    const s = spinOperators(1);
    expect(() => applyExpm(s.lx, 1, basisVector(2, 0))).to.throw(RangeError, 'state of length 2');
    expect(() => applyExpm(s.lx, 1, basisVector(3, 0), { method: 'diagonal' })).to.throw(RangeError);
    expect(() => applyExpm(s.ly, 1, basisVector(3, 0), { method: 'spectral' })).to.throw(RangeError);
  });
});
