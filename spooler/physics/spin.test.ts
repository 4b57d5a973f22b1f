// Specification of the spin operators: the angular-momentum algebra and the index/sign conventions.
import { expect } from 'chai';
import { SparseMatrix, linearCombination, multiply } from './sparse.ts';
import { spinOperators } from './spin.ts';

function maxDifference(a: SparseMatrix, b: SparseMatrix): number {
  const diff = linearCombination([
    { matrix: a, coefficient: 1 },
    { matrix: b, coefficient: -1 },
  ]);
  return Math.max(0, ...Array.from(diff.re, Math.abs), ...Array.from(diff.im, Math.abs));
}

describe('spin operators', () => {
  for (const l of [0.5, 1, 1.5, 7, 12.5]) {
    it(`satisfy [Lx, Ly] = iLz and Lx² + Ly² + Lz² = l(l+1) for l = ${l}`, () => {
      const s = spinOperators(l);
      expect(s.dim).to.equal(2 * l + 1);
      const commutator = linearCombination([
        { matrix: multiply(s.lx, s.ly), coefficient: 1 },
        { matrix: multiply(s.ly, s.lx), coefficient: -1 },
      ]);
      expect(maxDifference(commutator, linearCombination([{ matrix: s.lz, coefficient: [0, 1] }]))).to.be.below(1e-12);
      const casimir = linearCombination([
        { matrix: multiply(s.lx, s.lx), coefficient: 1 },
        { matrix: multiply(s.ly, s.ly), coefficient: 1 },
        { matrix: s.lz2, coefficient: 1 },
      ]);
      const expected = SparseMatrix.diagonal(new Array<number>(s.dim).fill(l * (l + 1)));
      expect(maxDifference(casimir, expected)).to.be.below(1e-10 * l * l);
    });
  }

  it('put m = +l at index 0 and raise m with √(l(l+1) − m(m+1))', () => {
    const s = spinOperators(1);
    expect([0, 1, 2].map((i) => s.lz.entry(i, i)[0])).to.deep.equal([1, 0, -1]);
    // L+|m=0⟩ = √2 |m=1⟩, i.e. index 1 → index 0
    expect(s.lplus.entry(0, 1)[0]).to.be.closeTo(Math.SQRT2, 1e-15);
    expect(s.lminus.entry(1, 0)[0]).to.be.closeTo(Math.SQRT2, 1e-15);
    expect(s.lplus.entry(1, 0)).to.deep.equal([0, 0]);
    // Ly = (L+ − L−)/(2i): ⟨0|Ly|1⟩ = −i√2/2
    expect(s.ly.entry(0, 1)[1]).to.be.closeTo(-Math.SQRT1_2, 1e-15);
    expect(s.lz2.entry(2, 2)[0]).to.equal(1);
  });

  it('refuses spin lengths that are not multiples of 1/2', () => {
    expect(() => spinOperators(0.3)).to.throw(RangeError);
    expect(() => spinOperators(-1)).to.throw(RangeError);
  });
});
