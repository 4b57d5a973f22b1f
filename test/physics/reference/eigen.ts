// exp(−iθH)ψ for a dense Hermitian H by the cyclic Jacobi eigenvalue method: H = A + iB is embedded as the real
// symmetric M = [[A, −B], [B, A]] acting on (Re ψ, Im ψ), M = QΛQᵀ, and since every real function of M is the
// embedding of the same function of H, exp(−iθH) = cos(θH) − i·sin(θH) becomes Q cos(θΛ) Qᵀ and Q sin(θΛ) Qᵀ,
// with the multiplication by i acting as (x, y) ↦ (−y, x). Slow and simple on purpose: the engine uses sparse
// Taylor series and a tridiagonal eigen-solver, so agreement between the two is evidence, not a tautology.
import type { Dense, Vector } from './dense.ts';

export interface Eigen {
  size: number;
  values: Float64Array;
  /** Eigenvectors as columns, row-major: vectors[row·size + k] is component `row` of eigenvector k. */
  vectors: Float64Array;
}

const MAX_SWEEPS = 60;

/** Eigenvalues and orthonormal eigenvectors of a real symmetric matrix (row-major, size×size, not modified). */
export function jacobiEigen(symmetric: Float64Array, size: number): Eigen {
  const a = Float64Array.from(symmetric);
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) v[i * size + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let offSum = 0;
    let scale = 0;
    for (let i = 0; i < size; i++) {
      scale += a[i * size + i]! ** 2;
      for (let j = i + 1; j < size; j++) {
        off += a[i * size + j]! ** 2;
        offSum += Math.abs(a[i * size + j]!);
      }
    }
    // converged once the off-diagonal part is at rounding level (1e-15 of the Frobenius norm)
    if (off <= 1e-30 * (scale + off)) return { size, values: diagonal(a, size), vectors: v };
    // the first sweeps leave small elements for later (they shrink anyway as the large ones are rotated away)
    const threshold = sweep < 3 ? (0.2 * offSum) / (size * size) : 0;
    for (let p = 0; p < size - 1; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q]!;
        if (Math.abs(apq) <= threshold) continue;
        // the rotation that zeroes a[p][q] (Rutishauser's stable form: t is the smaller root of t² + 2τt − 1 = 0)
        const tau = (a[q * size + q]! - a[p * size + p]!) / (2 * apq);
        rotate(a, v, size, p, q, (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau)));
      }
    }
  }
  throw new Error(`Jacobi did not converge in ${MAX_SWEEPS} sweeps`);
}

/**
 * A ← JᵀAJ and V ← VJ for the Givens rotation J in the (p, q) plane with tan = t, which zeroes a[p][q]: rows p
 * and q change and, A staying symmetric, columns p and q mirror them.
 */
function rotate(a: Float64Array, v: Float64Array, size: number, p: number, q: number, t: number): void {
  const c = 1 / Math.sqrt(1 + t * t);
  const s = t * c;
  const apq = a[p * size + q]!;
  for (let k = 0; k < size; k++) {
    if (k === p || k === q) continue;
    const [apk, aqk] = [a[p * size + k]!, a[q * size + k]!];
    a[p * size + k] = a[k * size + p] = c * apk - s * aqk;
    a[q * size + k] = a[k * size + q] = s * apk + c * aqk;
  }
  a[p * size + p]! -= t * apq;
  a[q * size + q]! += t * apq;
  a[p * size + q] = a[q * size + p] = 0;
  for (let k = 0; k < size; k++) {
    const [vkp, vkq] = [v[k * size + p]!, v[k * size + q]!];
    v[k * size + p] = c * vkp - s * vkq;
    v[k * size + q] = s * vkp + c * vkq;
  }
}

function diagonal(a: Float64Array, size: number): Float64Array {
  return Float64Array.from({ length: size }, (_, i) => a[i * size + i]!);
}

/** The real symmetric embedding [[A, −B], [B, A]] of H = A + iB, or A alone when B = 0 (see `decompose`). */
function embed(h: Dense, real: boolean): Float64Array {
  const { n } = h;
  const size = real ? n : 2 * n;
  const m = new Float64Array(size * size);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [re, im] = [h.re[i * n + j]!, h.im[i * n + j]!];
      m[i * size + j] = re;
      if (real) continue;
      m[(i + n) * size + (j + n)] = re;
      m[i * size + (j + n)] = -im;
      m[(i + n) * size + j] = im;
    }
  }
  return m;
}

export interface Decomposition {
  n: number;
  /**
   * For real H the embedding is two copies of A: A's decomposition is then applied to (Re ψ) and (Im ψ) alike,
   * which is the same formula at an eighth of the work.
   */
  real: boolean;
  eigen: Eigen;
}

export function decompose(h: Dense): Decomposition {
  const real = h.im.every((v) => v === 0);
  return { n: h.n, real, eigen: jacobiEigen(embed(h, real), real ? h.n : 2 * h.n) };
}

/** c += Q·cos(θΛ)·Qᵀx and s += Q·sin(θΛ)·Qᵀx on the slice [offset, offset + size) of x, c and s. */
function addCosSin(eigen: Eigen, theta: number, x: Float64Array, c: Float64Array, s: Float64Array, offset: number): void {
  const { size, values, vectors } = eigen;
  for (let k = 0; k < size; k++) {
    let dot = 0;
    for (let i = 0; i < size; i++) dot += vectors[i * size + k]! * x[offset + i]!;
    const [ck, sk] = [Math.cos(theta * values[k]!) * dot, Math.sin(theta * values[k]!) * dot];
    for (let i = 0; i < size; i++) {
      c[offset + i]! += vectors[i * size + k]! * ck;
      s[offset + i]! += vectors[i * size + k]! * sk;
    }
  }
}

/** exp(−iθH)ψ from the decomposition of H's embedding. */
export function evolve(d: Decomposition, theta: number, psi: Vector): Vector {
  const { n } = d;
  const x = new Float64Array(2 * n);
  x.set(psi.re);
  x.set(psi.im, n);
  const c = new Float64Array(2 * n);
  const s = new Float64Array(2 * n);
  for (const offset of d.real ? [0, n] : [0]) addCosSin(d.eigen, theta, x, c, s, offset);
  // cos(θH)ψ − i·sin(θH)ψ, with i·(s₁, s₂) = (−s₂, s₁)
  return { re: Float64Array.from({ length: n }, (_, i) => c[i]! + s[i + n]!), im: Float64Array.from({ length: n }, (_, i) => c[i + n]! - s[i]!) };
}
