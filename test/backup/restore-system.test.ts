// `qspool storage backup` and `restore` as an operator runs them, around real `qspool start` processes: a backup taken
// while the server and spoolers run, a restore refused while they hold the store, and a server started on the
// restored store (with the same secret key) that serves the jobs, results, users and tokens of the backup's moment.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { STORE_FILE } from '../../storage/local/store-file.ts';
import { keyId } from '../../storage/registry/secrets.ts';
import { spawnQspool, type QspoolProcess } from '../support/qspool-process.ts';
import { eventually } from '../support/system.ts';

const JOB = { experiment_0: { instructions: [['load', [0], [5]], ['measure', [0], []]], shots: 4, num_wires: 1, wire_order: 'interleaved' } };
const run = promisify(execFile);
const ADA = { username: 'ada', email: 'ada@example.org', password: 'correct horse battery' };

describe('qspool storage backup and restore around running processes', function () {
  this.timeout(120_000);
  let dir: string;
  let oldDir: string;
  let newDir: string;
  const running: QspoolProcess[] = [];
  const env = (dataDir: string) => ({ QSPOOL_DATA_DIR: dataDir, PORT: '0', QSPOOL_BACKENDS: 'singlequdit', QSPOOL_POLL_MS: '20', QSPOOL_SCRYPT_LOG_N: '10', LOG_LEVEL: 'warn' });
  const backup = () => join(dir, 'backup.db');

  async function start(dataDir: string): Promise<{ process: QspoolProcess; api: string }> {
    const started = spawnQspool(['start'], env(dataDir));
    running.push(started);
    const url = await eventually(async () => /qspool is running at (http:\/\/\S+)/.exec(started.output())?.[1], 60_000);
    return { process: started, api: `${url}/api/v1` };
  }
  async function qspool(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
    const command = spawnQspool(args, { ...env(oldDir), ...extra });
    const { code } = await command.exited;
    return { code, output: command.output() };
  }
  async function call(url: string, init: { method?: string; bearer?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(url, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: { 'content-type': 'application/json', ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  let jwt: string;
  let token: string;
  let doneJob: string;
  let result: unknown;
  let laterJob: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-restore-'));
    oldDir = join(dir, 'before');
    newDir = join(dir, 'after');
  });
  after(async () => {
    for (const started of running) started.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('backs up the store while the server and spoolers run, and refuses to restore over the store they hold open', async () => {
    const { process: server, api } = await start(oldDir);
    expect((await call(`${api}/users`, { body: ADA })).status).to.equal(201);
    jwt = (await call(`${api}/auth/token`, { body: { username: ADA.username, password: ADA.password } })).body.access_token as string;
    token = (await call(`${api}/tokens`, { bearer: jwt, body: { name: 'laptop' } })).body.token as string;
    doneJob = (await call(`${api}/backends/singlequdit/jobs`, { bearer: token, body: { payload: JOB } })).body.id as string;
    await eventually(async () => ((await call(`${api}/jobs/${doneJob}`, { bearer: token })).body.status === 'DONE' ? true : undefined), 30_000);
    result = (await call(`${api}/jobs/${doneJob}/result`, { bearer: token })).body;

    const backedUp = await qspool(['storage', 'backup', backup()]);
    expect(backedUp, backedUp.output).to.include({ code: 0 });
    expect(backedUp.output).to.match(new RegExp(`^Backed up the store in ${oldDir} to ${backup()}: \\d+\\.\\d MiB, 1 job \\(1 finished\\), newest event [0-9a-f]{24} at \\S+Z\\n`));
    expect(backedUp.output).to.include(`The secret key (${oldDir}/.server-keys/secret-key) is not in the backup`);
    expect((await stat(backup())).mode & 0o777).to.equal(0o600);

    const storeBefore = await stat(join(oldDir, STORE_FILE));
    const listing = await readdir(oldDir);
    const refused = await qspool(['storage', 'restore', backup(), '--force']);
    expect(refused.code).to.equal(1);
    expect(refused.output).to.match(/^qspool: The store in .* is open in another process \(a server, spooler or qspool command\): stop every process on it first\n$/);
    expect((await stat(join(oldDir, STORE_FILE))).ino).to.equal(storeBefore.ino);
    expect(await readdir(oldDir)).to.deep.equal(listing);

    laterJob = (await call(`${api}/backends/singlequdit/jobs`, { bearer: token, body: { payload: JOB } })).body.id as string;
    expect(laterJob).to.match(/^[0-9a-f]{24}$/);
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('restores into a fresh data directory, where a server with the same secret key serves the jobs, results, users and tokens of the backup', async () => {
    const restored = await qspool(['storage', 'restore', backup()], { QSPOOL_DATA_DIR: newDir });
    expect(restored, restored.output).to.include({ code: 0 });
    expect(restored.output).to.match(new RegExp(`^Restored ${backup()} as the store in ${newDir}: 1 job \\(1 finished\\), newest event [0-9a-f]{24} at \\S+Z\\nJobs acknowledged after the backup was taken are gone; jobs RUNNING in it run again once their lease expires\\.\\n`));
    const sealedWith = keyId((await readFile(join(oldDir, '.server-keys', 'secret-key'), 'utf8')).trim());
    expect(restored.output, 'the key the backup needs is named, and none is made').to.include(
      `Its secrets are sealed with key id ${sealedWith}, and this data directory has no key yet: install the key the backup was taken with as ${join(newDir, '.server-keys')}/secret-key`,
    );
    expect(await readdir(newDir)).to.not.include('.server-keys');
    await mkdir(join(newDir, '.server-keys'), { mode: 0o700 });
    await copyFile(join(oldDir, '.server-keys', 'secret-key'), join(newDir, '.server-keys', 'secret-key'));
    await chmod(join(newDir, '.server-keys', 'secret-key'), 0o600);

    const { api } = await start(newDir);
    expect((await call(`${api}/jobs/${doneJob}`, { bearer: token })).body).to.include({ id: doneJob, status: 'DONE' });
    expect((await call(`${api}/jobs/${doneJob}/result`, { bearer: token })).body).to.deep.equal(result);
    expect((await call(`${api}/jobs/${laterJob}`, { bearer: token })).status).to.equal(404);
    // The access token from before is checked with the JWT key sealed in the store: it opens with the same secret key.
    expect((await call(`${api}/jobs/${doneJob}`, { bearer: jwt })).status).to.equal(200);
    expect((await call(`${api}/auth/token`, { body: { username: ADA.username, password: ADA.password } })).status).to.equal(200);
  });

  it('names the key a restored store needs when the data directory holds another one, and nothing when it holds the right one', async () => {
    const otherDir = join(dir, 'other-key');
    await mkdir(join(otherDir, '.server-keys'), { recursive: true, mode: 0o700 });
    await writeFile(join(otherDir, '.server-keys', 'secret-key'), 'a different key of this host', { mode: 0o600 });
    // Pretty-printed JSON on standard output (spawnQspool takes its lines for log lines).
    const restored = await run(process.execPath, ['scripts/qspool.mjs', 'storage', 'restore', backup(), '--json'], { env: { ...process.env, ...env(otherDir) } });
    const sealedWith = keyId((await readFile(join(oldDir, '.server-keys', 'secret-key'), 'utf8')).trim());
    expect(JSON.parse(restored.stdout)).to.deep.include({ missing_key_ids: [sealedWith] });
    const human = await qspool(['storage', 'restore', backup(), '--force'], { QSPOOL_DATA_DIR: otherDir });
    expect(human.output).to.include(`Its secrets are sealed with key id ${sealedWith}, and this data directory's key (key id ${keyId('a different key of this host')}) opens none of them`);
    const sameDir = join(dir, 'same-key');
    await mkdir(join(sameDir, '.server-keys'), { recursive: true, mode: 0o700 });
    await copyFile(join(oldDir, '.server-keys', 'secret-key'), join(sameDir, '.server-keys', 'secret-key'));
    await chmod(join(sameDir, '.server-keys', 'secret-key'), 0o600);
    const same = await qspool(['storage', 'restore', backup()], { QSPOOL_DATA_DIR: sameDir });
    expect(same.code, same.output).to.equal(0);
    expect(same.output).to.not.include('Its secrets are sealed with');
  });

  it('points a shared primary store (QSPOOL_STORE_FILE) at its own backup tools and storage migrate', async () => {
    const storeFile = join(dir, 'store.json');
    await writeFile(storeFile, JSON.stringify({ type: 's3', login: { region: 'eu-1', bucket: 'qspool', access_key_id: 'AK', secret_access_key: 'SK' } }), { mode: 0o600 });
    for (const verb of ['backup', 'restore']) {
      const refused = await qspool(['storage', verb, backup()], { QSPOOL_STORE_FILE: storeFile, QSPOOL_SECRET_KEY: 'a-secret-key-of-at-least-16' });
      expect(refused.code).to.equal(1);
      expect(refused.output).to.equal(
        `qspool: qspool storage ${verb} works on the local store; the primary store here is s3 (QSPOOL_STORE_FILE): use the bucket's versioning or replication, or a copy of the bucket (aws s3 sync, rclone), or copy it onto another provider with qspool storage migrate\n`,
      );
    }
  });
});
