import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConflictError, InvalidKeyError, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../contract.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { LocalProvider } from '../local/index.ts';
import { ns } from '../records.ts';
import { ProviderRegistry, PROVIDERS_NS } from './index.ts';
import { migrate } from './migrate.ts';
import { probeProvider } from './probe.ts';
import { SecretKeyError, SecretUnreadableError } from './secrets.ts';

const KEY = 'a-test-secret-key-of-some-length';
const run = promisify(execFile);

async function rejects(promise: Promise<unknown>, type: new (...args: never[]) => Error, message?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    if (message) expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected ${type.name}`);
}

describe('storage-provider registry', function () {
  this.timeout(30_000);
  let dir: string;
  let primary: LocalProvider;
  let registry: ProviderRegistry;
  const make = (key: string | undefined = KEY) => new ProviderRegistry(primary, 'alqor', { base_path: join(dir, 'primary') }, key);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-registry-'));
    primary = new LocalProvider({ root: join(dir, 'primary'), fsync: false });
    registry = make();
  });
  afterEach(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the primary storage and added providers, with secrets hidden', async () => {
    await registry.add({ name: 'lab1', type: 'local', login: { base_path: join(dir, 'lab1') }, description: 'Lab 1' });
    await registry.add({
      name: 'bucket',
      type: 's3',
      login: { endpoint_url: 'http://127.0.0.1:1', region: 'x', bucket: 'qspool', access_key_id: 'AK', secret_access_key: 'very-secret' },
      active: false,
    });
    const list = await registry.list();
    expect(list.map((p) => [p.name, p.type, p.active, p.primary])).to.deep.equal([
      ['alqor', 'local', true, true],
      ['bucket', 's3', false, false],
      ['lab1', 'local', true, false],
    ]);
    expect(list[1]!.login).to.include({ access_key_id: 'AK', secret_access_key: '***' });
  });

  it('hides a password written into a URL field too', async () => {
    await registry.add({ name: 'atlas', type: 'mongodb', login: { mongodb_database_url: 'mongodb+srv://ada:pa55word@cluster0.example.net/qspool' } });
    const shown = JSON.stringify((await registry.show('atlas')).login);
    expect(shown).to.not.include('pa55word');
    expect(shown).to.include('mongodb+srv://ada:***@cluster0.example.net/qspool');
  });

  it('keeps logins encrypted at rest and refuses to read them under another key', async () => {
    await registry.add({ name: 'box', type: 'dropbox', login: { app_key: 'k', app_secret: 'APP-SECRET', refresh_token: 'REFRESH-SECRET' } });
    // Every byte the store keeps on disk (database, WAL), and the stored document itself.
    const files = await readdir(join(dir, 'primary'));
    const bytes = await Promise.all(files.filter((name) => name.startsWith('qspool.db')).map((name) => readFile(join(dir, 'primary', name), 'latin1')));
    const raw = bytes.join('') + JSON.stringify((await primary.get(PROVIDERS_NS, 'box'))?.value);
    expect(raw).to.include('box');
    expect(raw).to.not.include('APP-SECRET');
    expect(raw).to.not.include('REFRESH-SECRET');
    expect(await registry.spec('box')).to.deep.include({ type: 'dropbox', appSecret: 'APP-SECRET', refreshToken: 'REFRESH-SECRET' });
    await rejects(make('another-key-of-enough-length').spec('box'), SecretUnreadableError, /opens with none of this process's keys/);
    // Listing and routing need no key: a server without it still serves its own storage.
    expect((await make('').summaries()).map((p) => p.name)).to.deep.equal(['alqor', 'box']);
    await rejects(make('').add({ name: 'x', type: 'local', login: { base_path: '/tmp/x' } }), SecretKeyError, /QSPOOL_SECRET_KEY/);
  });

  it('validates names, types and logins, naming every problem', async () => {
    await rejects(registry.add({ name: '../x', type: 'local', login: { base_path: '/tmp' } }), InvalidKeyError);
    await rejects(registry.add({ name: 'ok', type: 'ftp', login: {} }), InvalidKeyError, /Unknown provider type/);
    await rejects(registry.add({ name: 'ok', type: 'local', login: { base_path: 'relative' } }), InvalidKeyError, /absolute/);
    await rejects(registry.add({ name: 'ok', type: 's3', login: { bucket: 'B' } }), InvalidKeyError, /region.*access_key_id.*secret_access_key|bucket/);
    await rejects(registry.add({ name: 'ok', type: 'mongodb', login: { mongodb_database_url: 'h', extra: 1 } }), InvalidKeyError, /additional/);
    await registry.add({ name: 'ok', type: 'local', login: { base_path: '/tmp/ok' } });
    await rejects(registry.add({ name: 'ok', type: 'local', login: { base_path: '/tmp/ok' } }), ConflictError);
    await rejects(registry.add({ name: 'alqor', type: 'local', login: { base_path: '/tmp/ok' } }), ConflictError);
    expect(await primary.list(PROVIDERS_NS)).to.deep.equal(['ok']);
  });

  it('maps qlued-style logins to provider specs', async () => {
    await registry.add({
      name: 'atlas',
      type: 'mongodb',
      login: { mongodb_database_url: 'cluster0.example.net/?retryWrites=true', mongodb_username: 'lab', mongodb_password: 'p@ss', database: 'lab' },
    });
    expect(await registry.spec('atlas')).to.deep.equal({
      type: 'mongodb',
      uri: 'mongodb+srv://lab:p%40ss@cluster0.example.net/?retryWrites=true',
      database: 'lab',
    });
    const s3 = { endpoint_url: 'http://127.0.0.1:7480', region: 'r', bucket: 'qspool', access_key_id: 'k', secret_access_key: 's', keep_alive: false };
    await registry.add({ name: 'rgw', type: 's3', login: s3 });
    expect(await registry.spec('rgw')).to.deep.equal({
      type: 's3', endpoint: 'http://127.0.0.1:7480', region: 'r', bucket: 'qspool', accessKeyId: 'k', secretAccessKey: 's', keepAlive: false,
    });
    await registry.add({ name: 'box', type: 'dropbox', login: { access_token: 't', api_base_url: 'http://127.0.0.1:9' } });
    expect(await registry.spec('box')).to.deep.equal({ type: 'dropbox', accessToken: 't', apiBaseUrl: 'http://127.0.0.1:9' });
    await rejects(registry.add({ name: 'bad', type: 'dropbox', login: { access_token: 't', api_base_url: 'file:///etc' } }), InvalidKeyError, /api_base_url/);
  });

  it('activates, deactivates and removes providers; the primary can be deactivated but never removed', async () => {
    await registry.add({ name: 'lab1', type: 'local', login: { base_path: join(dir, 'lab1') } });
    expect((await registry.setActive('lab1', false)).active).to.equal(false);
    expect((await registry.show('lab1')).active).to.equal(false);
    expect((await registry.setActive('lab1', true)).active).to.equal(true);
    expect((await registry.setActive('alqor', false)).active).to.equal(false);
    expect((await registry.summaries()).map((p) => [p.name, p.active])).to.deep.equal([['alqor', false], ['lab1', true]]);
    // Another process (the server, the CLI) sees the same flag: it is kept in storage.
    expect((await make().show('alqor')).active).to.equal(false);
    expect((await registry.setActive('alqor', true)).active).to.equal(true);
    expect((await make().summary('alqor')).active).to.equal(true);
    await registry.remove('lab1');
    await rejects(registry.show('lab1'), NotFoundError);
    await rejects(registry.remove('alqor'), ConflictError);
  });

  it('proves a working provider with a full round trip and reports the step that fails on a broken one', async () => {
    await registry.add({ name: 'lab1', type: 'local', login: { base_path: join(dir, 'lab1') } });
    const good = await probeProvider(await registry.open('lab1'));
    expect(good.map((s) => [s.step, s.ok])).to.deep.equal([
      ['create', true], ['read', true], ['compare-and-swap', true], ['list', true], ['move', true], ['delete', true],
    ]);
    await writeFile(join(dir, 'not-a-dir'), 'x');
    await registry.add({ name: 'broken', type: 'local', login: { base_path: join(dir, 'not-a-dir') } });
    const bad = await probeProvider(await registry.open('broken'));
    expect(bad).to.have.length(1);
    expect(bad[0]).to.include({ step: 'create', ok: false });
  });

  it('migrates every document to another provider and resumes after an interruption', async () => {
    const jobs = new JobLifecycle(primary);
    await primary.put(ns.configs, 'singlequdit', { display_name: 'singlequdit' });
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push((await jobs.enqueue({ backend: 'singlequdit', owner: 'alice', payload: { i } })).id);
    const claim = (await jobs.claim('singlequdit', 's'))!;
    await jobs.complete(claim, { ok: 1 });
    const target = new LocalProvider({ root: join(dir, 'target'), fsync: false });
    let writes = 0;
    const failing: StorageProvider = Object.create(target) as StorageProvider;
    failing.put = async (...args) => {
      if (++writes === 25) throw new Error('connection lost');
      return target.put(...args);
    };
    await migrate(primary, failing, 'm1').then(
      () => expect.fail('should have been interrupted'),
      (error: Error) => expect(error.message).to.match(/: connection lost\. Nothing in the source was changed/),
    );
    const resumed = await migrate(primary, target, 'm1');
    expect(resumed.resumed).to.equal(true);
    const moved = new JobLifecycle(target);
    for (const id of ids) expect((await moved.getStatus('singlequdit', id))?.job_id).to.equal(id);
    const done = (await moved.find('singlequdit', claim.record.id))!.value;
    expect(await moved.getResult(done)).to.deep.equal({ ok: 1 });
    expect(await target.list(ns.queued('singlequdit'))).to.deep.equal(ids.slice(1));
    expect(await target.list('migrations')).to.deep.equal([]);
  });

  it('migrates the registry with its logins, but not the target\'s own entry, which would name the store it is in', async () => {
    await registry.add({ name: 'lab1', type: 'local', login: { base_path: join(dir, 'lab1') } });
    await registry.add({ name: 'copy', type: 'local', login: { base_path: join(dir, 'copy') } });
    const target = await registry.open('copy');
    await migrate(primary, target, 'm', undefined, 'copy');
    expect(await target.list(PROVIDERS_NS)).to.deep.equal(['lab1']);
    const moved = new ProviderRegistry(target, 'alqor', { base_path: join(dir, 'copy') }, KEY);
    expect((await moved.show('lab1')).login).to.deep.include({ base_path: join(dir, 'lab1') });
  });

  it('works from the CLI with meaningful exit codes and --json', async function () {
    this.timeout(120_000);
    const env = { ...process.env, QSPOOL_DATA_DIR: join(dir, 'cli'), QSPOOL_SECRET_KEY: KEY, LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) =>
      run(process.execPath, ['scripts/qspool.mjs', 'storage', ...args], { env }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout + error.stderr }),
      );
    expect((await cli('add', '--name', 'lab1', '--type', 'local', '--login', JSON.stringify({ base_path: join(dir, 'lab1') }))).code).to.equal(0);
    const tested = await cli('test', 'lab1', '--json');
    expect(tested.code).to.equal(0);
    expect(JSON.parse(tested.stdout).passed).to.equal(true);
    expect((await cli('add', '--name', 'x', '--type', 'local', '--login', 'not json')).code).to.equal(2);
    expect((await cli('show', 'nosuch')).code).to.equal(1);
  });
});
