// Reproducible shot sampling: a xoshiro128** generator seeded through splitmix64, and inverse-CDF sampling of
// basis-state indices from a probability vector. Unseeded runs take their seed from the OS's CSPRNG.
import { randomBytes } from 'node:crypto';

export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
}

const MASK64 = (1n << 64n) - 1n;

/** A fresh 53-bit seed, for runs that did not ask for reproducibility. */
export function randomSeed(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n);
}

/** Any integer seed (taken modulo 2^64, so negative ones too); equal seeds give equal streams. */
export function createRng(seed: number = randomSeed()): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`seed ${seed} is not an integer`);
  let sm = BigInt.asUintN(64, BigInt(seed));
  const splitmix = (): bigint => {
    sm = (sm + 0x9e3779b97f4a7c15n) & MASK64;
    let z = sm;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
  const [a, b] = [splitmix(), splitmix()];
  // splitmix64 never yields two zero outputs in a row, so the xoshiro state is never all zero.
  const s = new Uint32Array([Number(a >> 32n), Number(a & 0xffffffffn), Number(b >> 32n), Number(b & 0xffffffffn)]);
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  return { next: () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992 };
}

/**
 * `shots` indices drawn independently with the given (possibly unnormalised) probabilities, by binary search
 * in the cumulative sum. Zero-probability indices are never drawn.
 */
export function sampleIndices(probabilities: ArrayLike<number>, shots: number, rng: Rng): Uint32Array {
  const n = probabilities.length;
  const cumulative = new Float64Array(n);
  let total = 0;
  let lastPositive = -1;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0)) throw new RangeError(`probability ${p} at index ${i}`);
    total += p;
    cumulative[i] = total;
    if (p > 0) lastPositive = i;
  }
  if (!(total > 0 && Number.isFinite(total))) throw new RangeError(`probabilities sum to ${total}`);
  const out = new Uint32Array(shots);
  for (let shot = 0; shot < shots; shot++) {
    const u = rng.next() * total;
    // first index whose cumulative sum exceeds u; rounding can put u at the very top, hence the upper bound
    let lo = 0;
    let hi = lastPositive;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out[shot] = lo;
  }
  return out;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
