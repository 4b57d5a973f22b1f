// Syscalls of the server per accepted submission (README, "Syscalls per job"): a qspool server as row 1 runs it
// (local storage, fsync on, 64 users), strace -c -f attached to its process while autocannon posts REQUESTS
// (default 4000) v2 post_job requests over 64 connections after a warm-up of 2000. Unlike a timing, the count does
// not depend on what else the machine runs. Needs strace: `node --import tsx bench/server-syscalls.ts`.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startChild, type Child } from './children.ts';
import { postJobBody, singlequditJob } from './context.ts';
import { CONNECTIONS, SERVER_ENV } from './rows/submit.ts';

const REQUESTS = Number(process.env.REQUESTS ?? 4000);
const WARMUP = 2000;

async function post(server: Child, bodies: string[], amount: number): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url: `${server.ready.url}/api/v2/singlequdit/post_job`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    amount,
    setupClient: (client) => client.setBody(bodies[next++ % bodies.length]!),
  });
  return result['2xx'];
}

/** strace -c's table as calls per name. */
function counts(table: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const name = fields[fields.length - 1]!;
    if (!/^\d/.test(fields[0] ?? '') || name === 'total') continue;
    calls.set(name, Number(fields[3]));
  }
  return calls;
}

const dir = await mkdtemp(join(tmpdir(), 'qspool-server-syscalls-'));
try {
  const setup = await startChild('qspool server', 'qspool-server.ts', { ...SERVER_ENV, QSPOOL_DATA_DIR: dir, QSPOOL_FSYNC: 'false', BENCH_PUBLISH: 'singlequdit', BENCH_USERS: String(CONNECTIONS) });
  await setup.stop();
  const server = await startChild('qspool server', 'qspool-server.ts', { ...SERVER_ENV, QSPOOL_DATA_DIR: dir, QSPOOL_FSYNC: 'true', BENCH_USERS: '0' });
  try {
    const bodies = setup.ready.tokens!.map((token) => postJobBody(singlequditJob(), token));
    await post(server, bodies, WARMUP);
    const output = join(dir, 'strace.txt');
    const tracer = spawn('strace', ['-c', '-f', '-p', String(server.process.pid), '-o', output], { stdio: 'ignore' });
    const traced = new Promise((resolve) => tracer.once('exit', resolve));
    // strace attaches to every thread before it counts; requests sent earlier would go uncounted.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const accepted = await post(server, bodies, REQUESTS);
    tracer.kill('SIGINT');
    await traced;
    const calls = counts(await readFile(output, 'utf8'));
    const total = [...calls.values()].reduce((sum, n) => sum + n, 0);
    const largest = [...calls].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`${accepted} accepted; syscalls per submission ${(total / accepted).toFixed(1)}: ${largest.map(([name, n]) => `${name} ${(n / accepted).toFixed(2)}`).join(', ')}`);
  } finally {
    await server.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
