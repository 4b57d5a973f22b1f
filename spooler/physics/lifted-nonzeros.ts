// The exact non-zero count of a lifted sum (tensor.ts) from its terms' structure, so that an oversized
// Hamiltonian is refused without generating all of its rows first: at the default bounds the counting pass of
// the row builder takes seconds (multiqudit_full on five 20-atom wires: ~73 million entries), this takes a pass
// over the diagonal.
import { hilbertDimension } from './limits.ts';

/** A local operator scaled by its coefficient, with each local basis state's offset in the full space. */
export interface LiftedTerm {
  wires: readonly number[];
  /** Strides of the term's wires within its own (local) space. */
  localStrides: readonly number[];
  /** Full-space index of each local basis state, the other wires' digits being 0. */
  offsets: Float64Array;
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  re: Float64Array;
  im: Float64Array;
}

/**
 * The number of entries the row builder would store for Σ terms on the space `dims` (wire strides `strides`), or
 * undefined when structure alone cannot tell: when off-diagonal entries of two terms may land on the same place
 * (and could cancel), or a scaled entry is zero. Off-diagonal entries are then counted per term; diagonal entries
 * are summed in term order, the order the row builder adds them in, so that the same sums come out exactly zero.
 */
export function liftedNonZeros(dims: readonly number[], strides: readonly number[], terms: readonly LiftedTerm[]): number | undefined {
  const dim = hilbertDimension(dims);
  const termOfChange = new Map<string, number>();
  let offDiagonal = 0;
  for (let t = 0; t < terms.length; t++) {
    const { wires, localStrides, rowPtr, colIdx, re, im } = terms[t]!;
    const localDim = rowPtr.length - 1;
    for (let i = 0; i < localDim; i++) {
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
        const j = colIdx[p]!;
        if (j === i) continue;
        if (re[p] === 0 && im[p] === 0) return undefined;
        // the wires' digit changes place the entry relative to its row; only another term can repeat them
        const change = wires
          .map((w, k) => [w, digit(j, localStrides, dims, wires, k) - digit(i, localStrides, dims, wires, k)])
          .filter(([, delta]) => delta !== 0)
          .sort(([a], [b]) => a! - b!)
          .join(';');
        if ((termOfChange.get(change) ?? t) !== t) return undefined;
        termOfChange.set(change, t);
        offDiagonal += dim / localDim;
      }
    }
  }
  return offDiagonal + nonZeroDiagonal(dim, strides, dims, terms);
}

/** Digit of local basis state `local` on the term's k-th wire. */
function digit(local: number, localStrides: readonly number[], dims: readonly number[], wires: readonly number[], k: number): number {
  return Math.floor(local / localStrides[k]!) % dims[wires[k]!]!;
}

function nonZeroDiagonal(dim: number, strides: readonly number[], dims: readonly number[], terms: readonly LiftedTerm[]): number {
  const diagonals = terms.flatMap(({ wires, localStrides, rowPtr, colIdx, re, im }) => {
    const localDim = rowPtr.length - 1;
    const [dr, di] = [new Float64Array(localDim), new Float64Array(localDim)];
    let any = false;
    for (let i = 0; i < localDim; i++) {
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
        if (colIdx[p] !== i) continue;
        [dr[i], di[i]] = [re[p]!, im[p]!];
        any = true;
      }
    }
    return any ? [{ wires, localStrides, dr, di }] : [];
  });
  if (diagonals.length === 0) return 0;
  let count = 0;
  for (let row = 0; row < dim; row++) {
    let sr = 0;
    let si = 0;
    for (const { wires, localStrides, dr, di } of diagonals) {
      let local = 0;
      for (let k = 0; k < wires.length; k++) local += (Math.floor(row / strides[wires[k]!]!) % dims[wires[k]!]!) * localStrides[k]!;
      sr += dr[local]!;
      si += di[local]!;
    }
    if (sr !== 0 || si !== 0) count++;
  }
  return count;
}
