// The scenario of replicas on several hosts sharing one S3 primary store (QSPOOL_STORE_FILE), for any S3 server: two
// `qspool serve` processes and a `qspool spooler`, each with a data directory of its own, and the CLI on a fourth.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { STORE_FILE } from '../../storage/local/store-file.ts';
import type { S3ProviderSpec } from '../../storage/s3/client.ts';
import { s3LoginOf } from '../../storage/s3/test-server.ts';
import { spawnQspool, type QspoolProcess } from './qspool-process.ts';
import { eventually, request } from './system.ts';

const JOB = { experiment_0: { instructions: [['load', [0], [7]], ['measure', [0], []]], shots: 4, num_wires: 1, wire_order: 'interleaved' } };
const PASSWORD = 'correct horse battery';
const BIN = new URL('../../scripts/qspool.mjs', import.meta.url).pathname;
const run = promisify(execFile);

/** The fields of the answers this scenario reads. */
interface Answer {
  id?: string;
  status?: string;
  access_token?: string;
  backends?: { name: string }[];
  results?: { shots: number }[];
}

async function call(url: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  const answer = await request(`${url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: answer.status, body: (answer.body ?? {}) as Answer };
}

/** Every file below `dir`, as paths relative to it. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

/** Registers the scenario's tests on the S3 server of `server` (a spec without a prefix; each run takes one of its own). */
export function sharedPrimaryScenario(server: () => S3ProviderSpec): void {
  let dir: string;
  let env: Record<string, string>;
  const running: QspoolProcess[] = [];
  const host = (name: string) => ({ ...env, QSPOOL_DATA_DIR: join(dir, name) });
  const start = async (name: string, args: string[]) => {
    const started = spawnQspool(args, host(name));
    running.push(started);
    return started;
  };
  const cli = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [BIN, ...args, '--json'], { env: { ...process.env, ...host('cli') } });
    return JSON.parse(stdout);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-shared-primary-'));
    const file = join(dir, 'store.json');
    const login = s3LoginOf(server(), `shared${randomBytes(4).toString('hex')}`);
    await writeFile(file, JSON.stringify({ type: 's3', login }), { mode: 0o600 });
    env = { QSPOOL_STORE_FILE: file, QSPOOL_SECRET_KEY: randomBytes(24).toString('hex'), QSPOOL_BACKENDS: 'singlequdit', QSPOOL_SCRYPT_LOG_N: '10', QSPOOL_POLL_MS: '50' };
  });
  after(async () => {
    for (const started of running) started.kill();
    await Promise.all(running.map((started) => started.exited));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves one set of users, tokens and jobs from every replica, run by a spooler on a host of its own', async () => {
    const bob = await cli('user', 'add', 'bob');
    const [a, b] = await Promise.all([start('a', ['serve', '--port', '0']), start('b', ['serve', '--port', '0'])]);
    await start('c', ['spooler', '--backend', 'singlequdit']);
    const urlA = String((await a.line((line) => line.msg === 'server listening')).url);
    const urlB = String((await b.line((line) => line.msg === 'server listening')).url);

    // A user made through one replica logs in on the other; its access token works on both.
    expect((await call(urlA, 'POST', '/users', undefined, { username: 'alice', password: PASSWORD, email: 'alice@example.org' })).status).to.equal(201);
    const login = await call(urlB, 'POST', '/auth/token', undefined, { username: 'alice', password: PASSWORD });
    expect(login.status).to.equal(200);
    const alice = String(login.body.access_token);

    // The spooler's published config reaches both replicas through the store.
    for (const url of [urlA, urlB]) {
      const listed = async () => (await call(url, 'GET', '/backends', alice)).body.backends?.some((backend) => backend.name === 'singlequdit');
      await eventually(async () => (await listed()) || undefined, 30_000);
    }
    // Submitted on A with the CLI's token and with B's log-in, run by the spooler, read on B.
    const jobs = await Promise.all([bob.token, alice].map(async (token) => {
      const submitted = await call(urlA, 'POST', '/backends/singlequdit/jobs', String(token), { payload: JOB });
      expect(submitted.status, JSON.stringify(submitted.body)).to.equal(201);
      return { id: String(submitted.body.id), token: String(token) };
    }));
    for (const { id, token } of jobs) {
      await eventually(async () => ((await call(urlB, 'GET', `/jobs/${id}`, token)).body.status === 'DONE' ? true : undefined), 30_000);
      const result = await call(urlB, 'GET', `/jobs/${id}/result`, token);
      expect(result.status).to.equal(200);
      expect(result.body.results?.[0]?.shots).to.equal(4);
    }
    expect((await call(urlB, 'GET', `/jobs/${jobs[0]!.id}`, alice)).status, "bob's job is not alice's").to.equal(404);

    // Logging out on B ends the token on A too.
    expect((await call(urlB, 'DELETE', '/auth/token', alice)).status).to.equal(204);
    expect((await call(urlA, 'GET', '/jobs', alice)).status).to.equal(401);

    // The CLI sees the shared store as the primary, its secret hidden; no host holds a local store.
    const primary = await cli('storage', 'show', 'alqor');
    expect(primary).to.include({ type: 's3', primary: true });
    expect(primary.login.secret_access_key).to.equal('***');
    for (const name of ['a', 'b', 'c', 'cli']) expect(await filesBelow(join(dir, name))).to.not.include(STORE_FILE);
  });
}
