// Specification of operators on a tensor product of wires: lifting local operators and local evolutions must
// agree with explicit Kronecker products with identities.
import { expect } from 'chai';
import { applyExpm } from './expm.ts';
import { OperatorTooLarge } from './limits.ts';
import { spinOperators } from './spin.ts';
import { applyLocalExpm, kron, lift, liftedSum } from './tensor.ts';
import { dense, denseKron, fromDense, identity } from './test-matrices.ts';
import { zeroVector } from './vector.ts';
import type { ComplexVector } from './vector.ts';

describe('lifting local operators', () => {
  it('takes Kronecker products with the first factor most significant', () => {
    const a = [[1, 2], [3, 4]];
    const b = [[0, 1], [1, 0]];
    expect(dense(kron(fromDense(a), fromDense(b))).map((r) => r.map(([re]) => re))).to.deep.equal(denseKron(a, b));
  });

  it('lifts one- and two-wire operators (wires not adjacent, dimensions differing) like explicit Kronecker products', () => {
    const dims = [2, 3, 2];
    const x3 = [[0, 1, 0], [1, 0, 2], [0, 2, 0]];
    const lifted = lift(dims, [1], fromDense(x3));
    expect(dense(lifted).map((r) => r.map(([re]) => re))).to.deep.equal(denseKron(denseKron(identity(2), x3), identity(2)));
    // a two-wire operator A⊗B on wires [2, 0]: wire 2 carries A, wire 0 carries B
    const a = [[0, 1], [2, 0]];
    const b = [[1, 0], [0, 3]];
    const onWires20 = lift(dims, [2, 0], kron(fromDense(a), fromDense(b)));
    expect(dense(onWires20).map((r) => r.map(([re]) => re))).to.deep.equal(denseKron(denseKron(b, identity(3)), a));
  });

  it('sums lifted terms with coefficients, skipping zero coefficients', () => {
    const z2 = fromDense([[1, 0], [0, -1]]);
    const sum = liftedSum([2, 2], [
      { wires: [0], operator: z2, coefficient: 2 },
      { wires: [1], operator: z2, coefficient: [0, 1] },
      { wires: [0, 1], operator: kron(z2, z2), coefficient: 0 },
    ]);
    expect(sum.bandwidth()).to.equal(0);
    expect([0, 1, 2, 3].map((i) => sum.entry(i, i))).to.deep.equal([[2, 1], [2, -1], [-2, 1], [-2, -1]]);
  });

  it('refuses wires that do not fit the operator', () => {
    const z2 = fromDense([[1, 0], [0, -1]]);
    expect(() => lift([2, 3], [1], z2)).to.throw(RangeError, 'cannot act on wires [1]');
    expect(() => lift([2, 2], [0, 0], kron(z2, z2))).to.throw(RangeError, 'not distinct wires');
    expect(() => lift([2, 2], [2], z2)).to.throw(RangeError, 'not distinct wires');
  });

  it('counts non-zeros and refuses a Hamiltonian above the bound before allocating it', () => {
    const x = fromDense([[0, 1], [1, 0]]);
    const terms = [0, 1, 2, 3].map((w) => ({ wires: [w], operator: x }));
    expect(liftedSum([2, 2, 2, 2], terms).nnz).to.equal(64);
    expect(() => liftedSum([2, 2, 2, 2], terms, 63)).to.throw(OperatorTooLarge, 'Hamiltonian with 64 non-zero entries exceeds the limit of 63');
  });

  it('refuses with the count the row builder stores, diagonal sums that cancel to zero left out', () => {
    // on wire 0 (l = 1) Lz + Lz² is 2, 0, 0 down the diagonal; Lx on wire 1 only adds off-diagonal entries
    const [one, half] = [spinOperators(1), spinOperators(1 / 2)];
    const terms = [
      { wires: [0], operator: one.lz },
      { wires: [0], operator: one.lz2 },
      { wires: [1], operator: half.lx, coefficient: [0, 2] as const },
    ];
    const built = liftedSum([3, 2], terms).nnz;
    expect(built).to.equal(2 + 6);
    expect(() => liftedSum([3, 2], terms, built - 1)).to.throw(OperatorTooLarge).with.property('nonZeros', built);
  });
});

describe('applyLocalExpm', () => {
  const dims = [3, 4, 2];
  const start = (): ComplexVector => {
    // a spread-out state so that every block of every wire is exercised
    const v = zeroVector(24);
    for (let i = 0; i < 24; i++) {
      v.re[i] = Math.cos(1.3 * i) / 3.5;
      v.im[i] = Math.sin(0.7 * i) / 3.5;
    }
    return v;
  };

  for (const wire of [0, 1, 2]) {
    it(`equals exponentiating the lifted operator on wire ${wire} (real, complex and diagonal local operators)`, () => {
      const s = spinOperators((dims[wire]! - 1) / 2);
      for (const operator of [s.lx, s.ly, s.lz2]) {
        const local = start();
        applyLocalExpm(dims, wire, operator, 2.3, local);
        const lifted = start();
        applyExpm(lift(dims, [wire], operator), 2.3, lifted);
        for (let i = 0; i < 24; i++) {
          expect(Math.hypot(local.re[i]! - lifted.re[i]!, local.im[i]! - lifted.im[i]!)).to.be.below(1e-13);
        }
      }
    });
  }

  it('leaves the state alone at angle 0 on every wire of a larger space (rlx(0) on one of five atoms)', () => {
    for (const wire of [0, 1, 2]) {
      const s = spinOperators((dims[wire]! - 1) / 2);
      const state = start();
      applyLocalExpm(dims, wire, s.lx, 0, state);
      expect([...state.re, ...state.im]).to.deep.equal([...start().re, ...start().im]);
    }
  });

  it('refuses an operator of the wrong size', () => {
    expect(() => applyLocalExpm(dims, 1, spinOperators(1).lx, 1, start())).to.throw(RangeError, 'cannot act on wire 1');
  });
});
