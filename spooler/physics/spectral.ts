// exp(−iθH)ψ for a small real symmetric H through its eigen-decomposition H = Z Λ Zᵀ. Used where θ‖H‖ is so
// large (sq_full with parameters near 5e6·π) that a Taylor series would need millions of steps. Z is never
// formed: the Householder reflectors and the Givens rotations of the QR iteration are kept and applied to ψ.
// The spectrum is computed to absolute accuracy ~ε‖H‖, so the phases θλ carry errors ~εθ‖H‖, as any method's.
import type { SparseMatrix } from './sparse.ts';
import { multiplyEntry } from './vector.ts';
import type { ComplexVector } from './vector.ts';

/** Beyond this dimension the dense O(n³) tridiagonal reduction is too slow to be worth it. */
export const MAX_SPECTRAL_DIM = 1024;

const EPS = 2 ** -52;

/**
 * Cost in the units of the Taylor estimate in expm.ts (calibrated on spin-250 Lx): the decomposition (~2n²
 * Givens rotations, plus the dense reduction when H is not tridiagonal), then per vector the rotations applied
 * four times (real and imaginary part, there and back).
 */
export function spectralWork(H: SparseMatrix, vectors = 1): number {
  const n = H.dim;
  const tridiagonal = H.bandwidth() <= 1;
  return (tridiagonal ? 0 : 2 * n ** 3) + 150 * n * n + vectors * (tridiagonal ? 30 : 34) * n * n;
}

/** H = Z Λ Zᵀ, with Z kept as its factors and applied to one real vector (a real or imaginary part) at a time. */
export interface SymmetricEigen {
  values: Float64Array;
  /** x ← Zᵀx */
  toEigenbasis(x: Float64Array): void;
  /** x ← Zx */
  fromEigenbasis(x: Float64Array): void;
}

export function symmetricEigen(H: SparseMatrix, checkpoint?: () => void): SymmetricEigen {
  if (!H.real) throw new RangeError('the spectral path needs a real symmetric matrix');
  if (H.dim > MAX_SPECTRAL_DIM) throw new RangeError(`the spectral path is limited to dimension ${MAX_SPECTRAL_DIM}`);
  const n = H.dim;
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  // The decomposition works on H/scale, entries of modulus ≤ 1: the squares the reflectors, rotations and shifts take
  // would otherwise vanish for tiny H (ω = 1e-300) and the iteration never converge. Scaling changes no vector.
  const scale = H.re.reduce((m, x) => Math.max(m, Math.abs(x)), 0) || 1;
  const reflectors = H.bandwidth() <= 1 ? readTridiagonal(H, scale, d, e) : householderTridiagonalise(H, scale, d, e, checkpoint);
  const rotations = diagonaliseTridiagonal(d, e, checkpoint);
  for (let k = 0; k < n; k++) d[k]! *= scale;
  return {
    values: d,
    // Z = Q·J₁⋯J_N with Q = P₀⋯P_{n−3}: Zᵀ applies P₀ first, then J₁ first; Z the transposes in reverse.
    toEigenbasis(x) {
      for (const { v, beta, offset } of reflectors) reflect(x, v, beta, offset);
      for (let r = 0; r < rotations.count; r++) {
        const k = rotations.index[r]!;
        const c = rotations.c[r]!;
        const s = rotations.s[r]!;
        const a = x[k]!;
        x[k] = c * a - s * x[k + 1]!;
        x[k + 1] = s * a + c * x[k + 1]!;
      }
    },
    fromEigenbasis(x) {
      for (let r = rotations.count - 1; r >= 0; r--) {
        const k = rotations.index[r]!;
        const c = rotations.c[r]!;
        const s = rotations.s[r]!;
        const a = x[k]!;
        x[k] = c * a + s * x[k + 1]!;
        x[k + 1] = c * x[k + 1]! - s * a;
      }
      for (let q = reflectors.length - 1; q >= 0; q--) reflect(x, reflectors[q]!.v, reflectors[q]!.beta, reflectors[q]!.offset);
    },
  };
}

/** ψ ← Z e^{−iθΛ} Zᵀ ψ */
export function applyEigenExpm(eigen: SymmetricEigen, theta: number, psi: ComplexVector): void {
  eigen.toEigenbasis(psi.re);
  eigen.toEigenbasis(psi.im);
  eigen.values.forEach((lambda, k) => multiplyEntry(psi, k, Math.cos(theta * lambda), -Math.sin(theta * lambda)));
  eigen.fromEigenbasis(psi.re);
  eigen.fromEigenbasis(psi.im);
}

interface Reflector {
  /** P = I − β v vᵀ acting on indices offset … offset + v.length − 1. */
  v: Float64Array;
  beta: number;
  offset: number;
}

function reflect(x: Float64Array, v: Float64Array, beta: number, offset: number): void {
  let dot = 0;
  for (let i = 0; i < v.length; i++) dot += v[i]! * x[offset + i]!;
  const f = beta * dot;
  for (let i = 0; i < v.length; i++) x[offset + i]! -= f * v[i]!;
}

/** The tridiagonal H/scale. */
function readTridiagonal(H: SparseMatrix, scale: number, d: Float64Array, e: Float64Array): Reflector[] {
  for (let i = 0; i < H.dim; i++) {
    d[i] = H.entry(i, i)[0] / scale;
    if (i + 1 < H.dim) e[i] = H.entry(i, i + 1)[0] / scale;
  }
  return [];
}

/** Dense Householder reduction H/scale = Q T Qᵀ; T's diagonal goes to d and its off-diagonal to e. */
function householderTridiagonalise(H: SparseMatrix, scale: number, d: Float64Array, e: Float64Array, checkpoint?: () => void): Reflector[] {
  const n = H.dim;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let p = H.rowPtr[i]!; p < H.rowPtr[i + 1]!; p++) a[i * n + H.colIdx[p]!] = H.re[p]! / scale;
  }
  const reflectors: Reflector[] = [];
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    checkpoint?.();
    const offset = k + 1;
    const m = n - offset;
    const v = new Float64Array(m);
    let squares = 0;
    for (let i = 0; i < m; i++) {
      v[i] = a[(offset + i) * n + k]!;
      squares += v[i]! * v[i]!;
    }
    const norm = Math.sqrt(squares);
    d[k] = a[k * n + k]!;
    // α = −sign(x₀)‖x‖ keeps v₀ = x₀ − α free of cancellation.
    const alpha = v[0]! >= 0 ? -norm : norm;
    e[k] = alpha;
    v[0]! -= alpha;
    const vv = v.reduce((sum, x) => sum + x * x, 0);
    if (vv === 0) continue;
    const beta = 2 / vv;
    // trailing block B ← P B P with p = βBv, w = p − (β pᵀv / 2) v, B ← B − v wᵀ − w vᵀ
    let pv = 0;
    for (let i = 0; i < m; i++) {
      let sum = 0;
      const row = (offset + i) * n + offset;
      for (let j = 0; j < m; j++) sum += a[row + j]! * v[j]!;
      w[i] = beta * sum;
      pv += w[i]! * v[i]!;
    }
    const half = (beta * pv) / 2;
    for (let i = 0; i < m; i++) w[i]! -= half * v[i]!;
    for (let i = 0; i < m; i++) {
      const row = (offset + i) * n + offset;
      for (let j = 0; j < m; j++) a[row + j]! -= v[i]! * w[j]! + w[i]! * v[j]!;
    }
    reflectors.push({ v, beta, offset });
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2]!;
    e[n - 2] = a[(n - 1) * n + n - 2]!;
  }
  if (n >= 1) d[n - 1] = a[n * n - 1]!;
  return reflectors;
}

interface RotationLog {
  count: number;
  index: Int32Array;
  c: Float64Array;
  s: Float64Array;
}

/**
 * Implicit symmetric QR with Wilkinson shifts (Golub & Van Loan §8.3) on the tridiagonal (d, e), leaving the
 * eigenvalues in d. Each rotation J on (k, k+1), J = [[c, s], [−s, c]], updates T ← JᵀTJ and is logged so that
 * the eigenvector matrix J₁⋯J_N can be applied to a vector later.
 */
function diagonaliseTridiagonal(d: Float64Array, e: Float64Array, checkpoint?: () => void): RotationLog {
  const n = d.length;
  let log: RotationLog = { count: 0, index: new Int32Array(4 * n + 16), c: new Float64Array(4 * n + 16), s: new Float64Array(4 * n + 16) };
  const record = (k: number, c: number, s: number): void => {
    if (log.count === log.index.length) log = growLog(log);
    log.index[log.count] = k;
    log.c[log.count] = c;
    log.s[log.count] = s;
    log.count++;
  };
  const scale = d.reduce((m, x) => Math.max(m, Math.abs(x)), 0) + 2 * e.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  // deflation relative to ‖T‖: the phases need absolute eigenvalue accuracy, which is what this gives
  const negligible = (i: number): boolean => Math.abs(e[i]!) <= EPS * scale;
  let sweeps = 0;
  for (let hi = n - 1; hi > 0; ) {
    if (negligible(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    if (++sweeps > 30 * n) throw new Error('eigenvalue iteration did not converge');
    checkpoint?.();
    let lo = hi - 1;
    while (lo > 0 && !negligible(lo - 1)) lo--;
    const delta = (d[hi - 1]! - d[hi]!) / 2;
    const b = e[hi - 1]!;
    const mu = d[hi]! - (b * b) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, b));
    let x = d[lo]! - mu;
    let z = e[lo]!;
    for (let k = lo; k < hi; k++) {
      const r = Math.sqrt(x * x + z * z);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : -z / r;
      if (k > lo) e[k - 1] = r;
      const dk = d[k]!;
      const dk1 = d[k + 1]!;
      const ek = e[k]!;
      d[k] = c * c * dk - 2 * c * s * ek + s * s * dk1;
      d[k + 1] = s * s * dk + 2 * c * s * ek + c * c * dk1;
      e[k] = c * s * (dk - dk1) + (c * c - s * s) * ek;
      if (k + 1 < hi) {
        z = -s * e[k + 1]!;
        e[k + 1] = c * e[k + 1]!;
        x = e[k]!;
      }
      record(k, c, s);
    }
  }
  return log;
}

function growLog(log: RotationLog): RotationLog {
  const size = 2 * log.index.length;
  const grown = { count: log.count, index: new Int32Array(size), c: new Float64Array(size), s: new Float64Array(size) };
  grown.index.set(log.index);
  grown.c.set(log.c);
  grown.s.set(log.s);
  return grown;
}
