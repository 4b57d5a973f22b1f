// Jordan–Wigner fermionic operators on M modes. Basis index bit (M−1−j) holds the occupation of mode j, so
// mode 0 is the most significant bit, matching the wire order of the other simulators.
import { SparseMatrix } from './sparse.ts';

// Sign convention: a_j† |n⟩ = (−1)^(n_0 + … + n_{j−1}) |n + e_j⟩, the string running over lower-numbered modes.

export function creation(modes: number, j: number): SparseMatrix {
  return ladder(modes, j, true);
}

export function annihilation(modes: number, j: number): SparseMatrix {
  return ladder(modes, j, false);
}

export function number(modes: number, j: number): SparseMatrix {
  const bit = modeBit(modes, j);
  return SparseMatrix.diagonal(Array.from({ length: 2 ** modes }, (_, n) => (n & bit ? 1 : 0)));
}

/** a†_j or a_j: at most one entry per row, so the CSR arrays are written directly. */
function ladder(modes: number, j: number, create: boolean): SparseMatrix {
  const bit = modeBit(modes, j);
  const dim = 2 ** modes;
  const rowPtr = new Uint32Array(dim + 1);
  const cols: number[] = [];
  const signs: number[] = [];
  for (let row = 0; row < dim; row++) {
    // a† lands on states with mode j filled, a on states with it empty; the other state differs in that bit only
    if (((row & bit) !== 0) === create) {
      cols.push(row ^ bit);
      signs.push(popcount(row >>> (modes - j)) % 2 === 0 ? 1 : -1);
    }
    rowPtr[row + 1] = cols.length;
  }
  return new SparseMatrix(dim, rowPtr, Uint32Array.from(cols), Float64Array.from(signs), new Float64Array(cols.length));
}

function modeBit(modes: number, j: number): number {
  if (!(Number.isInteger(modes) && modes >= 1 && modes <= 30)) throw new RangeError(`${modes} modes: 1 to 30 are supported`);
  if (!(Number.isInteger(j) && j >= 0 && j < modes)) throw new RangeError(`mode ${j} outside 0…${modes - 1}`);
  return 1 << (modes - 1 - j);
}

function popcount(x: number): number {
  let count = 0;
  for (let v = x; v !== 0; v &= v - 1) count++;
  return count;
}
