// Spin operators for spin length l on the 2l+1 states m = l, l−1, …, −l (index 0 is m = +l), as sparse matrices.
import { SparseMatrix, linearCombination } from './sparse.ts';
import type { Triplet } from './sparse.ts';

export interface SpinOperators {
  /** Spin length l (a non-negative multiple of 1/2). */
  l: number;
  dim: number;
  lz: SparseMatrix;
  lplus: SparseMatrix;
  lminus: SparseMatrix;
  lx: SparseMatrix;
  ly: SparseMatrix;
  lz2: SparseMatrix;
}

export function spinOperators(l: number): SpinOperators {
  const twoL = 2 * l;
  if (!Number.isInteger(twoL) || twoL < 0) throw new RangeError(`spin length ${l} is not a non-negative multiple of 1/2`);
  const dim = twoL + 1;
  // L+ raises m by one, i.e. moves index i to i−1, with √(l(l+1) − m(m+1)) = √(i(2l − i + 1)) for m = l − i;
  // the integer form keeps the matrix elements exact for large l.
  const raising: Triplet[] = [];
  const lowering: Triplet[] = [];
  for (let i = 1; i < dim; i++) {
    const amplitude = Math.sqrt(i * (twoL - i + 1));
    raising.push({ row: i - 1, col: i, re: amplitude });
    lowering.push({ row: i, col: i - 1, re: amplitude });
  }
  const lplus = SparseMatrix.fromTriplets(dim, raising);
  const lminus = SparseMatrix.fromTriplets(dim, lowering);
  const zValues = Array.from({ length: dim }, (_, i) => l - i);
  return {
    l,
    dim,
    lz: SparseMatrix.diagonal(zValues),
    lplus,
    lminus,
    lx: linearCombination([
      { matrix: lplus, coefficient: 0.5 },
      { matrix: lminus, coefficient: 0.5 },
    ]),
    // Ly = (L+ − L−)/(2i) = −i/2·L+ + i/2·L−
    ly: linearCombination([
      { matrix: lplus, coefficient: [0, -0.5] },
      { matrix: lminus, coefficient: [0, 0.5] },
    ]),
    lz2: SparseMatrix.diagonal(zValues.map((v) => v * v)),
  };
}
