// Complex state vectors stored as separate real and imaginary Float64Arrays, and the few helpers on them.

export interface ComplexVector {
  re: Float64Array;
  im: Float64Array;
}

export function zeroVector(dim: number): ComplexVector {
  return { re: new Float64Array(dim), im: new Float64Array(dim) };
}

export function basisVector(dim: number, index: number): ComplexVector {
  const v = zeroVector(dim);
  v.re[index] = 1;
  return v;
}

/** |v_i|² for every basis state. */
export function probabilities(v: ComplexVector): Float64Array {
  const p = new Float64Array(v.re.length);
  for (let i = 0; i < p.length; i++) p[i] = v.re[i]! * v.re[i]! + v.im[i]! * v.im[i]!;
  return p;
}

export function normSquared(v: ComplexVector): number {
  let sum = 0;
  for (let i = 0; i < v.re.length; i++) sum += v.re[i]! * v.re[i]! + v.im[i]! * v.im[i]!;
  return sum;
}

/** v_i ← (c + i·s)·v_i, e.g. a phase factor with c = cos φ, s = sin φ. */
export function multiplyEntry(v: ComplexVector, i: number, c: number, s: number): void {
  const [a, b] = [v.re[i]!, v.im[i]!];
  v.re[i] = c * a - s * b;
  v.im[i] = c * b + s * a;
}
