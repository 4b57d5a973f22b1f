// `npm run bench`: runs every row (or those in BENCH_ONLY, e.g. "1,3"), starting and stopping the peers itself,
// and prints one table. Settings: BENCH_SECONDS (autocannon run length, default 10), BENCH_RUNS (runs per
// figure, default 3, at least 3), BENCH_DIR (scratch space, default .tmp/bench: the project's disk, not tmpfs).
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { killAllChildren, stopAllChildren } from './children.ts';
import type { BenchContext } from './context.ts';
import { machineHeader } from './machine.ts';
import { startRedis, type RedisService } from './redis.ts';
import { claimRows } from './rows/claim.ts';
import { latencyRows } from './rows/latency.ts';
import { memoryRows } from './rows/memory.ts';
import { replicaRows } from './rows/replicas.ts';
import { simulatorRows } from './rows/simulators.ts';
import { spoolerRows } from './rows/spooler.ts';
import { submitRows } from './rows/submit.ts';
import { sweepRows } from './rows/sweep.ts';
import { renderTable, type TableRow } from './table.ts';
import { sseLatencyRows } from './sse-latency.ts';

const ROWS: Record<string, (context: BenchContext) => Promise<TableRow[]>> = {
  '1': submitRows,
  '2': claimRows,
  '3': latencyRows,
  '4': spoolerRows,
  '5': simulatorRows,
  '6': memoryRows,
  '7': sseLatencyRows,
  '8': sweepRows,
  '9': replicaRows,
};

function positive(name: string, fallback: number, minimum = 1): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < minimum) throw new Error(`${name} must be a number ≥ ${minimum}`);
  return value;
}

let redis: RedisService | undefined;

async function main(): Promise<void> {
  const started = Date.now();
  const seconds = positive('BENCH_SECONDS', 10);
  const runs = Math.round(positive('BENCH_RUNS', 3, 3));
  const only = (process.env.BENCH_ONLY ?? Object.keys(ROWS).join(',')).split(',').map((key) => key.trim());
  const workDir = resolve(process.env.BENCH_DIR ?? '.tmp/bench');
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const log = (message: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  log('starting redis (scripts/services/redis.sh)');
  const service = await startRedis(workDir, log);
  redis = service;
  const context: BenchContext = { seconds, runs, workDir, redis: service, log };
  const header = machineHeader(`BENCH_SECONDS=${seconds}, BENCH_RUNS=${runs}, rows ${only.join(',')}, scratch ${workDir}`);
  const rows: TableRow[] = [];
  try {
    for (const key of only) {
      const row = ROWS[key];
      if (!row) throw new Error(`BENCH_ONLY names an unknown row ${key}; rows are ${Object.keys(ROWS).join(', ')}`);
      try {
        rows.push(...(await row(context)));
      } catch (error) {
        // One broken row must not cost the others' figures: the table says what failed.
        log(`row ${key} failed: ${(error as Error).stack ?? String(error)}`);
        rows.push({ row: `${key} FAILED`, qspool: (error as Error).message.split('\n')[0]!, peer: '—', goal: '—', met: false });
        await stopAllChildren();
      }
    }
  } finally {
    await stopAllChildren();
    await service.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  // Other work on the machine moves every figure; the load at both ends says how much there was.
  const load = loadavg().map((value) => value.toFixed(2)).join(' ');
  header.push(`total time: ${((Date.now() - started) / 1000).toFixed(0)} s, load average at end ${load}`);
  process.stdout.write(`${renderTable(header, rows)}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    redis?.stopNow();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
