// Dense complex matrices and vectors for the reference solver: deliberately the plainest representation (every
// entry stored, row-major), so that nothing in it shares structure or code with the sparse engine under test.

export interface Dense {
  n: number;
  re: Float64Array;
  im: Float64Array;
}

export interface Vector {
  re: Float64Array;
  im: Float64Array;
}

export function zeros(n: number): Dense {
  return { n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
}

export function identity(n: number): Dense {
  const m = zeros(n);
  for (let i = 0; i < n; i++) m.re[i * n + i] = 1;
  return m;
}

/** A real matrix from a function of (row, column). */
export function realMatrix(n: number, entry: (row: number, col: number) => number): Dense {
  const m = zeros(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.re[i * n + j] = entry(i, j);
  return m;
}

/** a ⊗ b, a the more significant factor. */
export function kron(a: Dense, b: Dense): Dense {
  const n = a.n * b.n;
  const m = zeros(n);
  for (let i = 0; i < a.n; i++) {
    for (let j = 0; j < a.n; j++) {
      const [ar, ai] = [a.re[i * a.n + j]!, a.im[i * a.n + j]!];
      for (let k = 0; k < b.n; k++) {
        for (let l = 0; l < b.n; l++) {
          const [br, bi] = [b.re[k * b.n + l]!, b.im[k * b.n + l]!];
          const at = (i * b.n + k) * n + (j * b.n + l);
          m.re[at] = ar * br - ai * bi;
          m.im[at] = ar * bi + ai * br;
        }
      }
    }
  }
  return m;
}

export function multiply(a: Dense, b: Dense): Dense {
  const n = a.n;
  const m = zeros(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const [ar, ai] = [a.re[i * n + k]!, a.im[i * n + k]!];
      if (ar === 0 && ai === 0) continue;
      for (let j = 0; j < n; j++) {
        m.re[i * n + j]! += ar * b.re[k * n + j]! - ai * b.im[k * n + j]!;
        m.im[i * n + j]! += ar * b.im[k * n + j]! + ai * b.re[k * n + j]!;
      }
    }
  }
  return m;
}

/** The conjugate transpose. */
export function adjoint(a: Dense): Dense {
  const m = zeros(a.n);
  for (let i = 0; i < a.n; i++) {
    for (let j = 0; j < a.n; j++) {
      m.re[j * a.n + i] = a.re[i * a.n + j]!;
      m.im[j * a.n + i] = -a.im[i * a.n + j]!;
    }
  }
  return m;
}

/** Σ coefficient·matrix (real coefficients); the zero matrix of size n for an empty sum. */
export function sum(n: number, terms: ReadonlyArray<readonly [coefficient: number, matrix: Dense]>): Dense {
  const m = zeros(n);
  for (const [c, t] of terms) {
    for (let p = 0; p < n * n; p++) {
      m.re[p]! += c * t.re[p]!;
      m.im[p]! += c * t.im[p]!;
    }
  }
  return m;
}

export function apply(a: Dense, v: Vector): Vector {
  const n = a.n;
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out.re[i]! += a.re[i * n + j]! * v.re[j]! - a.im[i * n + j]! * v.im[j]!;
      out.im[i]! += a.re[i * n + j]! * v.im[j]! + a.im[i * n + j]! * v.re[j]!;
    }
  }
  return out;
}

export function basis(n: number, index: number): Vector {
  const v = { re: new Float64Array(n), im: new Float64Array(n) };
  v.re[index] = 1;
  return v;
}
