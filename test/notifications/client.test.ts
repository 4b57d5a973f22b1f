// The typed client (scripts/client) and the commands built on it: `qspool login` saving credentials with mode 0600,
// `qspool job submit --wait` through the real binary (plain status lines off a terminal, exit 0 on DONE), the exit
// codes and --json output of `job watch|status|list|result|cancel`, the next-page command `job list` prints, and
// errors that name what failed (the server, the config file) without quoting a secret.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiError, ConnectionError, loadCredentials, QspoolClient, type JobList } from '../../scripts/client/index.ts';
import { runJobCancel, runJobList, runJobResult, runJobStatus, runJobWatch } from '../../scripts/commands/job.ts';
import { runLogin } from '../../scripts/commands/login.ts';
import { ENDED_SESSIONS_NS } from '../../storage/namespaces.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import { GOOD_JOB, PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';
import { runCommand as run } from '../support/command-output.ts';
import { startSpooler } from './support.ts';

describe('the qspool client and job commands', function () {
  this.timeout(40_000);
  let h: Harness;
  let spooler: Spooler;
  let token: string;
  let dir: string;
  const saved = { ...process.env };

  before(async () => {
    h = await startHarness({ QSPOOL_NOTIFY_POLL_MS: 50 });
    spooler = await startSpooler(h.storage);
    token = await h.user('olga');
    dir = await mkdtemp(join(tmpdir(), 'qspool-client-'));
    process.env.QSPOOL_CONFIG = join(dir, 'nested', 'config.json');
    delete process.env.QSPOOL_URL;
    delete process.env.QSPOOL_TOKEN;
  });
  after(async () => {
    for (const key of ['QSPOOL_CONFIG', 'QSPOOL_URL', 'QSPOOL_TOKEN']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await spooler.stop();
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('submits, follows a job to DONE through its events, and reads its result, with typed answers and errors', async () => {
    const client = new QspoolClient({ url: h.url, token });
    const job = await client.submit('singlequdit', GOOD_JOB, { tags: ['client'], notify: { email: [] } });
    const seen: string[] = [];
    const final = await client.waitFor(job.id, (event) => seen.push(event.status));
    expect(final.status).to.equal('DONE');
    expect(seen.at(-1)).to.equal('DONE');
    expect(['QUEUED,RUNNING,DONE', 'RUNNING,DONE', 'DONE']).to.include(seen.join(','));
    expect((await client.result(job.id)).status).to.equal('finished');
    expect((await client.list({ tag: 'client' })).jobs.map((j) => j.id)).to.deep.equal([job.id]);
    const refused = await client.cancel(job.id).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(ApiError).and.include({ status: 409, code: 'job_finished' });
    const anonymous = await new QspoolClient({ url: h.url }).me().catch((error: unknown) => error);
    expect(anonymous).to.be.instanceOf(ApiError).and.include({ status: 401 });
  });

  it('logs in with a token, saving it with mode 0600, and the job commands use it', async () => {
    const login = await run(() => runLogin({ url: h.url, token, json: true }));
    expect(JSON.parse(login.out)).to.include({ url: h.url, username: 'olga', config: process.env.QSPOOL_CONFIG });
    const file = process.env.QSPOOL_CONFIG!;
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).to.deep.equal({ url: h.url, token, username: 'olga' });

    const job = await new QspoolClient({ url: h.url, token }).submit('singlequdit', GOOD_JOB);
    const watched = await run(() => runJobWatch(job.id, { json: true }));
    expect(watched.code).to.equal(0);
    expect(JSON.parse(watched.out)).to.include({ id: job.id, status: 'DONE' });
    const status = await run(() => runJobStatus(job.id, {}));
    expect(status.out).to.match(/status\s*│\s*DONE/);
    const list = JSON.parse((await run(() => runJobList({ json: true, status: 'done' }))).out) as { jobs: { id: string }[] };
    expect(list.jobs.map((j) => j.id)).to.include(job.id);
    const result = JSON.parse((await run(() => runJobResult(job.id, {}))).out) as { job_id: string };
    expect(result.job_id).to.equal(job.id);
  });

  it('`qspool login` reads a piped password; with no username given, or no password to read, it exits 2 saying so (real binary)', async () => {
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const env = { ...process.env, QSPOOL_CONFIG: join(dir, 'login.json') };
    const login = (stdin: string, ...args: string[]) => {
      const running = promisify(execFile)(process.execPath, [bin, 'login', '--url', h.url, ...args], { env });
      running.child.stdin!.end(stdin);
      return running.then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    };
    const endedBefore = await h.storage.list(ENDED_SESSIONS_NS, { limit: 1000 });
    const piped = await login(`${PASSWORD}\n`, '--username', 'olga', '--json');
    expect([piped.code, JSON.parse(piped.stdout).username]).to.deep.equal([0, 'olga']);
    expect(piped.stderr).to.equal('');
    // The access token it logged in with is ended; the API token it saved works.
    const ended = (await h.storage.list(ENDED_SESSIONS_NS, { limit: 1000 })).filter((key) => !endedBefore.includes(key));
    expect(ended).to.have.length(1);
    expect((await h.storage.get(ENDED_SESSIONS_NS, ended[0]!))?.value).to.include({ username: 'olga' });
    const saved = JSON.parse(await readFile(env.QSPOOL_CONFIG, 'utf8')) as { token: string };
    expect((await h.call('GET', '/users/me', { token: saved.token })).status).to.equal(200);
    const noUsername = await login(`${PASSWORD}\n`, '--password-stdin');
    expect([noUsername.code, noUsername.stderr]).to.deep.equal([2, 'qspool: No username given and standard input is not a terminal: pass --username\n']);
    const noPassword = await login('', '--username', 'olga');
    expect([noPassword.code, noPassword.stderr]).to.deep.equal([2, 'qspool: No password given: standard input ended before a line (pipe the password in, or pass --token)\n']);
  });

  it('names the server it cannot reach, and quotes no secret fetch would refuse', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const unreachable = `http://127.0.0.1:${closed}`;
    const message = `Cannot reach ${unreachable}/ (ECONNREFUSED)`;
    const client = new QspoolClient({ url: unreachable, token });
    expect(await client.me().catch((error: unknown) => error)).to.be.instanceOf(ConnectionError).and.include({ message, url: `${unreachable}/` });
    const events = (async () => {
      for await (const _event of client.jobEvents('0123456789abcdef01234567', { retryMs: 1 }));
    })();
    expect(await events.catch((error: unknown) => error)).to.be.instanceOf(ConnectionError).and.include({ message });

    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const env = { ...process.env, QSPOOL_URL: unreachable, QSPOOL_TOKEN: token, QSPOOL_CONFIG: join(dir, 'absent.json'), QSPOOL_RETRIES: '0' };
    const failed = await promisify(execFile)(process.execPath, [bin, 'job', 'list'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect([failed.code, failed.stderr]).to.deep.equal([1, `qspool: ${message}\n`]);

    // fetch refuses both with messages of its own that quote them.
    const refusals = [() => new QspoolClient({ url: 'http://ada:s3cret-pw@127.0.0.1:8000' }), () => new QspoolClient({ url: h.url, token: `${token}\n${token}` })];
    for (const refusal of refusals) expect(refusal).to.throw(Error).that.satisfies((error: Error) => !error.message.includes('s3cret-pw') && !error.message.includes(token));
    expect(() => new QspoolClient({ url: '127.0.0.1:8000' })).to.throw('The server URL "127.0.0.1:8000" is not a URL, e.g. http://127.0.0.1:8000');
  });

  it('names a config file it cannot read, quoting none of it (the token)', async () => {
    const corrupt = join(dir, 'corrupt.json');
    for (const text of [`{"token": "${token}",}`, `{"token": ${token}}`, 'null']) {
      await writeFile(corrupt, text);
      const refused = await loadCredentials({ QSPOOL_CONFIG: corrupt }).catch((error: unknown) => error);
      expect(refused, text).to.be.instanceOf(Error).and.include({ message: `${corrupt} is not a JSON object: fix it, or delete it and run qspool login again` });
    }
    const unreadable = await loadCredentials({ QSPOOL_CONFIG: dir }).catch((error: unknown) => error);
    expect(unreadable).to.be.instanceOf(Error).and.include({ message: `Cannot read ${dir} (EISDIR)` });
  });

  it('exits 3 when the job ends in ERROR and 4 when it is cancelled', async () => {
    const client = new QspoolClient({ url: h.url, token });
    // multiqudit has no spooler here: the test plays it.
    const failing = await client.submit('multiqudit', { experiment_0: { instructions: [['load', [0], [1]], ['measure', [0], []]], shots: 1, num_wires: 1, wire_order: 'interleaved' } });
    const watching = run(() => runJobWatch(failing.id, {}));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.lifecycle.fail((await h.lifecycle.claim('multiqudit', 'test'))!, 'The device is warming up.');
    const failed = await watching;
    expect(failed.code).to.equal(3);
    expect(failed.out).to.include('ERROR: The device is warming up.');
    expect(failed.out).to.match(/job [0-9a-f]{24}\s+QUEUED, position 1/);

    const doomed = await client.submit('multiqudit', { experiment_0: { instructions: [['measure', [0], []]], shots: 1, num_wires: 1, wire_order: 'interleaved' } });
    const cancelled = await run(() => runJobCancel(doomed.id, {}));
    expect(cancelled.out).to.equal(`Cancelled job ${doomed.id}\n`);
    expect((await run(() => runJobWatch(doomed.id, {}))).code).to.equal(4);
  });

  it('`qspool job list` prints a next-page command that repeats the filters and page size, and it works (real binary)', async () => {
    const client = new QspoolClient({ url: h.url, token });
    for (let n = 0; n < 3; n += 1) await client.waitFor((await client.submit('singlequdit', GOOD_JOB)).id);
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const env = { ...process.env, QSPOOL_URL: h.url, QSPOOL_TOKEN: token, QSPOOL_CONFIG: join(dir, 'absent.json') };
    const qspool = async (args: string[]) => (await promisify(execFile)(process.execPath, [bin, ...args], { env })).stdout;
    const first = await qspool(['job', 'list', '--status', 'done,error', '--backend', 'singlequdit', '--limit', '2']);
    const more = /^More: qspool (.*)$/m.exec(first)?.[1] ?? '';
    expect(more).to.match(/^job list --status DONE,ERROR --backend singlequdit --limit 2 --cursor [\w-]+$/);
    const next = JSON.parse(await qspool([...more.split(' '), '--json'])) as JobList;
    expect(next.jobs).to.have.length.within(1, 2);
    expect(next.jobs.map((job) => [job.backend, job.status])).to.deep.equal(next.jobs.map(() => ['singlequdit', 'DONE']));
    expect(next.jobs.filter((job) => first.includes(job.id))).to.deep.equal([]);
  });

  it('`qspool job submit FILE --wait` prints plain status lines off a terminal and exits 0 on DONE (real binary)', async () => {
    const file = join(dir, 'job.json');
    await writeFile(file, JSON.stringify(GOOD_JOB));
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const env = { ...process.env, QSPOOL_URL: h.url, QSPOOL_TOKEN: token, QSPOOL_CONFIG: join(dir, 'absent.json') };
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'job', 'submit', file, '--backend', 'singlequdit', '--wait'], { env });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.match(/^Submitted job [0-9a-f]{24} to singlequdit$/);
    expect(lines.slice(1, -1).map((line) => line.split(/\s+/)[3])).to.include('DONE');
    expect(lines.at(-1)).to.match(/^Result: qspool job result [0-9a-f]{24}$/);
  });

  it('`qspool job submit --tag a --tag b FILE` tags the job with each and still reads FILE as the job (real binary)', async () => {
    const file = join(dir, 'tagged.json');
    await writeFile(file, JSON.stringify(GOOD_JOB));
    const bin = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
    const env = { ...process.env, QSPOOL_URL: h.url, QSPOOL_TOKEN: token, QSPOOL_CONFIG: join(dir, 'absent.json') };
    const args = ['job', 'submit', '--tag', 'tutorial', '--tag', 'sweep', file, '--backend', 'singlequdit', '--json'];
    const { stdout } = await promisify(execFile)(process.execPath, [bin, ...args], { env });
    const submitted = JSON.parse(stdout) as { id: string; tags: string[] };
    expect(submitted.tags).to.deep.equal(['tutorial', 'sweep']);
    expect((await new QspoolClient({ url: h.url, token }).job(submitted.id)).tags).to.deep.equal(['tutorial', 'sweep']);
  });
});

describe('the qspool client following events', () => {
  it('reconnects after the delay a stream\'s retry: field asks for (a stopping server\'s 100 ms), not its default 1 s', async () => {
    const jobId = '0123456789abcdef01234567';
    const connections: number[] = [];
    const event = (seq: number, status: string) => `id: ${jobId}-${seq}\ndata: ${JSON.stringify({ job_id: jobId, seq, status })}\n\n`;
    const server = createHttpServer((req, res) => {
      connections.push(Date.now());
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      // The first stream ends as a stopping qspool server ends it; the next one, with Last-Event-ID, goes on.
      if (connections.length === 1) res.end(`${event(1, 'QUEUED')}: the server is stopping; reconnect with Last-Event-ID\nretry: 100\n\n`);
      else res.end(req.headers['last-event-id'] === `${jobId}-1` ? event(2, 'DONE') : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new QspoolClient({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, token: 'x'.repeat(32) });
      const statuses: string[] = [];
      for await (const followed of client.jobEvents(jobId)) statuses.push(followed.status);
      expect(statuses).to.deep.equal(['QUEUED', 'DONE']);
      expect(connections[1]! - connections[0]!).to.be.below(600);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
