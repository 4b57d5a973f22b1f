// Specification of the CSR matrix: construction from triplets, products with vectors and matrices, linear
// combinations, adjoints, norm and spectrum bounds.
import { expect } from 'chai';
import { SparseMatrix, adjoint, linearCombination, multiply } from './sparse.ts';
import { dense, fromDense } from './test-matrices.ts';
import { zeroVector } from './vector.ts';

describe('SparseMatrix', () => {
  it('sums duplicate triplets and drops entries that cancel', () => {
    const m = SparseMatrix.fromTriplets(2, [
      { row: 0, col: 1, re: 1, im: 2 },
      { row: 0, col: 1, re: 0.5, im: -1 },
      { row: 1, col: 1, re: 3 },
      { row: 1, col: 1, re: -3 },
      { row: 1, col: 0, re: 4 },
    ]);
    expect(m.nnz).to.equal(2);
    expect(dense(m)).to.deep.equal([
      [[0, 0], [1.5, 1]],
      [[4, 0], [0, 0]],
    ]);
    expect(m.real).to.equal(false);
  });

  it('rejects entries outside the matrix', () => {
    expect(() => SparseMatrix.fromTriplets(2, [{ row: 2, col: 0, re: 1 }])).to.throw(RangeError, 'outside a 2×2 matrix');
  });

  it('multiplies complex vectors into a preallocated buffer', () => {
    // [[1, i], [2, 3 − i]] · [1 + i, 2] = [1 + 3i, 8]
    const m = SparseMatrix.fromTriplets(2, [
      { row: 0, col: 0, re: 1 },
      { row: 0, col: 1, re: 0, im: 1 },
      { row: 1, col: 0, re: 2 },
      { row: 1, col: 1, re: 3, im: -1 },
    ]);
    const x = { re: Float64Array.from([1, 2]), im: Float64Array.from([1, 0]) };
    const y = zeroVector(2);
    m.matvec(x, y);
    expect([...y.re, ...y.im]).to.deep.equal([1, 8, 3, 0]);
  });

  it('forms linear combinations with complex coefficients', () => {
    const a = fromDense([[1, 2], [0, 1]]);
    const b = fromDense([[0, 1], [1, 0]]);
    const c = linearCombination([
      { matrix: a, coefficient: 2 },
      { matrix: b, coefficient: [0, -1] },
    ]);
    expect(dense(c)).to.deep.equal([
      [[2, 0], [4, -1]],
      [[0, -1], [2, 0]],
    ]);
  });

  it('bounds the 1-norm of A − shift·I and the spectrum by Gershgorin discs', () => {
    const m = fromDense([[5, -1, 0], [-1, 3, 2], [0, 2, -4]]);
    expect(m.norm1()).to.equal(6);
    expect(m.norm1(1)).to.equal(7);
    expect(m.gershgorin()).to.deep.equal({ lo: -6, hi: 6 });
    expect(SparseMatrix.diagonal([1, 2]).norm1(3)).to.equal(2);
  });

  it('multiplies and takes adjoints', () => {
    const a = fromDense([[1, 2], [3, 4]]);
    const b = fromDense([[0, 1], [1, 0]]);
    expect(dense(multiply(a, b)).map((r) => r.map(([re]) => re))).to.deep.equal([[2, 1], [4, 3]]);
    const c = SparseMatrix.fromTriplets(2, [{ row: 0, col: 1, re: 1, im: 2 }]);
    expect(adjoint(c).entry(1, 0)).to.deep.equal([1, -2]);
  });

});
