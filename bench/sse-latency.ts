// Row 7: how soon a client hears of a job's state change. Server and spooler run in their own processes on local
// storage, as in row 3; the client holds GET /api/v1/events open and submits 1-shot singlequdit jobs one after
// another. For each change the spooler makes (RUNNING, DONE) the figure is the time from the instant the spooler
// recorded in the job (the event's `at`, same host clock) to the arrival of the event at the client.
import { startChild } from './children.ts';
import { scratch, singlequditJob, type BenchContext } from './context.ts';
import { quantile, summarise } from './stats.ts';
import type { TableRow } from './table.ts';
import { readSse } from '../scripts/client/sse.ts';

const JOBS = 100;
const WARMUP_JOBS = 10;
const GOAL_MS = 100;

interface StreamEvent {
  job_id: string;
  status: string;
  at: string;
}

/** Latencies (ms) of the spooler's changes of `jobs` jobs, submitted one at a time. */
async function measure(url: string, token: string, jobs: number, warmup: number): Promise<number[]> {
  const abort = new AbortController();
  const response = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
  const stream = readSse(response.body);
  const latencies: number[] = [];
  const job = { payload: singlequditJob(1) };
  try {
    for (let i = 0; i < warmup + jobs; i += 1) {
      const submitted = await fetch(`${url}/api/v1/backends/singlequdit/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(job),
      });
      if (submitted.status !== 201) throw new Error(`submit answered ${submitted.status}: ${await submitted.text()}`);
      const { id } = (await submitted.json()) as { id: string };
      for (;;) {
        const next = await stream.next();
        if (next.done) throw new Error('the event stream ended');
        const arrived = Date.now();
        const event = JSON.parse(next.value.data) as StreamEvent;
        if (event.job_id !== id) continue;
        if (i >= warmup && (event.status === 'RUNNING' || event.status === 'DONE')) latencies.push(arrived - Date.parse(event.at));
        if (event.status === 'DONE') break;
        if (event.status === 'ERROR' || event.status === 'CANCELLED') throw new Error(`job ${id} ended ${event.status}`);
      }
    }
  } finally {
    abort.abort();
  }
  return latencies;
}

/** One run: fresh storage, a server and a singlequdit spooler, then the measurement. */
async function runOnce(context: BenchContext): Promise<number[]> {
  const data = await scratch(context, 'sse');
  const env = { QSPOOL_DATA_DIR: data.dir, QSPOOL_RATE_PER_SECOND: '0' };
  const spooler = await startChild('qspool spooler', 'qspool-spooler.ts', { ...env, BENCH_BACKEND: 'singlequdit' });
  const server = await startChild('qspool server', 'qspool-server.ts', env);
  try {
    return await measure(server.ready.url!, server.ready.tokens![0]!, JOBS, WARMUP_JOBS);
  } finally {
    await server.stop();
    await spooler.stop();
    await data.done();
  }
}

export async function sseLatencyRows(context: BenchContext): Promise<TableRow[]> {
  const runs: number[][] = [];
  for (let run = 1; run <= context.runs; run += 1) {
    context.log(`row 7: SSE latency, run ${run}/${context.runs}`);
    runs.push(await runOnce(context));
  }
  const p = (q: number) => summarise(runs.map((times) => quantile(times, q)), 'ms');
  const p50 = p(0.5);
  const note =
    `From a spooler's state change (RUNNING, DONE; the instant recorded in the job) to the event's arrival on GET /api/v1/events, ` +
    `${JOBS} sequential 1-shot singlequdit jobs per run after ${WARMUP_JOBS} warm-up jobs, server and spooler in separate processes ` +
    `on local storage (fsync on; the server wakes through the storage's watch, QSPOOL_NOTIFY_POLL_MS is the fallback). ` +
    'Per run the p50/p99, then median [min–max] over runs. No peer: BullMQ has no client-facing event stream.';
  return [
    { row: '7a state change → SSE event p50', qspool: p50, peer: 'none', goal: `p50 < ${GOAL_MS} ms`, met: p50.median < GOAL_MS, note },
    { row: '7b state change → SSE event p99', qspool: p(0.99), peer: 'none', goal: '—' },
  ];
}

/** `node --import tsx bench/sse-latency.ts`: this row alone, one run, printed as JSON. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdir, mkdtemp, rm } = await import('node:fs/promises');
  await mkdir('.tmp', { recursive: true });
  const workDir = await mkdtemp('.tmp/sse-bench-');
  const context = { seconds: 10, runs: Number(process.env.BENCH_RUNS ?? 1), workDir, redis: undefined as never, log: (m: string) => process.stderr.write(`${m}\n`) };
  const rows = await sseLatencyRows(context).finally(() => rm(workDir, { recursive: true, force: true }));
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  process.exit(0);
}
