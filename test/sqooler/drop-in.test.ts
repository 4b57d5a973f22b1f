// The qlued drop-in, end to end: a local directory registered with the sqooler layout, a spooler that speaks only
// sqooler's layout (./sqooler-double.ts) on it, and a client on qlued's /api/v2. The job the client posts is on disk
// exactly as qlued's post_job leaves it; the spooler takes it with a plain move; the client reads "finished".
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger.ts';
import { registryFor } from '../../scripts/runtime.ts';
import type { ProviderRegistry } from '../../storage/registry/index.ts';
import { GOOD_JOB, eventually, startHarness, type Harness } from '../native-api/harness.ts';
import { SECRET_KEY } from '../support/lab-provider.ts';
import { postJson, request } from '../support/system.ts';
import { SqoolerDouble } from './sqooler-double.ts';

const BACKEND = 'lab1_singlequdit_simulator';

describe('a sqooler-layout provider served to qlued clients, with a sqooler spooler on it', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;
  let registry: ProviderRegistry;
  let spooler: SqoolerDouble;
  let ada: string;
  let bob: string;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-'));
    registry = registryFor({ config: h.config, logger: createLogger('silent'), storage: h.storage });
    await registry.add({ name: 'lab1', type: 'local', login: { base_path: dir }, layout: 'sqooler' });
    spooler = new SqoolerDouble(dir);
    spooler.publishConfig();
    [ada, bob] = [await h.user('ada'), await h.user('bob')];
  });
  after(async () => {
    spooler.stop();
    await registry.close();
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const v2 = (call: string, query = '') => `${h.url}/api/v2/${BACKEND}/${call}${query}`;
  const post = (job: unknown, token = ada) => postJson(v2('post_job'), { job: JSON.stringify(job), token });
  const status = (id: string, token = ada) => request(v2('get_job_status', `?job_id=${id}&token=${token}`));
  const onDisk = async (...parts: string[]) => JSON.parse(await readFile(join(dir, ...parts), 'utf8')) as unknown;

  it('registers the layout with the provider (local only so far)', async () => {
    expect(await registry.summary('lab1')).to.include({ layout: 'sqooler', type: 'local' });
    const login = { mongodb_database_url: 'db.example.org', mongodb_username: 'lab', mongodb_password: 'x' };
    for (const entry of [{ type: 'mongodb', login, layout: 'sqooler' }, { type: 'local', login: { base_path: dir }, layout: 'flat' }]) {
      await registry.add({ name: 'lab2', ...entry }).then(
        () => expect.fail('registered'),
        (error: unknown) => expect(error).to.have.property('code', 'invalid_key'),
      );
    }
  });

  it('lists the backend whose config the sqooler spooler published, not operational before it looks at its queue', async () => {
    const names = ((await request(`${h.url}/api/v2/backends`)).body as { backend_name: string }[]).map((b) => b.backend_name);
    expect(names).to.include(BACKEND);
    const config = await request(v2('get_config'));
    expect(config.body).to.include({ backend_name: BACKEND, display_name: 'singlequdit', n_qubits: 1 });
    expect((await request(v2('get_backend_status'))).body).to.deep.equal({
      backend_name: BACKEND,
      backend_version: '0.3',
      operational: false,
      pending_jobs: 0,
      status_msg: 'No spooler has checked the queue recently.',
    });
  });

  it('writes a posted job as qlued does: the client\'s payload in the queue and sqooler\'s INITIALIZING status', async () => {
    const posted = await post(GOOD_JOB);
    expect(posted.status).to.equal(200);
    const id = (posted.body as { job_id: string }).job_id;
    expect(await onDisk('jobs', 'queued', 'singlequdit', `${id}.json`)).to.deep.equal(GOOD_JOB);
    expect(await onDisk('status', 'singlequdit', `${id}.json`)).to.deep.equal({ job_id: id, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' });
    expect((await status(id)).body).to.include({ job_id: id, status: 'QUEUED' });
    // Another user's job answers like an unknown id (qlued's missing status file).
    const foreign = await status(id, bob);
    expect([foreign.status, foreign.body]).to.deep.equal([406, { job_id: id, status: 'ERROR', detail: 'Could not find the status file.', error_message: `Missing status file for ${id}.` }]);
    // The sqooler spooler cannot be stopped once it has listed the queue, so jobs there cannot be cancelled.
    expect((await h.call('POST', `/jobs/${id}/cancel`, { token: ada })).status).to.equal(409);
  });

  it('serves the result the sqooler spooler wrote as "finished", and the backend as operational', async () => {
    const id = ((await post(GOOD_JOB)).body as { job_id: string }).job_id;
    spooler.start();
    const done = await eventually(async () => {
      const answer = (await status(id)).body as { status: string };
      return answer.status === 'DONE' ? answer : undefined;
    });
    expect(done.status).to.equal('DONE');
    expect(await onDisk('jobs', 'finished', 'singlequdit', `${id}.json`)).to.deep.equal(GOOD_JOB);
    const result = (await request(v2('get_job_result', `?job_id=${id}&token=${ada}`))).body as Record<string, unknown>;
    expect(result).to.include({ status: 'finished', backend_name: BACKEND, job_id: id, success: true });
    expect(result.results).to.have.length(1).and.to.have.nested.property('[0].data.memory').with.length(10);
    const backend = (await request(v2('get_backend_status'))).body as { operational: boolean };
    expect(backend.operational).to.equal(true);
    // The native API lists it among ada's jobs, on its provider.
    const listed = (await h.call('GET', '/jobs', { token: ada })).body as { jobs: { id: string; provider?: string; status: string }[] };
    expect(listed.jobs.find((job) => job.id === id)).to.include({ provider: 'lab1', status: 'DONE' });
  });

  it('answers a job the sqooler spooler refused with its ERROR status', async () => {
    const bad = { experiment_0: { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [50]], ['rlz2', [0], [1]], ['measure', [0], []]] } };
    const id = ((await post(bad)).body as { job_id: string }).job_id;
    const failed = await eventually(async () => {
      const answer = await status(id);
      return answer.status === 406 ? (answer.body as { status: string; detail: string }) : undefined;
    });
    expect(failed.status).to.equal('ERROR');
    expect(failed.detail).to.include('Instruction rlz2 not allowed');
    expect(await onDisk('jobs', 'deleted', `${id}.json`)).to.deep.equal(bad);
  });
});
