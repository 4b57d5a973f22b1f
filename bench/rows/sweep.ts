// Row 8: a parameter sweep as the qlued notebooks send it: 1,000 one-shot singlequdit jobs posted through v2
// post_job by 8 clients at once (each its own user, keep-alive, one request in flight per client), against a server
// and one idle spooler on local storage with fsync on. Measured: from the first post until every job is accepted,
// and until every job's status says DONE (read from the store, so the measurement adds no HTTP load). Each run
// measures two sweeps on fresh processes: the first right after start (8c–d: code not yet optimised by V8's JIT),
// and, once it is DONE, a second one: a server that has been running, as rows 1, 3 and 4 measure it (8a–b).
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalProvider } from '../../storage/local/index.ts';
import { ns, type StatusRecord } from '../../storage/records.ts';
import { startChild, type Child } from '../children.ts';
import { submitOnly } from '../client.ts';
import { scratch, singlequditJob, type BenchContext } from '../context.ts';
import { summarise } from '../stats.ts';
import type { TableRow } from '../table.ts';

const JOBS = 1000;
const CLIENTS = 8;
const DONE_POLL_MS = 20;

interface Sweep {
  acceptedS: number;
  doneS: number;
}

interface Run {
  cold: Sweep;
  warm: Sweep;
}

async function allDone(storage: LocalProvider, ids: string[]): Promise<boolean> {
  for (const id of ids) {
    if ((await storage.get<StatusRecord>(ns.status('singlequdit'), id))?.value.status !== 'DONE') return false;
  }
  return true;
}

/** Posts one sweep and waits until every job is DONE. */
async function sweep(context: BenchContext, url: string, tokens: string[], storage: LocalProvider): Promise<Sweep> {
  const job = singlequditJob(1);
  const started = performance.now();
  const ids: string[] = [];
  await Promise.all(
    tokens.map(async (token, client) => {
      for (let i = client; i < JOBS; i += CLIENTS) ids.push(await submitOnly(url, 'singlequdit', job, token));
    }),
  );
  const acceptedS = (performance.now() - started) / 1000;
  while (!(await allDone(storage, ids))) await sleep(DONE_POLL_MS);
  const doneS = (performance.now() - started) / 1000;
  context.log(`  ${JOBS} jobs accepted in ${acceptedS.toFixed(2)} s, all DONE after ${doneS.toFixed(2)} s`);
  return { acceptedS, doneS };
}

async function sweepOnce(context: BenchContext): Promise<Run> {
  const data = await scratch(context, 'sweep');
  const env = { QSPOOL_DATA_DIR: data.dir, QSPOOL_RATE_PER_SECOND: '0', QSPOOL_MAX_QUEUED_PER_USER: '100000' };
  const children: Child[] = [];
  const storage = new LocalProvider({ root: data.dir, fsync: false });
  try {
    children.push(await startChild('qspool spooler', 'qspool-spooler.ts', { ...env, BENCH_BACKEND: 'singlequdit' }));
    const server = await startChild('qspool server', 'qspool-server.ts', { ...env, BENCH_USERS: String(CLIENTS) });
    children.push(server);
    const url = server.ready.url!;
    const tokens = server.ready.tokens!;
    // One job per client first: connections, the schema compiler and the spooler's thread are ready.
    const warmUp = await Promise.all(tokens.map((token) => submitOnly(url, 'singlequdit', singlequditJob(1), token)));
    while (!(await allDone(storage, warmUp))) await sleep(DONE_POLL_MS);
    const cold = await sweep(context, url, tokens, storage);
    return { cold, warm: await sweep(context, url, tokens, storage) };
  } finally {
    for (const child of children) await child.stop();
    await storage.close();
    await data.done();
  }
}

export async function sweepRows(context: BenchContext): Promise<TableRow[]> {
  const runs: Run[] = [];
  for (let run = 1; run <= context.runs; run += 1) {
    context.log(`row 8: two sweeps of ${JOBS} jobs, run ${run}/${context.runs}`);
    runs.push(await sweepOnce(context));
  }
  const figure = (pick: (run: Run) => Sweep, field: keyof Sweep) => summarise(runs.map((run) => pick(run)[field] * 1000), 'ms');
  const [accepted, done] = [figure((run) => run.warm, 'acceptedS'), figure((run) => run.warm, 'doneS')];
  const note =
    `${JOBS} one-shot singlequdit jobs through v2 post_job from ${CLIENTS} concurrent clients (own user each, keep-alive, ` +
    `one request in flight per client), one spooler, fsync on; DONE read from the store's statuses every ${DONE_POLL_MS} ms. ` +
    `Per run, fresh server and spooler: 8c–d are the first sweep after start, 8a–b the second, once the first is DONE.`;
  return [
    { row: '8a sweep of 1,000 jobs, all accepted', qspool: accepted, peer: 'none', goal: '< 1 s', met: accepted.median < 1000, note },
    { row: '8b sweep of 1,000 jobs, all DONE', qspool: done, peer: 'none', goal: '< 5 s', met: done.median < 5000 },
    { row: '8c first sweep after start, accepted', qspool: figure((run) => run.cold, 'acceptedS'), peer: 'none', goal: '—' },
    { row: '8d first sweep after start, all DONE', qspool: figure((run) => run.cold, 'doneS'), peer: 'none', goal: '—' },
  ];
}
