// Specification of the Jordan–Wigner operators: canonical anticommutation relations, bit order and signs.
import { expect } from 'chai';
import { annihilation, creation, number } from './fermions.ts';
import { SparseMatrix, linearCombination, multiply } from './sparse.ts';

const MODES = 4;

function anticommutator(a: SparseMatrix, b: SparseMatrix): SparseMatrix {
  return linearCombination([
    { matrix: multiply(a, b), coefficient: 1 },
    { matrix: multiply(b, a), coefficient: 1 },
  ]);
}

function isIdentityTimes(m: SparseMatrix, factor: number): boolean {
  if (factor === 0) return m.nnz === 0;
  return m.nnz === m.dim && Array.from({ length: m.dim }, (_, i) => m.entry(i, i)).every(([re, im]) => re === factor && im === 0);
}

describe('Jordan–Wigner fermions', () => {
  it('obey {a_i, a_j†} = δ_ij and {a_i, a_j} = 0 for every pair of modes', () => {
    for (let i = 0; i < MODES; i++) {
      for (let j = 0; j < MODES; j++) {
        expect(isIdentityTimes(anticommutator(annihilation(MODES, i), creation(MODES, j)), i === j ? 1 : 0), `{a_${i}, a_${j}†}`).to.equal(true);
        expect(isIdentityTimes(anticommutator(annihilation(MODES, i), annihilation(MODES, j)), 0), `{a_${i}, a_${j}}`).to.equal(true);
      }
    }
  });

  it('put mode 0 in the most significant bit and give a† the sign of the occupied lower modes', () => {
    // |1000⟩ is index 8; a_2† on |1000⟩ passes one occupied mode (0): −|1010⟩ (index 10)
    expect(creation(MODES, 0).entry(8, 0)).to.deep.equal([1, 0]);
    expect(creation(MODES, 2).entry(10, 8)).to.deep.equal([-1, 0]);
    // a_0† never picks up a sign; creating in an occupied mode gives nothing
    expect(creation(MODES, 0).entry(8 + 2, 2)).to.deep.equal([1, 0]);
    expect(creation(MODES, 2).entry(2, 2)).to.deep.equal([0, 0]);
  });

  it('has number operators n_j = a_j† a_j, diagonal with the occupation of mode j', () => {
    for (let j = 0; j < MODES; j++) {
      const n = number(MODES, j);
      const product = multiply(creation(MODES, j), annihilation(MODES, j));
      for (let s = 0; s < 2 ** MODES; s++) {
        const occupied = (s >> (MODES - 1 - j)) & 1;
        expect(n.entry(s, s)[0]).to.equal(occupied);
        expect(product.entry(s, s)[0]).to.equal(occupied);
      }
      expect(product.nnz).to.equal(n.nnz);
    }
  });
});
