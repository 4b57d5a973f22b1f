// Row 1: submit throughput. autocannon (64 connections) against qspool's v2 post_job on local storage with fsync
// on (the server in its own process, every connection a different user), against (a) a bare Koa route answering
// the same JSON (the ceiling) and (b) a Koa route enqueuing the same job into BullMQ on the local Redis.
// Targets take turns run by run, so a noisy neighbour on the shared machine hurts all of them alike.
import { cp } from 'node:fs/promises';
import autocannon from 'autocannon';
import { startChild, type Child } from '../children.ts';
import { postJobBody, scratch, singlequditJob, type BenchContext } from '../context.ts';
import { emptyQueue } from '../peers/bullmq-queue.ts';
import { formatNumber, summarise, type Figure } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';

export const CONNECTIONS = 64;
/** Server processes of row 1e (`qspool serve --workers 2`): one per core of the machine the goals are set for. */
const WORKERS = 2;
const WARMUP_SECONDS = 1;

interface Target {
  name: string;
  start(): Promise<{ child: Child; tokens?: string[]; done(): Promise<void> }>;
}

export interface Sample {
  accepted: number;
  p50: number;
  p99: number;
  refused: number;
}

/** One autocannon run of v2 post_job against `url`, `connections` at once (a body, i.e. a user, per connection). */
export async function fire(url: string, bodies: string[], seconds: number, connections = CONNECTIONS): Promise<Sample> {
  let next = 0;
  const result = await autocannon({
    url: `${url}/api/v2/singlequdit/post_job`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
    // Each connection is one client with its own token (qspool counts queued jobs per user).
    setupClient: (client) => client.setBody(bodies[next++ % bodies.length]!),
  });
  return { accepted: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, refused: result.non2xx + result.errors };
}

/** The server's settings for every run. */
export const SERVER_ENV = {
  // The bench measures capacity: no per-credential rate limit, and a queue quota no run reaches.
  QSPOOL_RATE_PER_SECOND: '0',
  QSPOOL_MAX_QUEUED_PER_USER: '1000000',
};

/** A store with the backend config and one user per connection, copied for every run (creating users is slow). */
export async function template(context: BenchContext): Promise<{ dir: string; tokens: string[] }> {
  const data = await scratch(context, 'submit-template');
  const child = await startChild('qspool server', 'qspool-server.ts', {
    ...SERVER_ENV,
    QSPOOL_DATA_DIR: data.dir,
    QSPOOL_FSYNC: 'false',
    BENCH_PUBLISH: 'singlequdit',
    BENCH_USERS: String(CONNECTIONS),
  });
  await child.stop();
  return { dir: data.dir, tokens: child.ready.tokens! };
}

/** qspool as `qspool serve` runs it, with one server process or (`workers` > 1) a cluster of them on one port. */
function qspoolTarget(context: BenchContext, users: { dir: string; tokens: string[] }, workers = 1): Target {
  return {
    name: workers === 1 ? 'qspool' : `qspool, ${workers} workers`,
    async start() {
      const data = await scratch(context, 'submit');
      await cp(users.dir, data.dir, { recursive: true });
      const entry = workers === 1 ? 'qspool-server.ts' : 'qspool-cluster.ts';
      const child = await startChild('qspool server', entry, {
        BENCH_WORKERS: String(workers),
        ...SERVER_ENV,
        QSPOOL_DATA_DIR: data.dir,
        QSPOOL_FSYNC: 'true',
        BENCH_USERS: '0',
      });
      return { child, tokens: users.tokens, done: data.done };
    },
  };
}

function peerTarget(name: string, entry: string, env: Record<string, string> = {}, done = async (): Promise<void> => undefined): Target {
  return { name, start: async () => ({ child: await startChild(name, entry, env), done }) };
}

export async function submitRows(context: BenchContext): Promise<TableRow[]> {
  const users = await template(context);
  const targets = [
    qspoolTarget(context, users),
    qspoolTarget(context, users, WORKERS),
    peerTarget('bare Koa', 'bare-koa.ts'),
    peerTarget('BullMQ', 'bullmq-koa.ts', { REDIS_URL: context.redis.url }, () => emptyQueue(context.redis.url)),
  ];
  const samples = new Map<string, Sample[]>(targets.map((target) => [target.name, []]));
  for (let run = 1; run <= context.runs; run += 1) {
    for (const target of targets) {
      context.log(`row 1: ${target.name}, run ${run}/${context.runs}`);
      const { child, tokens = ['none'], done } = await target.start();
      try {
        const bodies = tokens.map((token) => postJobBody(singlequditJob(), token));
        await fire(child.ready.url!, bodies, WARMUP_SECONDS);
        samples.get(target.name)!.push(await fire(child.ready.url!, bodies, context.seconds));
      } finally {
        await child.stop();
        await done();
      }
    }
  }
  const figure = (name: string, pick: (sample: Sample) => number, unit: string): Figure => summarise(samples.get(name)!.map(pick), unit);
  const jobs = (name: string) => figure(name, (s) => s.accepted, 'jobs/s');
  const p50 = (name: string) => figure(name, (s) => s.p50, 'ms');
  const p99 = (name: string) => figure(name, (s) => s.p99, 'ms');
  const clustered = `qspool, ${WORKERS} workers`;
  const refused = [...samples].map(([name, list]) => `${name} ${list.map((s) => s.refused).join('/')}`).join(', ');
  const how =
    `autocannon, ${CONNECTIONS} connections × ${context.seconds} s after a ${WARMUP_SECONDS} s warm-up, fresh process and store per run; ` +
    `v2 post_job with a singlequdit job, 64 users (one per connection); qspool as shipped (local storage, fsync on, info logs to ` +
    `/dev/null) but with the rate limit off and a quota no run reaches, as one process (1a–d) and as \`qspool serve --workers ${WORKERS}\` (1e–f); BullMQ on Redis without persistence (redis.sh). ` +
    `Bare Koa latency p50 ${formatNumber(p50('bare Koa').median)} ms, p99 ${formatNumber(p99('bare Koa').median)} ms. ` +
    `Non-2xx/errors per run: ${refused}.`;
  return [
    compared('1a submit, accepted', jobs('qspool'), jobs('bare Koa'), 'bare Koa', { text: '≥ 0.5×', check: (r) => r >= 0.5 }, how),
    compared('1b submit, accepted', jobs('qspool'), jobs('BullMQ'), 'BullMQ', { text: '≥ 1.0×', check: (r) => r >= 1.0 }),
    compared('1c submit latency p50', p50('qspool'), p50('BullMQ'), 'BullMQ'),
    compared('1d submit latency p99', p99('qspool'), p99('BullMQ'), 'BullMQ'),
    compared(`1e submit, accepted, ${WORKERS} workers`, jobs(clustered), jobs('bare Koa'), 'bare Koa', { text: '≥ 0.5×', check: (r) => r >= 0.5 }),
    compared(`1f submit, accepted, ${WORKERS} workers`, jobs(clustered), jobs('BullMQ'), 'BullMQ', { text: '≥ 1.0×', check: (r) => r >= 1.0 }),
  ];
}
