// Row 9: outgrowing one machine. (a–c) Accepted v2 submits per second with 1, 2 and 3 `qspool serve` replicas on one
// local store (fsync on), autocannon's 64 connections split evenly over the replicas and the figures summed: on a
// 2-core machine more replicas cannot add cores, so the figure to show is that the shared store does not make the
// total collapse. (d–e) The cost of a claim on S3 (Ceph RGW in CI) with 100 and a deep queue (BENCH_S3_DEPTH,
// default 100,000) queued: flat, as on the local store (row 2). Configurations take turns run by run.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { startChild, type Child } from '../children.ts';
import { postJobBody, scratch, singlequditJob, type BenchContext } from '../context.ts';
import { benchProviders } from '../providers.ts';
import { summarise } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';
import { measureClaims } from './claim.ts';
import { CONNECTIONS, fire, SERVER_ENV, template, type Sample } from './submit.ts';

const REPLICAS = [1, 2, 3];
const WARMUP_SECONDS = 1;

/** Starts `count` replicas on one copy of the template store and fires at all of them at once; the summed answers. */
async function runReplicas(context: BenchContext, users: { dir: string; tokens: string[] }, count: number): Promise<Sample> {
  const data = await scratch(context, `replicas${count}`);
  await cp(users.dir, data.dir, { recursive: true });
  const replicas: Child[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      replicas.push(await startChild(`qspool replica ${i}`, 'qspool-server.ts', { ...SERVER_ENV, QSPOOL_DATA_DIR: data.dir, QSPOOL_FSYNC: 'true', BENCH_USERS: '0' }));
    }
    // Each replica gets its share of the connections, each connection a user of its own, as behind a load balancer.
    const share = (i: number) => users.tokens.filter((_, n) => n % count === i).map((token) => postJobBody(singlequditJob(), token));
    const fireAll = (seconds: number) => Promise.all(replicas.map((replica, i) => fire(replica.ready.url!, share(i), seconds, share(i).length)));
    await fireAll(WARMUP_SECONDS);
    const samples = await fireAll(context.seconds);
    return {
      accepted: samples.reduce((sum, s) => sum + s.accepted, 0),
      p50: Math.max(...samples.map((s) => s.p50)),
      p99: Math.max(...samples.map((s) => s.p99)),
      refused: samples.reduce((sum, s) => sum + s.refused, 0),
    };
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await data.done();
  }
}

async function submitFigures(context: BenchContext): Promise<TableRow[]> {
  const users = await template(context);
  const samples = new Map<number, Sample[]>(REPLICAS.map((count) => [count, []]));
  for (let run = 1; run <= context.runs; run += 1) {
    for (const count of REPLICAS) {
      context.log(`row 9: ${count} replica(s), run ${run}/${context.runs}`);
      samples.get(count)!.push(await runReplicas(context, users, count));
    }
  }
  const accepted = (count: number) => summarise(samples.get(count)!.map((s) => s.accepted), 'jobs/s');
  const p99 = (count: number) => `${Math.max(...samples.get(count)!.map((s) => s.p99))} ms`;
  const refused = REPLICAS.map((count) => `${count}: ${samples.get(count)!.map((s) => s.refused).join('/')}`).join(', ');
  const how =
    `autocannon, ${CONNECTIONS} connections in all × ${context.seconds} s after a ${WARMUP_SECONDS} s warm-up, split evenly over the ` +
    `replicas (one autocannon per replica, run at once, accepted/s summed); v2 post_job with a singlequdit job, one user per ` +
    `connection; every replica a \`qspool serve\` process on one local store (fsync on), rate limit off, a quota no run reaches; ` +
    `fresh store per run. Worst replica's p99: ${REPLICAS.map((count) => `${count}: ${p99(count)}`).join(', ')}. Non-2xx/errors per run: ${refused}.`;
  const noCollapse = { text: '≥ 0.8× one', check: (ratio: number) => ratio >= 0.8 };
  return [
    { row: '9a submit, 1 replica', qspool: accepted(1), peer: '—', goal: '—', note: how },
    compared('9b submit, 2 replicas, one store', accepted(2), accepted(1), '1 replica', noCollapse),
    compared('9c submit, 3 replicas, one store', accepted(3), accepted(1), '1 replica', noCollapse),
  ];
}

async function s3ClaimFigures(context: BenchContext): Promise<TableRow[]> {
  const deep = Number(process.env.BENCH_S3_DEPTH ?? 100_000);
  const { available, skipped } = benchProviders((name) => join(context.workDir, `store-${name}`));
  const s3 = available.find((provider) => provider.name === 's3');
  if (!s3) {
    const why = skipped.find((line) => line.startsWith('s3')) ?? 's3 unavailable';
    return [{ row: '9d–e claim on S3', qspool: `skipped: ${why}`, peer: '—', goal: '—' }];
  }
  const figures = await measureClaims(context, s3, [[100, 'depth100'], [deep, 'deep']]);
  const how =
    `Like row 2 on the S3 provider (${process.env.S3_ENDPOINT}): mean of 10 consecutive JobLifecycle.claim() calls (the schedule's ` +
    `head, get, conditional move, status, entry removal) per run; queued-job objects seeded concurrently (64 writes in flight per ` +
    `seeder process, one per core), ${deep.toLocaleString('en-US')} deep.`;
  return [
    { row: '9d claim @100 queued [s3]', qspool: figures.get(100)!, peer: '—', goal: '—', note: how },
    compared(`9e claim @${deep.toLocaleString('en-US')} queued [s3]`, figures.get(deep)!, figures.get(100)!, '@100', { text: '≤ 1.5×', check: (r) => r <= 1.5 }),
  ];
}

export async function replicaRows(context: BenchContext): Promise<TableRow[]> {
  return [...(await submitFigures(context)), ...(await s3ClaimFigures(context))];
}
