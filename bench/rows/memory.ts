// Row 6: resident memory of the server and of a spooler with 100,000 jobs queued. qspool: the server and a qubit
// (echo) spooler as separate processes on a local store holding 100,000 queued jobs; peer: the BullMQ Koa app and a
// BullMQ worker with 100,000 jobs in Redis. Both servers first answer the same small workload; both consumers
// have been working on the deep queue for a while when sampled.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalProvider } from '../../storage/local/index.ts';
import { startChild, type Child } from '../children.ts';
import { submitOnly } from '../client.ts';
import { qubitJob, type BenchContext } from '../context.ts';
import { DEEP_BACKEND, fillTo, localStoreDir } from '../deep-queue.ts';
import { openQueue, redisConnection } from '../peers/bullmq-queue.ts';
import { summarise, type Figure } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';

const DEPTH = 100_000;
const WORKLOAD = 200;
const RUN_BEFORE_SAMPLING_MS = 2000;
const MiB = 2 ** 20;

/** RSS samples of a process, half a second apart. */
async function sampleRss(child: { rss(): number }, runs: number): Promise<Figure> {
  const values: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    if (i > 0) await sleep(500);
    values.push(child.rss() / MiB);
  }
  return summarise(values, 'MiB');
}

/** The same small workload for both servers: submissions, then status polls of each submitted job. */
async function workload(url: string, token: string, backendStatus: boolean): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < WORKLOAD; i += 1) ids.push(await submitOnly(url, DEEP_BACKEND, qubitJob(), token));
  for (const id of ids) await fetch(`${url}/api/v2/${DEEP_BACKEND}/get_job_status?job_id=${id}&token=${token}`).then((r) => r.arrayBuffer());
  // qlued's backend status counts the queue: the server's one request that reads all 100,000 entries.
  if (backendStatus) await fetch(`${url}/api/v2/${DEEP_BACKEND}/get_backend_status`).then((r) => r.arrayBuffer());
}

async function qspoolFigures(context: BenchContext): Promise<{ server: Figure; spooler: Figure; disk: string }> {
  const root = localStoreDir(context);
  const spec = { type: 'local' as const, root, fsync: false };
  const seeder = new LocalProvider(spec);
  context.log(`row 6: filling the local store to ${DEPTH} queued jobs`);
  await fillTo(context, seeder, spec, DEEP_BACKEND, DEPTH);
  await seeder.close();
  const env = { QSPOOL_DATA_DIR: root, QSPOOL_RATE_PER_SECOND: '0', QSPOOL_QUBIT_MODE: 'echo' };
  const children: Child[] = [];
  try {
    context.log('row 6: qspool server and spooler');
    const server = await startChild('qspool server', 'qspool-server.ts', { ...env, BENCH_PUBLISH: DEEP_BACKEND });
    children.push(server);
    await workload(server.ready.url!, server.ready.tokens![0]!, true);
    const serverRss = await sampleRss(server, context.runs);
    const spooler = await startChild('qspool spooler', 'qspool-spooler.ts', { ...env, BENCH_BACKEND: DEEP_BACKEND });
    children.push(spooler);
    await sleep(RUN_BEFORE_SAMPLING_MS);
    const spoolerRss = await sampleRss(spooler, context.runs);
    const disk = execFileSync('du', ['-sh', root], { encoding: 'utf8' }).split('\t')[0]!;
    return { server: serverRss, spooler: spoolerRss, disk };
  } finally {
    for (const child of children) await child.stop();
  }
}

async function bullmqFigures(context: BenchContext): Promise<{ server: Figure; worker: Figure; redis: Figure }> {
  const connection = redisConnection(context.redis.url);
  const queue = openQueue(connection);
  const children: Child[] = [];
  try {
    context.log(`row 6: ${DEPTH} jobs into BullMQ`);
    await queue.obliterate({ force: true });
    const data = { backend: DEEP_BACKEND, payload: qubitJob() };
    for (let i = 0; i < DEPTH; i += 1000) await queue.addBulk(Array.from({ length: 1000 }, () => ({ name: 'job', data })));
    const app = await startChild('BullMQ Koa', 'bullmq-koa.ts', { REDIS_URL: context.redis.url });
    children.push(app);
    await workload(app.ready.url!, 'none', false);
    const server = await sampleRss(app, context.runs);
    const worker = await startChild('BullMQ worker', 'bullmq-worker.ts', { REDIS_URL: context.redis.url });
    children.push(worker);
    worker.send({ type: 'go' });
    await sleep(RUN_BEFORE_SAMPLING_MS);
    const workerRss = await sampleRss(worker, context.runs);
    const redis = await sampleRss(context.redis, context.runs);
    return { server, worker: workerRss, redis };
  } finally {
    for (const child of children) await child.stop();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

export async function memoryRows(context: BenchContext): Promise<TableRow[]> {
  const qspool = await qspoolFigures(context);
  const bullmq = await bullmqFigures(context);
  const note =
    `RSS from /proc of the child processes, ${context.runs} samples 0.5 s apart: the server after ${WORKLOAD} post_job + ${WORKLOAD} ` +
    `get_job_status (+ one get_backend_status for qspool, which counts the queue); the consumer after ${RUN_BEFORE_SAMPLING_MS / 1000} s ` +
    `of working on the ${DEPTH.toLocaleString('en-US')}-job queue.`;
  return [
    compared('6a server RSS, 100k queued', qspool.server, bullmq.server, 'BullMQ Koa app', undefined, note),
    compared('6b spooler RSS, 100k queued', qspool.spooler, bullmq.worker, 'BullMQ worker'),
    { row: '6c queue storage, 100k queued', qspool: `on disk ${qspool.disk}B`, peer: bullmq.redis, peerName: 'redis-server RSS', goal: '—' },
  ];
}
