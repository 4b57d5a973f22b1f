// Exact reference distributions and goodness-of-fit bounds for the tests (fixed seeds make them repeatable; the
// bounds are tight enough that a wrong distribution fails).

/** C(n, k) p^k (1 − p)^(n−k), through log-factorials so that n = 500 stays accurate. */
export function binomialPmf(n: number, k: number, p: number): number {
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

function logFactorial(n: number): number {
  let sum = 0;
  for (let i = 2; i <= n; i++) sum += Math.log(i);
  return sum;
}

/**
 * Pearson's χ² of observed counts against expected probabilities, outcomes with fewer than 5 expected counts
 * pooled into one bin, with the 0.1 % critical value (Wilson–Hilferty). Outcomes not in `expected` count as
 * impossible: observing one makes the statistic infinite.
 */
export function chiSquareTest(
  counts: ReadonlyMap<string, number>,
  expected: ReadonlyMap<string, number>,
  shots: number,
): { statistic: number; critical: number; degreesOfFreedom: number } {
  for (const outcome of counts.keys()) {
    if (!((expected.get(outcome) ?? 0) > 0)) return { statistic: Infinity, critical: 0, degreesOfFreedom: 0 };
  }
  const bins: Array<{ observed: number; expected: number }> = [];
  const pooled = { observed: 0, expected: 0 };
  for (const [outcome, p] of expected) {
    const bin = { observed: counts.get(outcome) ?? 0, expected: p * shots };
    if (bin.expected >= 5) bins.push(bin);
    else {
      pooled.observed += bin.observed;
      pooled.expected += bin.expected;
    }
  }
  if (pooled.expected > 0) bins.push(pooled);
  const statistic = bins.reduce((sum, b) => sum + (b.observed - b.expected) ** 2 / b.expected, 0);
  const degreesOfFreedom = Math.max(bins.length - 1, 1);
  const z = 3.0902; // upper 0.1 % point of the standard normal
  const a = 2 / (9 * degreesOfFreedom);
  return { statistic, critical: degreesOfFreedom * (1 - a + z * Math.sqrt(a)) ** 3, degreesOfFreedom };
}

export function histogram(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
