// The textbook operators the reference Hamiltonians are built from, written from their definitions
// (reference/backends.md) rather than from the engine's code: spin matrices in the |l, m⟩ basis, Pauli
// matrices, Jordan–Wigner fermions as explicit Kronecker products, and products of one-wire factors on a register.
import { identity, kron, realMatrix, zeros } from './dense.ts';
import type { Dense } from './dense.ts';

export interface Spin {
  lx: Dense;
  ly: Dense;
  lz: Dense;
  lplus: Dense;
  lminus: Dense;
}

/** Spin l on the states m = l, l − 1, …, −l (index k holds m = l − k). */
export function spin(l: number): Spin {
  const n = Math.round(2 * l) + 1;
  const m = (k: number): number => l - k;
  // L+|m⟩ = √(l(l+1) − m(m+1)) |m+1⟩: row k−1 (m + 1), column k (m)
  const lplus = realMatrix(n, (row, col) => (row === col - 1 ? Math.sqrt(l * (l + 1) - m(col) * (m(col) + 1)) : 0));
  const lminus = realMatrix(n, (row, col) => (col === row - 1 ? Math.sqrt(l * (l + 1) - m(col) * (m(col) - 1)) : 0));
  const lx = realMatrix(n, (row, col) => (lplus.re[row * n + col]! + lminus.re[row * n + col]!) / 2);
  // Ly = (L+ − L−)/(2i): purely imaginary, −(L+ − L−)/2 times i
  const ly = zeros(n);
  for (let p = 0; p < n * n; p++) ly.im[p] = -(lplus.re[p]! - lminus.re[p]!) / 2;
  const lz = realMatrix(n, (row, col) => (row === col ? m(row) : 0));
  return { lx, ly, lz, lplus, lminus };
}

/** σx, σy, σz on |0⟩, |1⟩. */
export const pauli = {
  x: realMatrix(2, (row, col) => (row !== col ? 1 : 0)),
  y: ((): Dense => {
    const y = zeros(2);
    y.im[1] = -1;
    y.im[2] = 1;
    return y;
  })(),
  z: realMatrix(2, (row, col) => (row === col ? (row === 0 ? 1 : -1) : 0)),
};

/** The product of one-wire operators on their wires, identities elsewhere (wire 0 the most significant factor). */
export function onWires(dims: readonly number[], factors: ReadonlyMap<number, Dense>): Dense {
  return dims.reduce((product: Dense | undefined, d, w) => {
    const factor = factors.get(w) ?? identity(d);
    return product === undefined ? factor : kron(product, factor);
  }, undefined)!;
}

/**
 * Annihilation operator of mode j among M modes by Jordan–Wigner: σz on the modes before j (the parity string),
 * |0⟩⟨1| on j (occupied → empty), identity after. The sign convention does not reach any probability.
 */
export function annihilator(modes: number, j: number): Dense {
  const lower = realMatrix(2, (row, col) => (row === 0 && col === 1 ? 1 : 0));
  const factors = new Map<number, Dense>(Array.from({ length: j }, (_, k) => [k, pauli.z]));
  factors.set(j, lower);
  return onWires(new Array<number>(modes).fill(2), factors);
}
