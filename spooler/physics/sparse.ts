// Square complex sparse matrices in CSR form (separate real and imaginary value arrays) and the operations the
// simulators need on them: products with state vectors, linear combinations, products, adjoints, norm bounds.
// tensor.ts builds full-space operators from wire-local ones with the same row-by-row builder.
import { DEFAULT_MAX_NONZEROS, OperatorTooLarge } from './limits.ts';
import type { ComplexVector } from './vector.ts';

/** A real number or a complex one as [re, im]. */
export type Coefficient = number | readonly [re: number, im: number];

export interface Triplet {
  row: number;
  col: number;
  re: number;
  im?: number;
}

export class SparseMatrix {
  readonly dim: number;
  readonly rowPtr: Uint32Array;
  readonly colIdx: Uint32Array;
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** Every imaginary part is zero: products then skip half the arithmetic, and eigen-solvers may apply. */
  readonly real: boolean;

  constructor(dim: number, rowPtr: Uint32Array, colIdx: Uint32Array, re: Float64Array, im: Float64Array) {
    this.dim = dim;
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.re = re;
    this.im = im;
    this.real = im.every((v) => v === 0);
  }

  /** Duplicate (row, col) entries are summed; entries that end up exactly zero are not stored. */
  static fromTriplets(dim: number, triplets: Iterable<Triplet>): SparseMatrix {
    const byRow: Triplet[][] = Array.from({ length: dim }, () => []);
    for (const t of triplets) {
      if (!(t.row >= 0 && t.row < dim && t.col >= 0 && t.col < dim)) {
        throw new RangeError(`entry (${t.row}, ${t.col}) outside a ${dim}×${dim} matrix`);
      }
      byRow[t.row]!.push(t);
    }
    return buildRows(dim, (row, out) => {
      for (const t of byRow[row]!) out.add(t.col, t.re, t.im ?? 0);
    });
  }

  static diagonal(values: ArrayLike<number>): SparseMatrix {
    return buildRows(values.length, (row, out) => out.add(row, values[row]!, 0));
  }

  get nnz(): number {
    return this.colIdx.length;
  }

  /** y = A·x; y must not alias x. */
  matvec(x: ComplexVector, y: ComplexVector): void {
    if (this.real) realMatvec(this, x, y);
    else complexMatvec(this, x, y);
  }

  /** Largest |row − col| over the stored entries: 0 for diagonal, 1 for tridiagonal matrices. */
  bandwidth(): number {
    let width = 0;
    for (let i = 0; i < this.dim; i++) {
      for (let p = this.rowPtr[i]!; p < this.rowPtr[i + 1]!; p++) width = Math.max(width, Math.abs(this.colIdx[p]! - i));
    }
    return width;
  }

  entry(row: number, col: number): [re: number, im: number] {
    for (let p = this.rowPtr[row]!; p < this.rowPtr[row + 1]!; p++) {
      if (this.colIdx[p] === col) return [this.re[p]!, this.im[p]!];
    }
    return [0, 0];
  }

  /** ‖A − shift·I‖₁ (largest column sum of moduli). */
  norm1(shift = 0): number {
    const sums = new Float64Array(this.dim);
    for (let i = 0; i < this.dim; i++) {
      let diagonalSeen = false;
      for (let p = this.rowPtr[i]!; p < this.rowPtr[i + 1]!; p++) {
        const j = this.colIdx[p]!;
        const diagonal = j === i;
        diagonalSeen ||= diagonal;
        sums[j]! += modulus(this.re[p]! - (diagonal ? shift : 0), this.im[p]!);
      }
      if (!diagonalSeen) sums[i]! += Math.abs(shift);
    }
    return sums.reduce((a, b) => Math.max(a, b), 0);
  }

  /**
   * Gershgorin bounds [lo, hi] on the spectrum, valid for Hermitian matrices: the midpoint is the shift that
   * minimises ‖A − shift·I‖₁, which is then exactly (hi − lo)/2.
   */
  gershgorin(): { lo: number; hi: number } {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.dim; i++) {
      let centre = 0;
      let radius = 0;
      for (let p = this.rowPtr[i]!; p < this.rowPtr[i + 1]!; p++) {
        if (this.colIdx[p] === i) centre = this.re[p]!;
        else radius += modulus(this.re[p]!, this.im[p]!);
      }
      lo = Math.min(lo, centre - radius);
      hi = Math.max(hi, centre + radius);
    }
    return this.dim === 0 ? { lo: 0, hi: 0 } : { lo, hi };
  }
}

/** |re + i·im|; Math.hypot's overflow protection is not needed here and costs several times more. */
function modulus(re: number, im: number): number {
  return im === 0 ? Math.abs(re) : Math.sqrt(re * re + im * im);
}

// The two product loops are separate functions so that each stays monomorphic and branch-free for the JIT.
function realMatvec({ dim, rowPtr, colIdx, re }: SparseMatrix, x: ComplexVector, y: ComplexVector): void {
  const { re: xr, im: xi } = x;
  const { re: yr, im: yi } = y;
  for (let i = 0; i < dim; i++) {
    let sr = 0;
    let si = 0;
    const end = rowPtr[i + 1]!;
    for (let p = rowPtr[i]!; p < end; p++) {
      const j = colIdx[p]!;
      const a = re[p]!;
      sr += a * xr[j]!;
      si += a * xi[j]!;
    }
    yr[i] = sr;
    yi[i] = si;
  }
}

function complexMatvec({ dim, rowPtr, colIdx, re, im }: SparseMatrix, x: ComplexVector, y: ComplexVector): void {
  const { re: xr, im: xi } = x;
  const { re: yr, im: yi } = y;
  for (let i = 0; i < dim; i++) {
    let sr = 0;
    let si = 0;
    const end = rowPtr[i + 1]!;
    for (let p = rowPtr[i]!; p < end; p++) {
      const j = colIdx[p]!;
      sr += re[p]! * xr[j]! - im[p]! * xi[j]!;
      si += re[p]! * xi[j]! + im[p]! * xr[j]!;
    }
    yr[i] = sr;
    yi[i] = si;
  }
}

/** Σ coefficient·matrix over matrices of one dimension. */
export function linearCombination(terms: ReadonlyArray<{ matrix: SparseMatrix; coefficient: Coefficient }>): SparseMatrix {
  const dim = terms[0]?.matrix.dim ?? 0;
  if (terms.some(({ matrix }) => matrix.dim !== dim)) throw new RangeError('cannot combine matrices of different dimensions');
  const scaled = terms.map(({ matrix, coefficient }) => {
    const [cr, ci] = typeof coefficient === 'number' ? [coefficient, 0] : coefficient;
    return { matrix, cr, ci };
  });
  return buildRows(dim, (row, out) => {
    for (const { matrix, cr, ci } of scaled) {
      for (let p = matrix.rowPtr[row]!; p < matrix.rowPtr[row + 1]!; p++) {
        const [vr, vi] = [matrix.re[p]!, matrix.im[p]!];
        out.add(matrix.colIdx[p]!, cr * vr - ci * vi, cr * vi + ci * vr);
      }
    }
  });
}

export function multiply(a: SparseMatrix, b: SparseMatrix): SparseMatrix {
  return buildRows(a.dim, (row, out) => {
    for (let p = a.rowPtr[row]!; p < a.rowPtr[row + 1]!; p++) {
      const k = a.colIdx[p]!;
      const ar = a.re[p]!;
      const ai = a.im[p]!;
      for (let q = b.rowPtr[k]!; q < b.rowPtr[k + 1]!; q++) {
        out.add(b.colIdx[q]!, ar * b.re[q]! - ai * b.im[q]!, ar * b.im[q]! + ai * b.re[q]!);
      }
    }
  });
}

/** Conjugate transpose. */
export function adjoint(a: SparseMatrix): SparseMatrix {
  const triplets: Triplet[] = [];
  for (let i = 0; i < a.dim; i++) {
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) triplets.push({ row: a.colIdx[p]!, col: i, re: a.re[p]!, im: -a.im[p]! });
  }
  return SparseMatrix.fromTriplets(a.dim, triplets);
}

/** Collects one row's entries in any order, then sorts and merges them in place (rows are short). */
export class RowBuffer {
  cols = new Float64Array(16);
  re = new Float64Array(16);
  im = new Float64Array(16);
  length = 0;

  add(col: number, re: number, im: number): void {
    if (this.length === this.cols.length) {
      for (const key of ['cols', 're', 'im'] as const) {
        const grown = new Float64Array(2 * this.length);
        grown.set(this[key]);
        this[key] = grown;
      }
    }
    this.cols[this.length] = col;
    this.re[this.length] = re;
    this.im[this.length] = im;
    this.length++;
  }

  /** Sorts by column (insertion sort), sums duplicate columns and drops exact zeros; returns the new length. */
  sortMerge(): number {
    const { cols, re, im } = this;
    for (let k = 1; k < this.length; k++) {
      const [c, r, i] = [cols[k]!, re[k]!, im[k]!];
      let j = k - 1;
      for (; j >= 0 && cols[j]! > c; j--) {
        cols[j + 1] = cols[j]!;
        re[j + 1] = re[j]!;
        im[j + 1] = im[j]!;
      }
      cols[j + 1] = c;
      re[j + 1] = r;
      im[j + 1] = i;
    }
    let kept = 0;
    for (let k = 0; k < this.length; ) {
      let [r, i] = [re[k]!, im[k]!];
      let next = k + 1;
      for (; next < this.length && cols[next] === cols[k]; next++) {
        r += re[next]!;
        i += im[next]!;
      }
      if (r !== 0 || i !== 0) {
        cols[kept] = cols[k]!;
        re[kept] = r;
        im[kept] = i;
        kept++;
      }
      k = next;
    }
    return (this.length = kept);
  }
}

/** Refuses (OperatorTooLarge) more stored entries than the bound allows, or than CSR's 32-bit indices can hold. */
export function assertNonZeros(nnz: number, maxNonZeros = DEFAULT_MAX_NONZEROS): void {
  const limit = Math.min(maxNonZeros, 2 ** 32 - 1);
  if (nnz > limit) throw new OperatorTooLarge(nnz, limit);
}

/**
 * Builds a CSR matrix from a function that emits each row's entries. Two passes (count, then fill) keep the
 * peak memory at the final matrix, and let the bound be checked before anything large is allocated.
 */
export function buildRows(dim: number, emitRow: (row: number, out: RowBuffer) => void, maxNonZeros = DEFAULT_MAX_NONZEROS): SparseMatrix {
  const buffer = new RowBuffer();
  let nnz = 0;
  for (let row = 0; row < dim; row++) {
    buffer.length = 0;
    emitRow(row, buffer);
    nnz += buffer.sortMerge();
  }
  assertNonZeros(nnz, maxNonZeros);
  const rowPtr = new Uint32Array(dim + 1);
  const colIdx = new Uint32Array(nnz);
  const re = new Float64Array(nnz);
  const im = new Float64Array(nnz);
  let p = 0;
  for (let row = 0; row < dim; row++) {
    buffer.length = 0;
    emitRow(row, buffer);
    const count = buffer.sortMerge();
    colIdx.set(buffer.cols.subarray(0, count), p);
    re.set(buffer.re.subarray(0, count), p);
    im.set(buffer.im.subarray(0, count), p);
    p += count;
    rowPtr[row + 1] = p;
  }
  return new SparseMatrix(dim, rowPtr, colIdx, re, im);
}
