// `qspool serve --workers 2` as an operator runs it: two server processes on one port behind a primary, one
// /metrics for both, a worker that dies restarted without losing what it acknowledged, and a clean stop, also while
// the workers are still starting.
import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserService } from '../server/services/users.ts';
import { createBackend } from '../spooler/backends/index.ts';
import { publishedConfig } from '../spooler/backend.ts';
import { LocalProvider } from '../storage/local/index.ts';
import { ns } from '../storage/records.ts';
import { spawnQspool } from './support/qspool-process.ts';
import { eventually, isAlive } from './support/system.ts';

interface LogLine {
  msg?: string;
  pid?: number;
  worker?: number;
  url?: string;
  path?: string;
  status?: number;
}

const JOB = { experiment_0: { instructions: [['load', [0], [5]], ['measure', [0], []]], shots: 3, num_wires: 1, wire_order: 'interleaved' } };

describe('qspool serve --workers 2', function () {
  this.timeout(60_000);
  let dataDir: string;
  let token: string;
  let child: ChildProcess;
  let lines: LogLine[] = [];
  let url: string;
  const submitted = new Set<string>();

  const listening = () => lines.filter((line) => line.msg === 'server listening');
  /**
   * Asks `GET /api/v1<path>` with the token in bursts until both workers have answered `status` (their log lines
   * arrive on their own time); every status answered meanwhile goes into `statuses`. Answers the workers' numbers.
   */
  const untilBothAnswered = (path: string, bearer: string, status: number, statuses: number[] = []) => {
    const since = lines.length;
    const answeredBy = () => {
      const by = new Set(lines.slice(since).filter((line) => line.path === `/api/v1${path}` && line.status === status).map((line) => line.worker));
      return by.size === 2 ? by : undefined;
    };
    const ask = async () => (await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${bearer}` } })).status;
    return eventually(async () => {
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, ask))));
      return answeredBy();
    });
  };
  const submit = async (count: number) => {
    const answers = await Promise.all(
      Array.from({ length: count }, async () => {
        const response = await fetch(`${url}/api/v2/singlequdit/post_job`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ job: JSON.stringify(JOB), token }),
        });
        return { status: response.status, body: (await response.json()) as { job_id: string } };
      }),
    );
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      submitted.add(answer.body.job_id);
    }
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'qspool-workers-'));
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    token = (await new UserService(storage, { scryptLogN: 10, defaultMaxPriority: 5 }).ensureUserWithToken('alice')).token;
    await storage.put(ns.configs, 'singlequdit', publishedConfig(createBackend('singlequdit')!, { maxInstructions: 100, maxHilbertDimension: 1024 }));
    await storage.close();
    child = spawn(process.execPath, ['scripts/qspool.mjs', 'serve', '--workers', '2', '--port', '0'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', QSPOOL_RATE_PER_SECOND: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString();
      const complete = text.split('\n');
      pending = complete.pop()!;
      lines = lines.concat(complete.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine));
    });
    // The primary's line can come before a worker's own: each process writes its lines in its own time.
    await eventually(async () => (lines.some((line) => line.msg === 'all workers listening') && new Set(listening().map((line) => line.worker)).size === 2) || undefined, 30_000);
    url = listening()[0]!.url!;
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const { pid } of listening()) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves one port from two processes and counts every request once in one /metrics', async () => {
    const workers = new Set(listening().map((line) => line.pid));
    expect(workers.size, 'worker processes').to.equal(2);
    expect(workers.has(child.pid), 'the primary serves nothing').to.equal(false);
    await submit(40);
    const served = await eventually(async () => {
      const by = new Set(lines.filter((line) => line.path === '/api/v2/singlequdit/post_job').map((line) => line.worker));
      return by.size === 2 ? by : undefined;
    });
    expect([...served].sort()).to.deep.equal([0, 1]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).to.include('qspool_http_requests_total{method="POST",route="/api/v2/:backend/post_job",status="200"} 40');
    // Read from storage by one worker only: the sum over workers would say 80.
    expect(metrics).to.match(/^qspool_backend_queue_depth\{backend="singlequdit"\} 40$/m);
  });

  it('restarts a worker that dies; what it acknowledged stays queued', async () => {
    const victim = listening().find((line) => line.worker === 1)!.pid!;
    process.kill(victim, 'SIGKILL');
    const replacement = await eventually(async () => listening().find((line) => line.worker === 1 && line.pid !== victim), 20_000);
    expect(isAlive(replacement.pid!)).to.equal(true);
    await submit(20);
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    const queued = await storage.list(ns.queued('singlequdit'), { limit: 1000 });
    await storage.close();
    expect(queued.sort()).to.deep.equal([...submitted].sort());
    expect(queued).to.have.length(60);
  });

  it('refuses a token in both workers as soon as one of them has revoked it', async () => {
    const auth = { authorization: `Bearer ${token}` };
    // Both workers first take the token (so both hold it in their credential caches).
    await untilBothAnswered('/jobs', token, 200);
    const listed = (await (await fetch(`${url}/api/v1/tokens`, { headers: auth })).json()) as { tokens: { id: string }[] };
    const revoked = await fetch(`${url}/api/v1/tokens/${listed.tokens[0]!.id}`, { method: 'DELETE', headers: auth });
    expect(revoked.status).to.equal(204);
    const statuses: number[] = [];
    expect([...(await untilBothAnswered('/jobs', token, 401, statuses))].sort()).to.deep.equal([0, 1]);
    expect(new Set(statuses)).to.deep.equal(new Set([401]));
  });

  it('refuses an access token in both workers as soon as one of them has ended it by logging out', async () => {
    const account = { username: 'bea', password: 'correct horse battery' };
    const post = (path: string, body: unknown) =>
      fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/users', { ...account, email: 'bea@example.org' })).status).to.equal(201);
    const login = async () => ((await (await post('/auth/token', account)).json()) as { access_token: string }).access_token;
    const [ended, other] = [await login(), await login()];
    // Both workers first take the token (so both hold its session in their caches).
    await untilBothAnswered('/users/me', ended, 200);
    const loggedOut = await fetch(`${url}/api/v1/auth/token`, { method: 'DELETE', headers: { authorization: `Bearer ${ended}` } });
    expect(loggedOut.status).to.equal(204);
    const statuses: number[] = [];
    expect([...(await untilBothAnswered('/users/me', ended, 401, statuses))].sort()).to.deep.equal([0, 1]);
    expect(new Set(statuses)).to.deep.equal(new Set([401]));
    const stillIn: number[] = [];
    await untilBothAnswered('/users/me', other, 200, stillIn);
    expect(new Set(stillIn)).to.deep.equal(new Set([200]));
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = listening().map((line) => line.pid!).filter(isAlive);
    expect(workers).to.have.length(2);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(workers.filter(isAlive), 'workers left running').to.deep.equal([]);
  });
});

describe('qspool serve --workers 2 stopped while its workers start', function () {
  this.timeout(60_000);

  it('stops them as soon as they are up, not after the 30 s deadline', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'qspool-workers-starting-'));
    const serve = spawnQspool(['serve', '--workers', '2', '--port', '0'], { QSPOOL_DATA_DIR: dataDir, QSPOOL_FSYNC: 'false', LOG_LEVEL: 'info' });
    try {
      // Both forked (in slot order), so the primary handles signals; a worker takes far longer to load and listen.
      await serve.line((line) => line.msg === 'worker forked' && line.slot === 1);
      const workers = serve.lines.filter((line) => line.msg === 'worker forked').map((line) => Number(line.pid));
      const asked = Date.now();
      serve.child.kill('SIGTERM');
      expect((await serve.exited).code, serve.output()).to.equal(0);
      expect(Date.now() - asked).to.be.below(25_000);
      expect(serve.lines.map((line) => line.msg)).to.not.include('workers did not stop in time; killing them');
      expect(workers.filter(isAlive), 'workers left running').to.deep.equal([]);
    } finally {
      serve.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
