// Row 4: spooler throughput: trivial qubit jobs (echo mode) completed per second by 1 and by 2 spooler processes.
// The queue is filled first (queued job records, through the provider), the spoolers are started and released
// together, and the clock stops when nothing is queued or running. Peer: BullMQ workers (concurrency 1 each)
// draining the same number of jobs from Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalProvider } from '../../storage/local/index.ts';
import { ns } from '../../storage/records.ts';
import { startChild, type Child } from '../children.ts';
import { addJobs, countKeys } from '../deep-queue.ts';
import { qubitJob, scratch, type BenchContext } from '../context.ts';
import { openQueue, redisConnection } from '../peers/bullmq-queue.ts';
import { summarise } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';

/** Jobs in a variant's first run; later runs are sized from its rate to take about RUN_SECONDS. */
const FIRST_RUN_JOBS = 300;
const RUN_SECONDS = 3;
const MAX_JOBS = 5000;
const NEAR_LINEAR = 1.7;

/** Jobs for the next run of a variant, from the rates it has shown so far. */
function jobsFor(rates: number[]): number {
  if (rates.length === 0) return FIRST_RUN_JOBS;
  return Math.round(Math.min(MAX_JOBS, Math.max(FIRST_RUN_JOBS, rates[0]! * RUN_SECONDS)) / 10) * 10;
}

async function releaseAndTime(children: Child[], drained: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (const child of children) child.send({ type: 'go' });
  while (!(await drained())) await sleep(5);
  return (performance.now() - started) / 1000;
}

async function qspoolRun(context: BenchContext, spoolers: number, fsync: boolean, jobs: number): Promise<number> {
  const data = await scratch(context, 'spooler');
  const spec = { type: 'local' as const, root: data.dir, fsync: false };
  const storage = new LocalProvider(spec);
  const children: Child[] = [];
  try {
    await addJobs(context, storage, spec, 'qubit', jobs);
    const env = { QSPOOL_DATA_DIR: data.dir, QSPOOL_FSYNC: String(fsync), QSPOOL_QUBIT_MODE: 'echo', BENCH_BACKEND: 'qubit', BENCH_HOLD: '1' };
    for (let i = 0; i < spoolers; i += 1) children.push(await startChild('qspool spooler', 'qspool-spooler.ts', env));
    const empty = async (namespace: string) => (await storage.list(namespace, { limit: 1 })).length === 0;
    const seconds = await releaseAndTime(children, async () => (await empty(ns.queued('qubit'))) && (await empty(ns.running('qubit'))));
    const finished = await countKeys(storage, ns.finished('qubit'));
    if (finished !== jobs) throw new Error(`only ${finished} of ${jobs} jobs finished`);
    context.log(`  ${spoolers} spooler(s) drained ${jobs} jobs in ${seconds.toFixed(1)} s`);
    return jobs / seconds;
  } finally {
    for (const child of children) await child.stop();
    await storage.close();
    await data.done();
  }
}

async function bullmqRun(context: BenchContext, workers: number, jobs: number): Promise<number> {
  const connection = redisConnection(context.redis.url);
  const queue = openQueue(connection);
  const children: Child[] = [];
  try {
    await queue.obliterate({ force: true });
    const data = { backend: 'qubit', payload: qubitJob() };
    for (let i = 0; i < jobs; i += 500) await queue.addBulk(Array.from({ length: Math.min(500, jobs - i) }, () => ({ name: 'job', data })));
    for (let i = 0; i < workers; i += 1) children.push(await startChild('BullMQ worker', 'bullmq-worker.ts', { REDIS_URL: context.redis.url }));
    const seconds = await releaseAndTime(children, async () => (await queue.getJobCountByTypes('wait', 'active')) === 0);
    context.log(`  ${workers} worker(s) drained ${jobs} jobs in ${seconds.toFixed(1)} s`);
    return jobs / seconds;
  } finally {
    for (const child of children) await child.stop();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

export async function spoolerRows(context: BenchContext): Promise<TableRow[]> {
  const variants = [
    { key: 'q1', run: (jobs: number) => qspoolRun(context, 1, true, jobs) },
    { key: 'q2', run: (jobs: number) => qspoolRun(context, 2, true, jobs) },
    { key: 'q1-nofsync', run: (jobs: number) => qspoolRun(context, 1, false, jobs) },
    { key: 'q2-nofsync', run: (jobs: number) => qspoolRun(context, 2, false, jobs) },
    { key: 'b1', run: (jobs: number) => bullmqRun(context, 1, jobs) },
    { key: 'b2', run: (jobs: number) => bullmqRun(context, 2, jobs) },
  ];
  const samples = new Map<string, number[]>(variants.map(({ key }) => [key, []]));
  const sizes = new Map<string, number[]>(variants.map(({ key }) => [key, []]));
  for (let run = 1; run <= context.runs; run += 1) {
    for (const variant of variants) {
      context.log(`row 4: ${variant.key}, run ${run}/${context.runs}`);
      const jobs = jobsFor(samples.get(variant.key)!);
      sizes.get(variant.key)!.push(jobs);
      samples.get(variant.key)!.push(await variant.run(jobs));
    }
  }
  const jobCounts = [...sizes].map(([key, list]) => `${key} ${list.join('/')}`).join(', ');
  const fig = (key: string) => summarise(samples.get(key)!, 'jobs/s');
  const atLeast500 = { text: '≥ 500 jobs/s', check: (_r: number, q: number) => q >= 500 };
  const linear = { text: `≥ ${NEAR_LINEAR}×`, check: (r: number) => r >= NEAR_LINEAR };
  const note =
    `Queue pre-filled through the provider with queued qubit jobs (first run ${FIRST_RUN_JOBS}, later runs sized to ` +
    `~${RUN_SECONDS} s; per run: ${jobCounts}); spooler processes as \`qspool spooler\` runs them (echo mode, ` +
    `experiments in a worker thread), released together, timed until nothing is queued or running. BullMQ: Redis ` +
    `without persistence. 2 cores: two spoolers share them with the storage's own work.`;
  return [
    compared('4a spooler throughput, 1 spooler', fig('q1'), fig('b1'), 'BullMQ, 1 worker', atLeast500, note),
    compared('4b spooler throughput, 2 spoolers', fig('q2'), fig('q1'), '1 spooler', linear),
    compared('4c 1 spooler, fsync off', fig('q1-nofsync'), fig('b1'), 'BullMQ, 1 worker', atLeast500),
    compared('4d 2 spoolers, fsync off', fig('q2-nofsync'), fig('q1-nofsync'), '1 spooler', linear),
    compared('4e BullMQ, 2 workers', fig('b2'), fig('b1'), '1 worker'),
  ];
}
