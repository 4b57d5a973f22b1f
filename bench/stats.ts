// Figures as the table shows them: the median of several runs with the smallest and largest, in one unit.

export interface Figure {
  median: number;
  min: number;
  max: number;
  unit: string;
  /** How many runs the figure summarises. */
  runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The q-quantile (0..1) by nearest rank, as latency percentiles are usually quoted. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarise(values: readonly number[], unit: string): Figure {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), unit, runs: values.length };
}

/** Three significant digits, thousands grouped: 12,300 · 45.6 · 0.789. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatFigure(figure: Figure): string {
  return `${formatNumber(figure.median)} ${figure.unit} [${formatNumber(figure.min)}–${formatNumber(figure.max)}]`;
}
