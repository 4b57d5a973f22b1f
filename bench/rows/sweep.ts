// Row 8: a parameter sweep as the qlued notebooks send it: 1,000 one-shot singlequdit jobs posted through v2
// post_job by 8 clients at once (each its own user, keep-alive, one request in flight per client), against a server
// and one idle spooler on local storage with fsync on. Measured: from the first post until every job is accepted,
// and until every job's status says DONE (read from the store, so the measurement adds no HTTP load).
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

async function allDone(storage: LocalProvider, ids: string[]): Promise<boolean> {
  for (const id of ids) {
    if ((await storage.get<StatusRecord>(ns.status('singlequdit'), id))?.value.status !== 'DONE') return false;
  }
  return true;
}

async function sweepOnce(context: BenchContext): Promise<Sweep> {
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
    const job = singlequditJob(1);
    // One job per client first: connections, the schema compiler and the spooler's thread are warm.
    const warmUp = await Promise.all(tokens.map((token) => submitOnly(url, 'singlequdit', job, token)));
    while (!(await allDone(storage, warmUp))) await sleep(DONE_POLL_MS);

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
  } finally {
    for (const child of children) await child.stop();
    await storage.close();
    await data.done();
  }
}

export async function sweepRows(context: BenchContext): Promise<TableRow[]> {
  const sweeps: Sweep[] = [];
  for (let run = 1; run <= context.runs; run += 1) {
    context.log(`row 8: sweep of ${JOBS} jobs, run ${run}/${context.runs}`);
    sweeps.push(await sweepOnce(context));
  }
  const accepted = summarise(sweeps.map((s) => s.acceptedS * 1000), 'ms');
  const done = summarise(sweeps.map((s) => s.doneS * 1000), 'ms');
  const note =
    `${JOBS} one-shot singlequdit jobs through v2 post_job from ${CLIENTS} concurrent clients (own user each, keep-alive, ` +
    `one request in flight per client), one spooler, fsync on; DONE read from the store's statuses every ${DONE_POLL_MS} ms.`;
  return [
    { row: '8a sweep of 1,000 jobs, all accepted', qspool: accepted, peer: 'none', goal: '< 1 s', met: accepted.median < 1000, note },
    { row: '8b sweep of 1,000 jobs, all DONE', qspool: done, peer: 'none', goal: '< 5 s', met: done.median < 5000 },
  ];
}
