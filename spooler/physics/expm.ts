// exp(−iθH)ψ for Hermitian sparse H, in place, without ever forming an exponential matrix: diagonal H directly;
// otherwise a Taylor series split into steps (Al-Mohy & Higham 2011), or for small real H with a very large
// θ‖H‖, the eigen-decomposition in spectral.ts — whichever the operation counts below say is cheaper.
import { MAX_SPECTRAL_DIM, applyEigenExpm, spectralWork, symmetricEigen } from './spectral.ts';
import type { SparseMatrix } from './sparse.ts';
import { multiplyEntry } from './vector.ts';
import type { ComplexVector } from './vector.ts';

export type ExpmMethod = 'diagonal' | 'taylor' | 'spectral';

export interface ExpmOptions {
  /** Called between Taylor steps (and eigenvalue sweeps); throw from it to abandon the evolution. */
  checkpoint?: () => void;
  /** Force a method (tests); by default the cheapest applicable one is used. */
  method?: ExpmMethod;
  /** How many vectors a prepared exponential will be applied to: a decomposition pays off over many (default 1). */
  vectors?: number;
}

/**
 * Largest ‖θ(H − μ)‖ per Taylor step. Larger steps need fewer products per unit of θ‖H‖ but the series terms
 * then grow to e^x/√(2πx) before decaying, and their cancellation costs that factor in rounding; x = 4 keeps it
 * near 10 ulp per step.
 */
const MAX_STEP_NORM = 4;
/** A step stops adding terms once two successive ones fall below this fraction of ‖ψ‖∞. */
const TOLERANCE = 2 ** -53;
/** With x ≤ 4 the terms fall below 2^-53 of ψ by k ≈ 36 even for 2^22 amplitudes; more means non-finite values. */
const MAX_TERMS = 60;
/** Typical number of terms per step at x = 4, for the cost model only. */
const TYPICAL_TERMS = 30;

export interface ExpmPlan {
  method: ExpmMethod;
  /** Number of Taylor steps (1 for the other methods). */
  steps: number;
  /** Centre μ of the Gershgorin bound on the spectrum, the shift the Taylor series expands around. */
  shift: number;
  /** Estimated floating-point operations (for all the vectors). */
  work: number;
}

/**
 * Chooses how exp(−iθH)ψ will be computed. The Taylor step count grows linearly with θ‖H − μ‖₁; for real H up
 * to dimension 1024 the eigen-decomposition takes over when that would cost more, so only complex or
 * large-dimensional H with a huge θ‖H‖ stay expensive (and can be abandoned through the checkpoint).
 */
export function planExpm(H: SparseMatrix, theta: number, method?: ExpmMethod, vectors = 1): ExpmPlan {
  const diagonal = H.bandwidth() === 0;
  if (method === 'diagonal' && !diagonal) throw new RangeError('the diagonal method needs a diagonal matrix');
  if (method === 'diagonal' || (method === undefined && diagonal)) return { method: 'diagonal', steps: 1, shift: 0, work: 8 * H.dim };
  const { lo, hi } = H.gershgorin();
  const shift = (lo + hi) / 2;
  const steps = Math.max(1, Math.ceil((Math.abs(theta) * H.norm1(shift)) / MAX_STEP_NORM));
  const taylor: ExpmPlan = { method: 'taylor', steps, shift, work: vectors * steps * TYPICAL_TERMS * ((H.real ? 4 : 8) * H.nnz + 10 * H.dim) };
  if (method === 'taylor') return taylor;
  const spectralPossible = H.real && H.dim <= MAX_SPECTRAL_DIM;
  if (method === 'spectral' && !spectralPossible) throw new RangeError(`the spectral method needs a real matrix of dimension ≤ ${MAX_SPECTRAL_DIM}`);
  const spectral: ExpmPlan = { method: 'spectral', steps: 1, shift: 0, work: spectralPossible ? spectralWork(H, vectors) : Infinity };
  return method === 'spectral' || spectral.work < taylor.work ? spectral : taylor;
}

/** ψ ← exp(−iθH)ψ for Hermitian H (only the real part of the diagonal is read). */
export function applyExpm(H: SparseMatrix, theta: number, psi: ComplexVector, options: ExpmOptions = {}): void {
  prepareExpm(H, theta, options)(psi);
}

/** exp(−iθH) made ready once (plan, and eigen-decomposition if chosen) for application to many vectors in place. */
export function prepareExpm(H: SparseMatrix, theta: number, options: ExpmOptions = {}): (psi: ComplexVector) => void {
  const checkLength = (psi: ComplexVector): void => {
    if (psi.re.length !== H.dim) throw new RangeError(`state of length ${psi.re.length} for a ${H.dim}-dimensional operator`);
  };
  if (theta === 0 || H.nnz === 0) return checkLength;
  const plan = planExpm(H, theta, options.method, options.vectors);
  const apply = ((): ((psi: ComplexVector) => void) => {
    if (plan.method === 'diagonal') return (psi) => applyDiagonal(H, theta, psi);
    if (plan.method === 'taylor') return (psi) => applyTaylor(H, theta, psi, plan, options.checkpoint);
    const eigen = symmetricEigen(H, options.checkpoint);
    return (psi) => applyEigenExpm(eigen, theta, psi);
  })();
  return (psi) => {
    checkLength(psi);
    apply(psi);
  };
}

function applyDiagonal(H: SparseMatrix, theta: number, psi: ComplexVector): void {
  for (let i = 0; i < H.dim; i++) {
    if (H.rowPtr[i] === H.rowPtr[i + 1]) continue;
    const phase = theta * H.re[H.rowPtr[i]!]!;
    multiplyEntry(psi, i, Math.cos(phase), -Math.sin(phase));
  }
}

/**
 * s steps of exp(−i h (H − μ)), h = θ/s, each a Taylor series truncated once two successive terms are
 * negligible; the shift μ (centre of the spectrum bound) halves the norm the step count depends on for
 * spectra that are not centred on 0, and its phase e^{−iθμ} is applied once at the end.
 */
function applyTaylor(H: SparseMatrix, theta: number, psi: ComplexVector, plan: ExpmPlan, checkpoint?: () => void): void {
  const n = H.dim;
  const { steps, shift: mu } = plan;
  const h = theta / steps;
  const term: ComplexVector = { re: new Float64Array(n), im: new Float64Array(n) };
  const product: ComplexVector = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let step = 0; step < steps; step++) {
    checkpoint?.();
    term.re.set(psi.re);
    term.im.set(psi.im);
    const reference = maxAbs(psi);
    let previous = Infinity;
    let converged = false;
    for (let k = 1; k <= MAX_TERMS && !converged; k++) {
      H.matvec(term, product);
      const f = h / k;
      let size = 0;
      // term ← −i·f·(H − μ)·term, accumulated into ψ
      for (let i = 0; i < n; i++) {
        const re = f * (product.im[i]! - mu * term.im[i]!);
        const im = -f * (product.re[i]! - mu * term.re[i]!);
        term.re[i] = re;
        term.im[i] = im;
        psi.re[i]! += re;
        psi.im[i]! += im;
        size = Math.max(size, Math.abs(re), Math.abs(im));
      }
      converged = size + previous <= TOLERANCE * reference;
      previous = size;
    }
    if (!converged) throw new Error(`Taylor series did not converge in ${MAX_TERMS} terms (non-finite entries in H or ψ?)`);
  }
  const [c, s] = [Math.cos(theta * mu), -Math.sin(theta * mu)];
  for (let i = 0; i < n; i++) multiplyEntry(psi, i, c, s);
}

function maxAbs(v: ComplexVector): number {
  let m = 0;
  for (let i = 0; i < v.re.length; i++) m = Math.max(m, Math.abs(v.re[i]!), Math.abs(v.im[i]!));
  return m;
}
