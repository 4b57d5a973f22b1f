// The table the harness prints: one row per phase, the columns, then measured figures and violations.
import Table from 'cli-table3';
import type { PhaseResult } from './phase.ts';

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);

export function report(results: PhaseResult[]): string {
  const table = new Table({
    head: ['phase', 'acknowledged', 'done', 'errored', 'cancelled', 'lost', 'duplicated', 'stuck', 'orphan results', 'unacked extra', 'kills', 'max recover (requeue)', 'max recover (finish)', 'HTTP 503 / 5xx / conn'],
    style: { head: [], border: [] },
  });
  const lines: string[] = [];
  for (const { name, verdict, kills, tally, notes } of results) {
    const max = (pick: (r: (typeof verdict.recoveries)[number]) => number | undefined) => {
      const values = verdict.recoveries.map(pick).filter((v): v is number => v !== undefined);
      return values.length > 0 ? Math.max(...values) : undefined;
    };
    const http = tally
      ? `${tally.counts.get('503') ?? 0} / ${tally.serverErrors.length} / ${tally.counts.get('connection') ?? 0}`
      : '-';
    table.push([
      name, verdict.acknowledged, verdict.done, verdict.errored, verdict.cancelled, verdict.lost, verdict.duplicated, verdict.stuck,
      verdict.orphanResults, verdict.unacknowledged, kills, seconds(max((r) => r.requeueMs)), seconds(max((r) => r.finishMs)), http,
    ].map(String));
    const requeues = verdict.recoveries.map((r) => r.requeueMs).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    const median = requeues.length > 0 ? `; taken back after a median ${seconds(requeues[Math.floor(requeues.length / 2)])}` : '';
    lines.push(`${name}: ${verdict.recoveries.length} jobs were held by a killed spooler${median}${notes.length ? '; ' : ''}${notes.join('; ')}`);
    for (const violation of verdict.violations.slice(0, 20)) lines.push(`  VIOLATION ${name}: ${violation}`);
    if (verdict.violations.length > 20) lines.push(`  … and ${verdict.violations.length - 20} more violations in ${name}`);
  }
  return [table.toString(), ...lines].join('\n');
}
