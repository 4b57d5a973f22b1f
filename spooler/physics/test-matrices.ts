// Small dense matrices for the tests: building sparse ones from rows and reading them back for comparison.
import { SparseMatrix } from './sparse.ts';

/** Dense complex view [re, im] of a small matrix, for comparisons. */
export function dense(m: SparseMatrix): Array<Array<[number, number]>> {
  return Array.from({ length: m.dim }, (_, i) => Array.from({ length: m.dim }, (_, j) => m.entry(i, j)));
}

export function denseKron(a: number[][], b: number[][]): number[][] {
  return a.flatMap((ar) => b.map((br) => ar.flatMap((x) => br.map((y) => x * y))));
}

export function fromDense(rows: number[][]): SparseMatrix {
  return SparseMatrix.fromTriplets(
    rows.length,
    rows.flatMap((r, i) => r.map((re, j) => ({ row: i, col: j, re }))),
  );
}

export const identity = (n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

