// Row 3: end-to-end latency, submit → result available, of a 1-shot singlequdit job with an idle spooler, as a
// client observes it over HTTP (post_job, then get_job_status back to back until DONE). qspool: server and
// spooler in their own processes on local storage (fsync on, default poll interval); peer: the BullMQ Koa app and
// one BullMQ worker running the same simulator.
import { startChild, type Child } from '../children.ts';
import { submitAndWait } from '../client.ts';
import { emptyQueue } from '../peers/bullmq-queue.ts';
import { scratch, singlequditJob, type BenchContext } from '../context.ts';
import { quantile, summarise } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';

const JOBS = 200;
const WARMUP_JOBS = 10;

interface Setup {
  url: string;
  token: string;
  children: Child[];
  done(): Promise<void>;
}

async function startQspool(context: BenchContext): Promise<Setup> {
  const data = await scratch(context, 'latency');
  const env = { QSPOOL_DATA_DIR: data.dir, QSPOOL_RATE_PER_SECOND: '0' };
  const spooler = await startChild('qspool spooler', 'qspool-spooler.ts', { ...env, BENCH_BACKEND: 'singlequdit' });
  const server = await startChild('qspool server', 'qspool-server.ts', env);
  return { url: server.ready.url!, token: server.ready.tokens![0]!, children: [server, spooler], done: data.done };
}

async function startBullmq(context: BenchContext): Promise<Setup> {
  const env = { REDIS_URL: context.redis.url };
  await emptyQueue(context.redis.url);
  const worker = await startChild('BullMQ worker', 'bullmq-worker.ts', env);
  worker.send({ type: 'go' });
  const app = await startChild('BullMQ Koa', 'bullmq-koa.ts', env);
  return { url: app.ready.url!, token: 'none', children: [app, worker], done: async () => undefined };
}

async function latencies(setup: Setup): Promise<number[]> {
  const job = singlequditJob(1);
  for (let i = 0; i < WARMUP_JOBS; i += 1) await submitAndWait(setup.url, 'singlequdit', job, setup.token);
  const times: number[] = [];
  for (let i = 0; i < JOBS; i += 1) times.push(await submitAndWait(setup.url, 'singlequdit', job, setup.token));
  return times;
}

export async function latencyRows(context: BenchContext): Promise<TableRow[]> {
  const runs = { qspool: [] as number[][], bullmq: [] as number[][] };
  for (let run = 1; run <= context.runs; run += 1) {
    for (const [name, start] of [['qspool', startQspool], ['bullmq', startBullmq]] as const) {
      context.log(`row 3: ${name}, run ${run}/${context.runs}`);
      const setup = await start(context);
      try {
        runs[name].push(await latencies(setup));
      } finally {
        for (const child of setup.children) await child.stop();
        await setup.done();
      }
    }
  }
  const p = (name: keyof typeof runs, q: number) => summarise(runs[name].map((times) => quantile(times, q)), 'ms');
  const note =
    `${JOBS} sequential jobs per run after ${WARMUP_JOBS} warm-up jobs; per run the p50/p99 of the ${JOBS}, then median [min–max] ` +
    `over runs. qspool: default poll interval (the spooler wakes on storage change), fsync on, rate limit off (a ` +
    `tight-polling client would otherwise be throttled to 20 requests/s); BullMQ: Worker concurrency 1, status by queue.getJobState.`;
  return [
    compared('3a end-to-end latency p50', p('qspool', 0.5), p('bullmq', 0.5), 'BullMQ', { text: 'p50 < 25 ms', check: (_r, q) => q < 25 }, note),
    compared('3b end-to-end latency p99', p('qspool', 0.99), p('bullmq', 0.99), 'BullMQ'),
  ];
}
