// Resource bounds a simulation checks before it allocates anything, and the typed errors that report them.

/** Default bound on state-vector amplitudes (64 MiB per complex vector). */
export const DEFAULT_MAX_AMPLITUDES = 2 ** 22;

/**
 * Default bound on stored non-zeros of one full-space Hamiltonian (about 20 bytes each, so ~670 MB). At the
 * default amplitude bound it admits up to 8 non-zeros per row; denser Hamiltonians (multiqudit_full on five
 * large wires) are refused rather than swapping the machine.
 */
export const DEFAULT_MAX_NONZEROS = 2 ** 25;

/** Product of the per-wire dimensions, as a float so that absurd sizes are reported rather than wrapped. */
export function hilbertDimension(dims: readonly number[]): number {
  return dims.reduce((product, d) => product * d, 1);
}

export class HilbertSpaceTooLarge extends Error {
  readonly dimension: number;
  readonly limit: number;

  constructor(dimension: number, limit: number) {
    super(`Hilbert space of ${formatCount(dimension)} amplitudes exceeds the limit of ${formatLimit(limit)}`);
    this.name = 'HilbertSpaceTooLarge';
    this.dimension = dimension;
    this.limit = limit;
  }
}

export class OperatorTooLarge extends Error {
  readonly nonZeros: number;
  readonly limit: number;

  constructor(nonZeros: number, limit: number) {
    super(`Hamiltonian with ${formatCount(nonZeros)} non-zero entries exceeds the limit of ${formatLimit(limit)}`);
    this.name = 'OperatorTooLarge';
    this.nonZeros = nonZeros;
    this.limit = limit;
  }
}

export function assertHilbertSpace(dimension: number, limit: number = DEFAULT_MAX_AMPLITUDES): void {
  if (!(dimension <= limit)) throw new HilbertSpaceTooLarge(dimension, limit);
}

function formatCount(n: number): string {
  if (Number.isSafeInteger(n) && n < 1e7) return String(n);
  return n.toExponential(1).replace('e+', 'e');
}

function formatLimit(limit: number): string {
  const exponent = Math.log2(limit);
  return Number.isInteger(exponent) ? `${limit} (2^${exponent})` : String(limit);
}
