// Taking over a qlued deployment's storage: on local storage, the jobs sqooler's spoolers already finished there
// (fixtures written by the real sqooler code) are listed for the user they are given to and served through /api/v2;
// on Dropbox, jobs under qlued's old ids (`<YYYYmmdd_HHMMSS>-<display>-<username>-<5 hex>`) are given to the qspool
// users their qlued users map to and served under those ids.
import { expect } from 'chai';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../config/logger.ts';
import { registryFor } from '../../scripts/runtime.ts';
import type { ProviderRegistry } from '../../storage/registry/index.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { isQluedJobId, qluedJobId } from '../../storage/sqooler/ids.ts';
import { importQlued } from '../../storage/sqooler/import.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../dropbox-api-server/index.ts';
import { GOOD_JOB, startHarness, type Harness } from '../native-api/harness.ts';
import { SECRET_KEY } from '../support/lab-provider.ts';
import { request } from '../support/system.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const DONE_ID = '31a0bbda84ac401489a05c7a';
const ERROR_ID = 'b2064752d2344f16af4de088';

describe('qspool storage import-qlued', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;
  let registry: ProviderRegistry;
  let ada: string;
  let bob: string;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    dir = await mkdtemp(join(tmpdir(), 'qspool-qlued-'));
    // One qlued storage holding a finished job and a refused one.
    await cp(join(FIXTURES, 'done'), dir, { recursive: true });
    await cp(join(FIXTURES, 'error'), dir, { recursive: true });
    registry = registryFor({ config: h.config, logger: createLogger('silent'), storage: h.storage });
    [ada, bob] = [await h.user('ada'), await h.user('bob')];
  });
  after(async () => {
    await registry.close();
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const provider = () => ({ name: 'lab1', type: 'local', login: { base_path: dir } });
  const isUser = async (name: string) => (await h.storage.get(USERS_NS, name)) !== undefined;
  const v2 = (call: string, id: string, token: string) => request(`${h.url}/api/v2/lab1_singlequdit_simulator/${call}?job_id=${id}&token=${token}`);

  it('registers the provider with qlued\'s login dict and the sqooler layout, and indexes its jobs for their owner', async () => {
    const report = await importQlued(registry, { provider: provider(), owner: 'ada', isUser });
    expect(report).to.deep.equal({ provider: 'lab1', backends: ['singlequdit'], indexed: 2, known: 0, unowned: {}, unindexable: [] });
    expect(await registry.show('lab1')).to.include({ layout: 'sqooler' }).and.to.have.deep.property('login', { base_path: dir });
    const listed = (await h.call('GET', '/jobs', { token: ada })).body as { jobs: { id: string; provider?: string; status: string }[] };
    expect(listed.jobs.map((job) => [job.id, job.provider, job.status]).sort()).to.deep.equal([
      [DONE_ID, 'lab1', 'DONE'],
      [ERROR_ID, 'lab1', 'ERROR'],
    ]);
    expect(((await h.call('GET', '/jobs', { token: bob })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);
  });

  it('serves the old jobs\' results and errors through qlued\'s API, to their owner only', async () => {
    const result = (await v2('get_job_result', DONE_ID, ada)).body as Record<string, unknown>;
    expect(result).to.include({ status: 'finished', job_id: DONE_ID, backend_name: 'lab1_singlequdit_simulator' });
    const failed = await v2('get_job_status', ERROR_ID, ada);
    expect(failed.status).to.equal(406);
    expect(failed.body).to.include({ status: 'ERROR' });
    expect((await v2('get_job_result', DONE_ID, bob)).status).to.equal(406);
  });

  it('can be run again: jobs already indexed are left as they are', async () => {
    expect(await importQlued(registry, { provider: provider(), owner: 'bob', isUser })).to.include({ indexed: 0, known: 2 });
  });
});

describe('qspool storage import-qlued from Dropbox, with qlued\'s old job ids', function () {
  this.timeout(60_000);
  const OLD = join(FIXTURES, 'old-qlued-dropbox');
  const FRETCHEN = ['20240115_093012-singlequdit-fretchen-cec9c', '20240116_101500-singlequdit-fretchen-0b7d2'];
  const ALICE = '20230321_114612-singlequdit-alice.b-0a1f3';
  const DAVE = '20240117_120000-singlequdit-dave-5e3a1';
  const CAROL = '20240118_130000-singlequdit-carol-77e01';
  // A Django username with `@`, which no store takes in a key: the import leaves the job out and says so.
  const EVE = '20240119_140000-singlequdit-eve@lab.org-9c4d2';
  let h: Harness;
  let server: DropboxApiServer;
  let registry: ProviderRegistry;
  let tokens: Record<'ada' | 'bob' | 'dave', string>;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    server = await startDropboxApiServer();
    for (const file of (await readdir(OLD, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile())) {
      const local = join(file.parentPath, file.name);
      server.store.putFile(`/${relative(OLD, local)}`, await readFile(local));
    }
    registry = registryFor({ config: h.config, logger: createLogger('silent'), storage: h.storage });
    tokens = { ada: await h.user('ada'), bob: await h.user('bob'), dave: await h.user('dave') };
  });
  after(async () => {
    await registry.close();
    await h.stop();
    await server.close();
  });

  const login = () => ({ app_key: server.tokens.clientId, app_secret: server.tokens.clientSecret, refresh_token: server.tokens.refreshToken, api_base_url: server.url });
  const isUser = async (name: string) => (await h.storage.get(USERS_NS, name)) !== undefined;
  const v2 = (call: string, id: string, token: string) => request(`${h.url}/api/v2/lab2_singlequdit_simulator/${call}?job_id=${encodeURIComponent(id)}&token=${token}`);
  const listed = async (token: string, query = '') => (await h.call('GET', `/jobs${query}`, { token })).body as { jobs: { id: string; status: string; provider?: string }[]; next_cursor: string | null };

  it('reads qlued\'s old Dropbox ids, and refuses anything that is not one whole (no path out of its folder)', () => {
    expect(qluedJobId(ALICE)).to.deep.equal({ display: 'singlequdit', username: 'alice.b', createdAt: '2023-03-21T11:46:12Z' });
    expect(isQluedJobId(EVE)).to.equal(true);
    for (const bad of [
      '20230321_114612-singlequdit-..-cec9c',
      '20230321_114612-singlequdit-.hidden-cec9c',
      '20230321_114612-singlequdit-a/b-cec9c',
      '20230321_114612-singlequdit-ann-lee-cec9c',
      '20230321_114612-Single-ann-cec9c',
      '20230321_114612-singlequdit-ann-cec9',
      '../../etc/passwd',
      `${ALICE}\n`,
    ]) {
      expect(isQluedJobId(bad), bad).to.equal(false);
    }
  });

  it('gives each old job to the qspool user its qlued user maps to, or to the namesake, and reports the rest', async () => {
    const report = await importQlued(registry, { provider: { name: 'lab2', type: 'dropbox', login: login() }, users: { fretchen: 'ada', 'alice.b': 'bob' }, isUser });
    expect(report).to.deep.equal({ provider: 'lab2', backends: ['singlequdit'], indexed: 4, known: 0, unowned: { carol: 1 }, unindexable: [EVE] });
    expect((await listed(tokens.ada)).jobs.map((job) => [job.id, job.status, job.provider])).to.deep.equal(FRETCHEN.map((id) => [id, 'DONE', 'lab2']));
    expect((await listed(tokens.bob)).jobs.map((job) => [job.id, job.status])).to.deep.equal([[ALICE, 'ERROR']]);
    expect((await listed(tokens.dave)).jobs.map((job) => job.id)).to.deep.equal([DAVE]);
  });

  it('pages through old ids with the listing\'s cursor', async () => {
    const first = await listed(tokens.ada, '?limit=1');
    expect(first.jobs.map((job) => job.id)).to.deep.equal([FRETCHEN[0]]);
    const second = await listed(tokens.ada, `?limit=1&cursor=${first.next_cursor}`);
    expect(second.jobs.map((job) => job.id)).to.deep.equal([FRETCHEN[1]]);
  });

  it('serves old jobs\' statuses and results under their old ids through /api/v2, to their owners only', async () => {
    expect((await v2('get_job_status', FRETCHEN[0]!, tokens.ada)).body).to.include({ job_id: FRETCHEN[0], status: 'DONE' });
    const result = (await v2('get_job_result', FRETCHEN[0]!, tokens.ada)).body as Record<string, unknown>;
    expect(result).to.include({ status: 'finished', job_id: FRETCHEN[0], backend_name: 'lab2_singlequdit_simulator' });
    expect(result).to.have.nested.property('results[0].data.memory').that.deep.equals(['24', '26', '23']);
    // Its status is in qlued's older per-user folder.
    const failed = await v2('get_job_status', ALICE, tokens.bob);
    expect([failed.status, (failed.body as { status: string }).status]).to.deep.equal([406, 'ERROR']);
    expect((failed.body as { detail: string }).detail).to.include('Instruction warp not allowed');
    expect((await v2('get_job_status', FRETCHEN[0]!, tokens.bob)).status).to.equal(406);
    expect((await v2('get_job_result', CAROL, tokens.ada)).status).to.equal(406);
    expect((await v2('get_job_status', '20240115_093012-singlequdit-..-cec9c', tokens.ada)).status).to.equal(406);
  });

  it('indexes only the jobs still unowned when run again with a fallback owner', async () => {
    const report = await importQlued(registry, { provider: { name: 'lab2', type: 'dropbox', login: login() }, owner: 'dave', isUser });
    expect(report).to.include({ indexed: 1, known: 4 }).and.to.have.deep.property('unowned', {});
    expect((await listed(tokens.dave)).jobs.map((job) => job.id)).to.deep.equal([DAVE, CAROL]);
  });

  it('lists old jobs among qspool\'s by creation time, and selects them by created_after and created_before', async () => {
    const fresh = ((await h.call('POST', '/backends/singlequdit/jobs', { token: tokens.dave, body: { payload: GOOD_JOB } })).body as { id: string }).id;
    const ids = async (query: string) => (await listed(tokens.dave, query)).jobs.map((job) => job.id);
    expect(await ids('')).to.deep.equal([DAVE, CAROL, fresh]);
    expect(await ids('?created_after=2024-01-18T00:00:00Z')).to.deep.equal([CAROL, fresh]);
    expect(await ids('?created_before=2024-01-18T00:00:00Z')).to.deep.equal([DAVE]);
    // From the second DAVE's id names, inclusive, to the next, exclusive.
    expect(await ids('?created_after=2024-01-17T12:00:00Z&created_before=2024-01-17T12:00:01Z')).to.deep.equal([DAVE]);
    expect(await ids('?created_after=2024-01-17T12:00:01Z&created_before=2024-01-18T13:00:00Z')).to.deep.equal([]);
    const paged: string[] = [];
    for (let cursor = ''; ; ) {
      const page = await listed(tokens.dave, `?limit=1${cursor}`);
      paged.push(...page.jobs.map((job) => job.id));
      if (page.next_cursor === null) break;
      cursor = `&cursor=${page.next_cursor}`;
    }
    expect(paged).to.deep.equal([DAVE, CAROL, fresh]);
    const everyone = ((await h.call('GET', '/jobs', { token: await h.user('auditor', 'admin') })).body as { jobs: { id: string }[] }).jobs.map((job) => job.id);
    expect(everyone).to.deep.equal([ALICE, ...FRETCHEN, DAVE, CAROL, fresh]);
  });

  it('answers the native routes by id under old ids, to their owners only', async () => {
    const job = await h.call('GET', `/jobs/${FRETCHEN[0]}`, { token: tokens.ada });
    expect(job.status).to.equal(200);
    expect(job.body).to.include({ id: FRETCHEN[0], status: 'DONE', provider: 'lab2', owner: 'ada' });
    const result = await h.call('GET', `/jobs/${FRETCHEN[0]}/result`, { token: tokens.ada });
    expect(result.body).to.include({ job_id: FRETCHEN[0], status: 'finished' });
    expect((await h.call('GET', `/jobs/${FRETCHEN[0]}/signature`, { token: tokens.ada })).body).to.include({ job_id: FRETCHEN[0], valid: false });
    // A finished job's event stream is its current state, then the end.
    const events = await request(`${h.url}/api/v1/jobs/${FRETCHEN[0]}/events`, { headers: { Authorization: `Bearer ${tokens.ada}` } });
    expect(events.status).to.equal(200);
    expect(events.headers.get('content-type')).to.match(/^text\/event-stream/);
    expect(events.text).to.include(`id: ${FRETCHEN[0]}-1\ndata: {"event_id":"${FRETCHEN[0]}-1","job_id":"${FRETCHEN[0]}","backend":"singlequdit","status":"DONE"`);
    // EventSource reconnects with the last id it saw: nothing more will come, which tells it to stop.
    const resumed = await request(`${h.url}/api/v1/jobs/${FRETCHEN[0]}/events`, { headers: { Authorization: `Bearer ${tokens.ada}`, 'Last-Event-ID': `${FRETCHEN[0]}-1` } });
    expect(resumed.status).to.equal(204);
    const refused = await h.call('GET', `/jobs/${ALICE}/result`, { token: tokens.bob });
    expect([refused.status, (refused.body as { error: { code: string } }).error.code]).to.deep.equal([409, 'result_not_ready']);
    expect((await h.call('POST', `/jobs/${ALICE}/cancel`, { token: tokens.bob })).status).to.equal(409);
    // eve@lab.org's job is in nobody's index: only admins read it, and only through /api/v2.
    const overseer = await h.user('overseer', 'admin');
    expect((await v2('get_job_status', EVE, overseer)).body).to.include({ job_id: EVE, status: 'DONE' });
    expect((await v2('get_job_status', EVE, tokens.ada)).status).to.equal(406);
    expect((await h.call('GET', `/jobs/${encodeURIComponent(EVE)}`, { token: overseer })).status).to.equal(404);
    for (const [id, token] of [[FRETCHEN[0]!, tokens.bob], [ALICE, tokens.ada], [EVE, tokens.ada]] as const) {
      expect((await h.call('GET', `/jobs/${id}`, { token })).status, id).to.equal(404);
    }
    expect((await h.call('DELETE', `/jobs/${FRETCHEN[1]}`, { token: tokens.bob })).status).to.equal(404);
    expect((await h.call('DELETE', `/jobs/${FRETCHEN[1]}`, { token: tokens.ada })).status).to.equal(204);
    expect((await h.call('GET', `/jobs/${FRETCHEN[1]}`, { token: tokens.ada })).status).to.equal(404);
    expect((await listed(tokens.ada)).jobs.map((one) => one.id)).to.deep.equal([FRETCHEN[0]]);
    expect((await v2('get_job_status', FRETCHEN[1]!, tokens.ada)).status).to.equal(406);
  });

  it('answers an old-looking id that is not one whole, or names another folder, with a JSON 404 or 422', async () => {
    const admin = await h.user('root', 'admin');
    for (const id of [
      '20240115_093012-singlequdit-..-cec9c', '20240115_093012-singlequdit-fretchen%2F..-cec9c', '20240115_093012-singlequdit-.fretchen-cec9c',
      `${FRETCHEN[0]}%00`, `${FRETCHEN[0]}.json`, `..%2F${FRETCHEN[0]}`, FRETCHEN[0]!.toUpperCase(), encodeURIComponent(EVE),
      '20240115_093012-fermions-fretchen-cec9c', `20240115_093012-singlequdit-${'f'.repeat(151)}-cec9c`,
    ]) {
      for (const [method, path] of [['GET', `/jobs/${id}`], ['GET', `/jobs/${id}/result`], ['POST', `/jobs/${id}/cancel`], ['DELETE', `/jobs/${id}`]] as const) {
        const answer = await h.call(method, path, { token: admin });
        expect([404, 422], `${method} ${path}`).to.include(answer.status);
        expect(answer.body, `${method} ${path}`).to.have.nested.property('error.code');
      }
    }
  });
});
