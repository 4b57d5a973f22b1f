// Small statistics for physics tests: binomial probabilities and a chi-square goodness-of-fit test.

export function binomialPmf(n: number, p: number): number[] {
  const pmf: number[] = [];
  let logChoose = 0;
  for (let k = 0; k <= n; k += 1) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
    const logP = logChoose + (k > 0 ? k * Math.log(p) : 0) + (n - k > 0 ? (n - k) * Math.log(1 - p) : 0);
    pmf.push(Math.exp(logP));
  }
  return pmf;
}

/** Chi-square statistic of observed counts against expected probabilities, pooling bins with < 5 expected. */
export function chiSquare(counts: number[], probabilities: number[]): { statistic: number; df: number } {
  const shots = counts.reduce((a, b) => a + b, 0);
  let statistic = 0;
  let bins = 0;
  let pooledObserved = 0;
  let pooledExpected = 0;
  probabilities.forEach((p, k) => {
    pooledObserved += counts[k] ?? 0;
    pooledExpected += p * shots;
    if (pooledExpected >= 5) {
      statistic += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
      bins += 1;
      pooledObserved = 0;
      pooledExpected = 0;
    }
  });
  if (pooledExpected > 0) statistic += (pooledObserved - pooledExpected) ** 2 / Math.max(pooledExpected, 1e-12);
  return { statistic, df: Math.max(1, bins - 1) };
}

/** Critical value of the chi-square distribution at significance 0.001 (Wilson–Hilferty approximation). */
export function chiSquareCritical(df: number): number {
  const z = 3.090232;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

export function histogram(memory: string[], size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (const entry of memory) counts[Number(entry)]! += 1;
  return counts;
}
