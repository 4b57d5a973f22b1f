// Operators on a tensor product of wires (wire 0 the most significant factor, dimensions free per wire): a local
// operator on one or a few wires is lifted into the full space row by row, never through a dense matrix, and a
// one-wire evolution is applied through its small local unitary.
import { applyExpm, prepareExpm } from './expm.ts';
import type { ExpmOptions } from './expm.ts';
import { DEFAULT_MAX_NONZEROS, hilbertDimension } from './limits.ts';
import { liftedNonZeros, type LiftedTerm } from './lifted-nonzeros.ts';
import { assertNonZeros, buildRows } from './sparse.ts';
import type { Coefficient, SparseMatrix } from './sparse.ts';
import { basisVector } from './vector.ts';
import type { ComplexVector } from './vector.ts';

export interface LocalTerm {
  /** The wires the operator acts on; the first listed wire is the most significant factor of `operator`. */
  wires: readonly number[];
  operator: SparseMatrix;
  coefficient?: Coefficient;
}

/**
 * Σ coefficient·(operator on its wires ⊗ identity elsewhere) on the space with the given per-wire dimensions
 * (wire 0 most significant). Rows are generated one at a time from the local operators' rows, counted first
 * so that the non-zero bound is checked before the full-space arrays are allocated. A sum that may exceed the
 * bound is first counted from the terms' structure, which refuses it without generating its rows.
 */
export function liftedSum(
  dims: readonly number[],
  terms: readonly LocalTerm[],
  maxNonZeros: number = DEFAULT_MAX_NONZEROS,
): SparseMatrix {
  const strides = dims.map((_, w) => hilbertDimension(dims.slice(w + 1)));
  const prepared = terms
    .filter(({ coefficient = 1 }) => coefficient !== 0 && (typeof coefficient === 'number' || coefficient[0] !== 0 || coefficient[1] !== 0))
    .map((term) => prepareTerm(term, dims, strides));
  const dim = hilbertDimension(dims);
  // merging duplicates only lowers the count: a sum whose unmerged entries fit the bound is never refused
  const unmerged = prepared.reduce((sum, { rowPtr, colIdx }) => sum + colIdx.length * (dim / (rowPtr.length - 1)), 0);
  if (unmerged > maxNonZeros) {
    const counted = liftedNonZeros(dims, strides, prepared);
    if (counted !== undefined) assertNonZeros(counted, maxNonZeros);
  }
  const digits = new Array<number>(dims.length).fill(0);
  return buildRows(
    dim,
    (row, out) => {
      if (row === 0) digits.fill(0);
      else advanceDigits(digits, dims);
      for (let t = 0; t < prepared.length; t++) {
        const { wires, localStrides, offsets, rowPtr, colIdx, re, im } = prepared[t]!;
        let localRow = 0;
        for (let k = 0; k < wires.length; k++) localRow += digits[wires[k]!]! * localStrides[k]!;
        // the row with this term's wires reset to 0, plus the offset of each local column
        const base = row - offsets[localRow]!;
        for (let p = rowPtr[localRow]!; p < rowPtr[localRow + 1]!; p++) out.add(base + offsets[colIdx[p]!]!, re[p]!, im[p]!);
      }
    },
    maxNonZeros,
  );
}

/** A term checked against the space, with its values scaled and each local basis state's full-space offset. */
function prepareTerm({ wires, operator, coefficient = 1 }: LocalTerm, dims: readonly number[], strides: readonly number[]): LiftedTerm {
  const localDims = wires.map((w) => dims[w] ?? NaN);
  if (new Set(wires).size !== wires.length || localDims.some((d) => Number.isNaN(d))) {
    throw new RangeError(`wires [${wires.join(', ')}] are not distinct wires of a ${dims.length}-wire space`);
  }
  if (operator.dim !== hilbertDimension(localDims)) {
    throw new RangeError(`a ${operator.dim}-dimensional operator cannot act on wires [${wires.join(', ')}]`);
  }
  const localStrides = localDims.map((_, k) => hilbertDimension(localDims.slice(k + 1)));
  const offsets = new Float64Array(operator.dim);
  for (let local = 0; local < operator.dim; local++) {
    for (let k = 0; k < wires.length; k++) offsets[local]! += (Math.floor(local / localStrides[k]!) % localDims[k]!) * strides[wires[k]!]!;
  }
  const [cr, ci] = typeof coefficient === 'number' ? [coefficient, 0] : coefficient;
  return {
    wires,
    localStrides,
    offsets,
    rowPtr: operator.rowPtr,
    colIdx: operator.colIdx,
    re: operator.re.map((vr, p) => cr * vr - ci * operator.im[p]!),
    im: operator.im.map((vi, p) => cr * vi + ci * operator.re[p]!),
  };
}

export function lift(dims: readonly number[], wires: readonly number[], operator: SparseMatrix, maxNonZeros?: number): SparseMatrix {
  return liftedSum(dims, [{ wires, operator }], maxNonZeros);
}

/** a ⊗ b, with a the more significant factor. */
export function kron(a: SparseMatrix, b: SparseMatrix): SparseMatrix {
  return buildRows(a.dim * b.dim, (row, out) => {
    const i = Math.floor(row / b.dim);
    const k = row % b.dim;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      for (let q = b.rowPtr[k]!; q < b.rowPtr[k + 1]!; q++) {
        const [ar, ai, br, bi] = [a.re[p]!, a.im[p]!, b.re[q]!, b.im[q]!];
        out.add(a.colIdx[p]! * b.dim + b.colIdx[q]!, ar * br - ai * bi, ar * bi + ai * br);
      }
    }
  });
}

function advanceDigits(digits: number[], dims: readonly number[]): void {
  for (let w = dims.length - 1; w >= 0; w--) {
    if (++digits[w]! < dims[w]!) return;
    digits[w] = 0;
  }
}

/**
 * ψ ← (I ⊗ exp(−iθA) ⊗ I)ψ for A acting on one wire. The local unitary is computed on the wire's own space and
 * applied along the wire's stride, costing dim·d instead of the θ‖A‖-many full-space products that
 * exponentiating the lifted operator would take (rlx(2π) on one of two 500-atom wires: ~3 s instead of ~26 s).
 */
export function applyLocalExpm(dims: readonly number[], wire: number, A: SparseMatrix, theta: number, psi: ComplexVector, options: ExpmOptions = {}): void {
  const d = dims[wire];
  if (d === undefined || A.dim !== d) throw new RangeError(`a ${A.dim}-dimensional operator cannot act on wire ${wire}`);
  const dim = hilbertDimension(dims);
  if (psi.re.length !== dim) throw new RangeError(`state of length ${psi.re.length} for a ${dim}-dimensional space`);
  // exp(0) is the identity; the whole-space exponential only serves when the wire is the whole space (it checks
  // the operator against the state, so a zero angle must not reach it on a larger register)
  if (theta === 0) return;
  if (d === dim) return applyExpm(A, theta, psi, options);
  const stride = hilbertDimension(dims.slice(wire + 1));
  // U's columns U·e_j, stored row-major
  const evolve = prepareExpm(A, theta, { ...options, vectors: d });
  const u = { re: new Float64Array(d * d), im: new Float64Array(d * d) };
  for (let j = 0; j < d; j++) {
    const column = basisVector(d, j);
    evolve(column);
    for (let i = 0; i < d; i++) {
      u.re[i * d + j] = column.re[i]!;
      u.im[i * d + j] = column.im[i]!;
    }
  }
  const diagonal = A.bandwidth() === 0;
  const g = { re: new Float64Array(d), im: new Float64Array(d) };
  for (let block = 0; block < dim; block += d * stride) {
    options.checkpoint?.();
    for (let s = 0; s < stride; s++) {
      const base = block + s;
      for (let k = 0; k < d; k++) {
        g.re[k] = psi.re[base + k * stride]!;
        g.im[k] = psi.im[base + k * stride]!;
      }
      for (let i = 0; i < d; i++) {
        // a diagonal A gives a diagonal U: only the j = i term survives
        const to = diagonal ? i + 1 : d;
        let sr = 0;
        let si = 0;
        for (let j = diagonal ? i : 0; j < to; j++) {
          const ur = u.re[i * d + j]!;
          const ui = u.im[i * d + j]!;
          sr += ur * g.re[j]! - ui * g.im[j]!;
          si += ur * g.im[j]! + ui * g.re[j]!;
        }
        psi.re[base + i * stride] = sr;
        psi.im[base + i * stride] = si;
      }
    }
  }
}
