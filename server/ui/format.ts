// How times, durations and outcomes read on the pages.

/** The histogram bars' colour (tests find the drawn bars by it). */
export const BAR_FILL = '#2f6db5';

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function duration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${duration(Math.max(0, ms) / 1000)} ago`;
}

export interface OutcomeCount {
  outcome: string;
  count: number;
  probability: number;
}

/** The measured outcomes of one experiment (`memory` entries such as "1 0 3"), counted, in a stable order. */
export function countOutcomes(memory: readonly string[]): OutcomeCount[] {
  const counts = new Map<string, number>();
  for (const shot of memory) counts.set(shot, (counts.get(shot) ?? 0) + 1);
  // Each outcome is parsed once, not at every comparison: a result can hold hundreds of thousands of distinct ones.
  const keyed = [...counts].map(([outcome, count]) => ({ outcome, count, numbers: outcome.split(' ').map(Number) }));
  keyed.sort((a, b) => {
    const [x, y] = [a.numbers, b.numbers];
    for (let i = 0; i < Math.max(x.length, y.length); i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return a.outcome.localeCompare(b.outcome);
  });
  return keyed.map(({ outcome, count }) => ({ outcome, count, probability: count / memory.length }));
}

/**
 * At most `limit` outcomes, the most frequent (earlier ones first among equals), still in their stable order: a
 * chart and a table of every outcome of a large result would freeze the page for many seconds and show nothing
 * readable.
 */
export function mostFrequent(counts: readonly OutcomeCount[], limit: number): OutcomeCount[] {
  if (counts.length <= limit) return [...counts];
  const kept = counts.map((count, index) => ({ count, index })).sort((a, b) => b.count.count - a.count.count || a.index - b.index).slice(0, limit);
  return kept.sort((a, b) => a.index - b.index).map(({ count }) => count);
}

const isFlat = (value: unknown) => value === null || typeof value !== 'object' || (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object'));

/** JSON for people: a job's instructions one per line (`["load", [0], [50]]`), everything else indented. */
export function prettyJson(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every(isFlat)) return `[${value.map((item) => (Array.isArray(item) ? prettyJson(item) : JSON.stringify(item))).join(', ')}]`;
    return `[\n${value.map((item) => inner + prettyJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${prettyJson(item, inner)}`);
    return entries.length ? `{\n${entries.join(',\n')}\n${indent}}` : '{}';
  }
  return JSON.stringify(value);
}

/**
 * The jobs of a list that are in another state than when the list was read before ("Job 65f… is DONE now."), for a
 * screen reader to be told: badges that change colour in place say nothing to someone who cannot see them.
 */
export function stateChanges(before: readonly { id: string; status: string }[], after: readonly { id: string; status: string }[]): string[] {
  const was = new Map(before.map((job) => [job.id, job.status]));
  return after.filter((job) => was.has(job.id) && was.get(job.id) !== job.status).map((job) => `Job ${job.id} is ${job.status} now.`);
}
