// `qspool storage test` on sqooler-layout providers: the registry opens them as a read-only view of sqooler's
// documents, so the probe makes its round trip with the store's own document operations, in qspool's folder, and
// leaves nothing behind; a provider it cannot write to fails at the step that broke.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalProvider } from '../../storage/local/index.ts';
import { ProviderRegistry } from '../../storage/registry/index.ts';
import { probeProvider, probeVerdict } from '../../storage/registry/probe.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../dropbox-api-server/index.ts';

const KEY = 'a-test-secret-key-of-some-length';
const STEPS = ['list backends', 'create', 'read', 'replace', 'list', 'move', 'delete'];
const run = promisify(execFile);

describe('qspool storage test on sqooler-layout providers', function () {
  this.timeout(60_000);
  let dir: string;
  let registry: ProviderRegistry;
  let server: DropboxApiServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-probe-'));
    const primary = new LocalProvider({ root: join(dir, 'primary'), fsync: false });
    registry = new ProviderRegistry(primary, 'alqor', { base_path: join(dir, 'primary') }, KEY);
    server = await startDropboxApiServer();
  });
  after(async () => {
    await registry.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const steps = async (name: string) => (await probeProvider(await registry.open(name))).map((step) => [step.step, step.ok, step.error]);
  const passed = STEPS.map((step) => [step, true, undefined]);

  it('passes on a local folder and leaves only its empty scratch folders behind', async () => {
    const base = join(dir, 'lab1');
    await registry.add({ name: 'lab1', type: 'local', login: { base_path: base }, layout: 'sqooler' });
    expect(await steps('lab1')).to.deep.equal(passed);
    expect(await readdir(join(base, 'qspool', 'probe'), { recursive: true })).to.deep.equal(['moved']);
  });

  it('passes on Dropbox, in qspool\'s own folder', async () => {
    const login = { app_key: server.tokens.clientId, app_secret: server.tokens.clientSecret, refresh_token: server.tokens.refreshToken, api_base_url: server.url };
    await registry.add({ name: 'lab2', type: 'dropbox', login, layout: 'sqooler' });
    expect(await steps('lab2')).to.deep.equal(passed);
    expect(server.store.paths().filter((path) => path !== '/' && !'/Backend_files/Qspool/Probe/moved'.startsWith(path))).to.deep.equal([]);
  });

  it('is what `qspool storage test` runs: exit 0 and every step, as JSON', async () => {
    const env = { ...process.env, QSPOOL_DATA_DIR: join(dir, 'cli'), QSPOOL_SECRET_KEY: KEY, LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) => run(process.execPath, ['scripts/qspool.mjs', 'storage', ...args], { env });
    await cli('add', '--name', 'lab4', '--type', 'local', '--login', JSON.stringify({ base_path: join(dir, 'lab4') }), '--layout', 'sqooler');
    const tested = JSON.parse((await cli('test', 'lab4', '--json')).stdout) as { passed: boolean; steps: { step: string }[] };
    expect(tested.passed).to.equal(true);
    expect(tested.steps.map((step) => step.step)).to.deep.equal(STEPS);
  });

  it('fails where it cannot write, at the step that broke', async () => {
    const base = join(dir, 'lab3');
    await registry.add({ name: 'lab3', type: 'local', login: { base_path: base }, layout: 'sqooler' });
    // A file where qspool's folder would be: sqooler's folders read, qspool's cannot be made.
    await mkdir(base, { recursive: true });
    await writeFile(join(base, 'qspool'), '');
    const probe = await probeProvider(await registry.open('lab3'));
    expect(probe.map((step) => [step.step, step.ok])).to.deep.equal([['list backends', true], ['create', false]]);
    expect(probeVerdict(probe)).to.include({ passed: false }).and.to.have.property('message').that.matches(/^the create step failed: /);
  });
});
