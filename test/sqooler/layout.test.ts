// The sqooler layout against sqooler's own documents: fixtures/ holds trees the real sqooler code wrote, on local
// storage and on Dropbox (commit and runs in fixtures/README.md). What the server reads from them, and what it writes for a posted job, must match them.
import { expect } from 'chai';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, InvalidKeyError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { createProvider } from '../../storage/factory.ts';
import { type JobRecord, type StatusRecord, ns } from '../../storage/records.ts';
import { SqoolerJobs } from '../../storage/sqooler/jobs.ts';
import { SqoolerDropboxFiles } from '../../storage/sqooler/dropbox.ts';
import { SqoolerLocalFiles } from '../../storage/sqooler/local.ts';
import { dropboxPaths, localPaths } from '../../storage/sqooler/paths.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../dropbox-api-server/index.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const DONE_ID = '31a0bbda84ac401489a05c7a';
const QUEUED_ID = 'e7b1896469774b349b4df6a0';
const ERROR_ID = 'b2064752d2344f16af4de088';

const fixture = async (...parts: string[]) => JSON.parse(await readFile(join(FIXTURES, ...parts), 'utf8')) as Record<string, unknown>;

describe('the sqooler layout, on documents sqooler wrote itself', () => {
  let work: string;
  let primary: StorageProvider;
  const view = (tree: string) => new SqoolerView(new SqoolerLocalFiles(join(work, tree)), localPaths, { storage: primary, provider: 'lab1' });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'qspool-sqooler-layout-'));
    await cp(FIXTURES, work, { recursive: true });
    primary = await createProvider({ type: 'local', root: join(work, 'primary'), fsync: false });
  });
  after(async () => {
    await primary.close();
    await rm(work, { recursive: true, force: true });
  });

  it('reads a signed config (its signature checked) as the backend, and its last_queue_check as the spooler\'s heartbeat', async () => {
    const done = view('done');
    expect(await done.list('configs')).to.deep.equal(['singlequdit']);
    const config = (await done.get<Record<string, unknown>>('configs', 'singlequdit'))!.value;
    const published = (await fixture('done', 'backends', 'configs', 'singlequdit.json')).payload as Record<string, unknown>;
    expect(config).to.include({ display_name: 'singlequdit', version: '0.3', simulator: true, sign: true, kid: 'lab1key', num_wires: 1 });
    expect(config.gates).to.deep.equal(published.gates);
    expect(await done.list('heartbeats/singlequdit')).to.deep.equal(['sqooler']);
    const beat = (await done.get<{ at: string }>('heartbeats/singlequdit', 'sqooler'))!.value;
    expect(Date.parse(beat.at)).to.equal(Date.parse(published.last_queue_check as string));
  });

  it('reads a job qlued posted and no spooler took yet as QUEUED, with the client\'s payload', async () => {
    const queued = view('queued');
    expect(await queued.list('jobs/queued/singlequdit')).to.deep.equal([QUEUED_ID]);
    const record = (await queued.get<JobRecord>('jobs/queued/singlequdit', QUEUED_ID))!.value;
    expect(record).to.include({ id: QUEUED_ID, state: 'QUEUED', backend: 'singlequdit' });
    expect(record.payload).to.deep.equal(await fixture('queued', 'jobs', 'queued', 'singlequdit', `${QUEUED_ID}.json`));
    expect((await queued.get<StatusRecord>('status/singlequdit', QUEUED_ID))!.value).to.include({ status: 'QUEUED', detail: 'Got your json.' });
  });

  it('reads a finished job as DONE and serves its signed result\'s payload as "finished" under its full name', async () => {
    const done = view('done');
    expect(await done.list('jobs/finished/singlequdit')).to.deep.equal([DONE_ID]);
    expect((await done.get<StatusRecord>('status/singlequdit', DONE_ID))!.value).to.include({ status: 'DONE' });
    const result = (await done.get<Record<string, unknown>>('results/singlequdit', DONE_ID))!.value;
    const stored = (await fixture('done', 'results', 'singlequdit', `${DONE_ID}.json`)).payload as Record<string, unknown>;
    expect(result).to.deep.equal({ ...stored, backend_name: 'lab1_singlequdit_simulator', status: 'finished' });
  });

  it('reads a job past a damaged status dict, by the folder it is in', async () => {
    await cp(join(work, 'done'), join(work, 'damaged'), { recursive: true });
    const damaged = view('damaged');
    for (const content of ['[1, 2]', '"text"', '{"job_id": "x", "status": "DONE"}']) {
      await writeFile(join(work, 'damaged', 'status', 'singlequdit', `${DONE_ID}.json`), content);
      const status = (await damaged.get<StatusRecord>('status/singlequdit', DONE_ID))!.value;
      expect(status, content).to.include({ job_id: DONE_ID, status: 'DONE' });
      expect(status.detail).to.be.a('string');
    }
  });

  it('serves signed configs and results only while their signatures hold with the published key', async () => {
    await cp(join(work, 'done'), join(work, 'tampered'), { recursive: true });
    const tamper = async (file: string, from: string, to: string) => {
      const text = await readFile(join(work, 'tampered', file), 'utf8');
      expect(text).to.include(from);
      await writeFile(join(work, 'tampered', file), text.replace(from, to));
    };
    await tamper(`results/singlequdit/${DONE_ID}.json`, '"memory": ["', '"memory": ["1');
    const tampered = view('tampered');
    expect(await tampered.get('results/singlequdit', DONE_ID)).to.equal(undefined);
    expect(await tampered.get('configs', 'singlequdit')).to.not.equal(undefined);
    await tamper('backends/configs/singlequdit.json', '"max_shots": 1000000', '"max_shots": 1000001');
    expect(await tampered.get('configs', 'singlequdit')).to.equal(undefined);
    // Without the published key nothing signed is trusted.
    await rm(join(work, 'done-without-key'), { recursive: true, force: true });
    await cp(join(work, 'done'), join(work, 'done-without-key'), { recursive: true });
    await rm(join(work, 'done-without-key', 'backends', 'public_keys'), { recursive: true });
    expect(await view('done-without-key').get('configs', 'singlequdit')).to.equal(undefined);
  });

  it('reads a job the spooler refused as ERROR, from the deleted folder every backend shares', async () => {
    const error = view('error');
    expect(await error.list('jobs/deleted/singlequdit')).to.deep.equal([ERROR_ID]);
    expect(await error.list('jobs/deleted/fermions')).to.deep.equal([]);
    const status = (await error.get<StatusRecord>('status/singlequdit', ERROR_ID))!.value;
    expect(status.status).to.equal('ERROR');
    expect(status.error_message).to.include('Instruction warp not allowed.');
  });

  it('writes a posted job exactly as qlued\'s post_job does, and indexes it on the server\'s storage', async () => {
    const jobs = new SqoolerJobs(view('fresh'));
    const payload = await fixture('queued', 'jobs', 'queued', 'singlequdit', `${QUEUED_ID}.json`);
    const record = await jobs.enqueue({ backend: 'singlequdit', owner: 'ada', payload });
    expect(JSON.parse(await readFile(join(work, 'fresh', 'jobs', 'queued', 'singlequdit', `${record.id}.json`), 'utf8'))).to.deep.equal(payload);
    const status = JSON.parse(await readFile(join(work, 'fresh', 'status', 'singlequdit', `${record.id}.json`), 'utf8')) as unknown;
    expect(status).to.deep.equal({ ...(await fixture('queued', 'status', 'singlequdit', `${QUEUED_ID}.json`)), job_id: record.id });
    expect(await jobs.indexEntry(record.id)).to.include({ owner: 'ada', backend: 'singlequdit', provider: 'lab1' });
    expect((await jobs.getStatus('singlequdit', record.id))!.owner).to.equal('ada');
  });

  it('refuses writes through the contract: only the job service writes sqooler documents', async () => {
    const contract: StorageProvider = view('done');
    await contract.put('configs', 'singlequdit', {}).then(
      () => expect.fail('written'),
      (error: unknown) => expect(error).to.be.instanceOf(ConflictError),
    );
  });
});

describe('sqooler\'s local files', () => {
  let base: string;
  let files: SqoolerLocalFiles;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'qspool-sqooler-files-'));
    files = new SqoolerLocalFiles(base);
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('never overwrites on upload, as sqooler\'s upload refuses to', async () => {
    await files.upload('status/singlequdit', 'a', { n: 1 });
    await files.upload('status/singlequdit', 'a', { n: 2 }).then(
      () => expect.fail('overwritten'),
      (error: unknown) => expect(error).to.be.instanceOf(ConflictError),
    );
    expect(await files.get('status/singlequdit', 'a')).to.deep.equal({ n: 1 });
  });

  for (const [path, name] of [['status/../..', 'x'], ['status', '../x'], ['status', 'a/b'], ['status', '.hidden'], ['/etc', 'passwd']]) {
    it(`refuses the path ${JSON.stringify(`${path}/${name}`)}`, async () => {
      await files.get(path!, name!).then(
        () => expect.fail('read'),
        (error: unknown) => expect(error).to.be.instanceOf(InvalidKeyError),
      );
    });
  }

  it('waits out a document a sqooler process is rewriting in place', async () => {
    await files.upload('backends/configs', 'singlequdit', { display_name: 'singlequdit' });
    const file = join(base, 'backends', 'configs', 'singlequdit.json');
    await writeFile(file, '{"display_na');
    setTimeout(() => void writeFile(file, '{"display_name": "singlequdit", "last_queue_check": "2024-08-09T08:58:35+00:00"}'), 20);
    expect(await files.get('backends/configs', 'singlequdit')).to.include({ last_queue_check: '2024-08-09T08:58:35+00:00' });
  });
});

describe('the sqooler layout on Dropbox, on documents sqooler wrote itself', () => {
  const DROPBOX = join(FIXTURES, 'dropbox');
  const DONE = '01a24980a92c0000507adc04';
  const REFUSED = '01a24980afd10000df7071ff';
  let server: DropboxApiServer;
  let primary: StorageProvider;
  let work: string;
  let view: SqoolerView;

  before(async () => {
    server = await startDropboxApiServer();
    for (const file of (await readdir(DROPBOX, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile())) {
      const local = join(file.parentPath, file.name);
      server.store.putFile(`/${relative(DROPBOX, local)}`, await readFile(local));
    }
    work = await mkdtemp(join(tmpdir(), 'qspool-sqooler-dropbox-'));
    primary = await createProvider({ type: 'local', root: work, fsync: false });
    // The server's index names each job's owner: sqooler's Dropbox paths need it.
    for (const id of [DONE, REFUSED]) {
      const entry = { backend: 'singlequdit', owner: 'ada', provider: 'lab2', createdAt: new Date().toISOString() };
      await primary.put(ns.jobIndex, id, entry);
    }
    const files = new SqoolerDropboxFiles({ appKey: server.tokens.clientId, appSecret: server.tokens.clientSecret, refreshToken: server.tokens.refreshToken, apiBaseUrl: server.url });
    view = new SqoolerView(files, dropboxPaths, { storage: primary, provider: 'lab2' });
  });
  after(async () => {
    await primary.close();
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('finds the backend by its config folder and reads the signed config', async () => {
    expect(await view.list('configs')).to.deep.equal(['singlequdit']);
    expect((await view.get<Record<string, unknown>>('configs', 'singlequdit'))!.value).to.include({ display_name: 'singlequdit', sign: true, kid: 'lab1key' });
    expect(await view.list('heartbeats/singlequdit')).to.deep.equal(['sqooler']);
  });

  it('reads the finished job, its status from Status/<display>/None and its result from the user\'s folder', async () => {
    expect(await view.list('jobs/finished/singlequdit')).to.deep.equal([DONE]);
    expect(await view.list('status/singlequdit')).to.deep.equal([DONE, REFUSED]);
    expect((await view.get<StatusRecord>('status/singlequdit', DONE))!.value).to.include({ status: 'DONE', owner: 'ada' });
    const result = (await view.get<Record<string, unknown>>('results/singlequdit', DONE))!.value;
    expect(result).to.include({ status: 'finished', job_id: DONE, backend_name: 'lab2_singlequdit_simulator', success: true });
  });

  it('reads the refused job as ERROR, from the deleted folder every backend shares', async () => {
    expect(await view.list('jobs/deleted/singlequdit')).to.deep.equal([REFUSED]);
    expect((await view.get<JobRecord>('jobs/deleted/singlequdit', REFUSED))!.value).to.include({ state: 'ERROR', owner: 'ada' });
  });
});

describe('sqooler\'s Dropbox files, listed over several pages while they change', () => {
  let server: DropboxApiServer;
  before(async () => {
    server = await startDropboxApiServer();
  });
  after(() => server.close());

  it('leaves out a file deleted meanwhile and lists a file rewritten meanwhile once', async () => {
    const names = Array.from({ length: 2001 }, (_, i) => `k${String(i).padStart(4, '0')}`); // one more than a page
    for (const name of names) server.store.putFile(`/jobs/${name}.json`, '{}');
    let changed: { deleted: string; rewritten: string } | undefined;
    // Once the first page is in, its first file is deleted and its second rewritten: later pages report both.
    const real = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const response = await real(input, init);
      if (changed === undefined && String(input).endsWith('/2/files/list_folder')) {
        const [first, second] = ((await response.clone().json()) as { entries: { path_lower: string; name: string }[] }).entries;
        changed = { deleted: first!.name.slice(0, -'.json'.length), rewritten: second!.name.slice(0, -'.json'.length) };
        server.store.delete(first!.path_lower, undefined);
        server.store.putFile(second!.path_lower, '{"again": true}');
      }
      return response;
    };
    let files: SqoolerDropboxFiles;
    try {
      files = new SqoolerDropboxFiles({ appKey: server.tokens.clientId, appSecret: server.tokens.clientSecret, refreshToken: server.tokens.refreshToken, apiBaseUrl: server.url });
    } finally {
      globalThis.fetch = real;
    }
    const listed = await files.list('jobs');
    expect(changed).to.not.equal(undefined);
    expect([...listed].sort()).to.deep.equal(names.filter((name) => name !== changed!.deleted));
  });
});
