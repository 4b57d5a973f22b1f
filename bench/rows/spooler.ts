// Row 4: spooler throughput: trivial qubit jobs (echo mode) completed per second by 1 and by 2 spooler processes.
// The jobs are enqueued as the server enqueues them (record, status, event) into a staging store, the spoolers are
// started and warmed up on their own store, and once they are idle the staged documents are copied in under them in
// one transaction; the clock
// stops when nothing is queued or running. Peer: BullMQ workers (concurrency 1 each) draining the same number of
// jobs from Redis, released together once started.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { STORE_FILE } from '../../storage/local/store-file.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { ns, type StatusRecord } from '../../storage/records.ts';
import { startChild, type Child } from '../children.ts';
import { countKeys } from '../deep-queue.ts';
import { qubitJob, scratch, type BenchContext } from '../context.ts';
import { openQueue, redisConnection } from '../peers/bullmq-queue.ts';
import { summarise } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';

/** Jobs in a variant's first run; later runs are sized from its rate to take about RUN_SECONDS (within MIN/MAX). */
const FIRST_RUN_JOBS = 150;
const RUN_SECONDS = 2.5;
const MIN_JOBS = 100;
const MAX_JOBS = 5000;
/** How often the runner looks whether the queue is drained: rarely enough to leave the 2 cores to the spoolers. */
const DRAIN_POLL_MS = 25;
/** Jobs per spooler run before the clock starts, so every experiment thread has loaded its backend. */
const WARM_UP_JOBS_PER_SPOOLER = 2;

/** Jobs for the next run of a variant, from the rates it has shown so far. */
function jobsFor(rates: number[]): number {
  if (rates.length === 0) return FIRST_RUN_JOBS;
  return Math.round(Math.min(MAX_JOBS, Math.max(MIN_JOBS, rates[0]! * RUN_SECONDS)) / 10) * 10;
}

async function releaseAndTime(children: Child[], drained: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (const child of children) child.send({ type: 'go' });
  while (!(await drained())) await sleep(DRAIN_POLL_MS);
  return (performance.now() - started) / 1000;
}

/** Enqueues `count` qubit jobs through the lifecycle, a few at a time, as concurrent submissions would; their ids. */
async function enqueueJobs(storage: StorageProvider, count: number): Promise<string[]> {
  const lifecycle = new JobLifecycle(storage);
  const BATCH = 32;
  const ids: string[] = [];
  for (let done = 0; done < count; done += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - done) }, () => lifecycle.enqueue({ backend: 'qubit', owner: 'bench0', payload: qubitJob() }));
    ids.push(...(await Promise.all(batch)).map((record) => record.id));
  }
  return ids;
}

/** Whether every job's status says DONE: its spooler has written the last document of the job. */
async function allDone(storage: StorageProvider, ids: string[]): Promise<boolean> {
  const statuses = await Promise.all(ids.map((id) => storage.get<StatusRecord>(ns.status('qubit'), id)));
  return statuses.every((status) => status?.value.status === 'DONE');
}

/** Copies every document of the staging store into the live one in a single transaction: the queue appears at once. */
function moveInStaged(dataDir: string, stagingDir: string): void {
  const db = new Database(join(dataDir, STORE_FILE), { timeout: 5_000 });
  try {
    db.prepare('ATTACH DATABASE ? AS staged').run(join(stagingDir, STORE_FILE));
    db.transaction(() => db.exec('INSERT OR REPLACE INTO main.documents SELECT * FROM staged.documents'))();
  } finally {
    db.close();
  }
}

interface SpoolerRun {
  rate: number;
  /** Times a spooler found another process holding the store's write lock, per job claimed. */
  lockWaitsPerClaim: number;
}

async function qspoolRun(context: BenchContext, spoolers: number, fsync: boolean, jobs: number): Promise<SpoolerRun> {
  const staging = await scratch(context, 'spooler-staging');
  const data = await scratch(context, 'spooler');
  const storage = new LocalProvider({ root: data.dir, fsync: false });
  const children: Child[] = [];
  try {
    // The queue (and the jobs' status records, which every claim and completion updates) is filled elsewhere and
    // copied in with one transaction once the spoolers are up and idle, so the clock sees neither process start nor
    // the worker thread loading its backend.
    const stagingStorage = new LocalProvider({ root: staging.dir, fsync: false });
    await enqueueJobs(stagingStorage, jobs);
    await stagingStorage.close();
    const env = { QSPOOL_DATA_DIR: data.dir, QSPOOL_FSYNC: String(fsync), QSPOOL_QUBIT_MODE: 'echo', BENCH_BACKEND: 'qubit' };
    for (let i = 0; i < spoolers; i += 1) children.push(await startChild('qspool spooler', 'qspool-spooler.ts', env));
    const warmUp = WARM_UP_JOBS_PER_SPOOLER * spoolers;
    const warmUpIds = await enqueueJobs(storage, warmUp);
    while (!(await allDone(storage, warmUpIds))) await sleep(DRAIN_POLL_MS);
    const empty = async (namespace: string) => (await storage.list(namespace, { limit: 1 })).length === 0;
    const started = performance.now();
    moveInStaged(data.dir, staging.dir);
    // One job more through the provider: its write rings the queue's doorbell, which wakes the idle spoolers.
    await enqueueJobs(storage, 1);
    while (!((await empty(ns.queued('qubit'))) && (await empty(ns.running('qubit'))))) await sleep(DRAIN_POLL_MS);
    const seconds = (performance.now() - started) / 1000;
    const finished = await countKeys(storage, ns.finished('qubit'));
    if (finished !== warmUp + jobs + 1) throw new Error(`only ${finished - warmUp} of ${jobs + 1} jobs finished`);
    const stats = await Promise.all(children.map((child) => child.stats()));
    const lockWaits = stats.reduce((sum, s) => sum + (s?.lockWaits ?? 0), 0);
    context.log(`  ${spoolers} spooler(s) drained ${jobs + 1} jobs in ${seconds.toFixed(1)} s; ${lockWaits} waits for the write lock`);
    return { rate: (jobs + 1) / seconds, lockWaitsPerClaim: lockWaits / finished };
  } finally {
    for (const child of children) await child.stop();
    await storage.close();
    await data.done();
    await staging.done();
  }
}

async function bullmqRun(context: BenchContext, workers: number, jobs: number): Promise<SpoolerRun> {
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
    return { rate: jobs / seconds, lockWaitsPerClaim: 0 };
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
  const waits = new Map<string, number[]>(variants.map(({ key }) => [key, []]));
  const sizes = new Map<string, number[]>(variants.map(({ key }) => [key, []]));
  for (let run = 1; run <= context.runs; run += 1) {
    for (const variant of variants) {
      context.log(`row 4: ${variant.key}, run ${run}/${context.runs}`);
      const jobs = jobsFor(samples.get(variant.key)!);
      sizes.get(variant.key)!.push(jobs);
      const outcome = await variant.run(jobs);
      samples.get(variant.key)!.push(outcome.rate);
      waits.get(variant.key)!.push(outcome.lockWaitsPerClaim);
    }
  }
  const waitsOf = (key: string) => summarise(waits.get(key)!, '').median.toFixed(3);
  const jobCounts = [...sizes].map(([key, list]) => `${key} ${list.join('/')}`).join(', ');
  const fig = (key: string) => summarise(samples.get(key)!, 'jobs/s');
  const atLeast500 = { text: '≥ 500 jobs/s', check: (_r: number, q: number) => q >= 500 };
  const noCollapse = { text: '≥ 1.0×', check: (r: number) => r >= 1.0 };
  const note =
    `Qubit jobs enqueued as the server does (record, status, event; first run ${FIRST_RUN_JOBS}, later runs sized to ` +
    `~${RUN_SECONDS} s; per run: ${jobCounts}) and moved in at once under spooler processes that are up and idle ` +
    `(as \`qspool spooler\` runs them: echo mode, experiments in a worker thread; ${WARM_UP_JOBS_PER_SPOOLER} warm-up jobs per ` +
    `spooler first); timed until nothing is queued or ` +
    `running. BullMQ: the same jobs added first, then the workers released together. Redis without persistence. 2 ` +
    `cores: two spoolers share them with the storage's own work. Waits for another process's write lock per claim ` +
    `(median of runs): 1 spooler ${waitsOf('q1')}, 2 spoolers ${waitsOf('q2')}; fsync off ${waitsOf('q1-nofsync')} and ` +
    `${waitsOf('q2-nofsync')}.`;
  return [
    compared('4a spooler throughput, 1 spooler', fig('q1'), fig('b1'), 'BullMQ, 1 worker', atLeast500, note),
    compared('4b spooler throughput, 2 spoolers', fig('q2'), fig('q1'), '1 spooler', noCollapse),
    compared('4c 1 spooler, fsync off', fig('q1-nofsync'), fig('b1'), 'BullMQ, 1 worker', atLeast500),
    compared('4d 2 spoolers, fsync off', fig('q2-nofsync'), fig('q1-nofsync'), '1 spooler', noCollapse),
    compared('4e BullMQ, 2 workers', fig('b2'), fig('b1'), '1 worker'),
  ];
}
