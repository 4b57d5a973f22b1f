// Taking over a qlued deployment's local storage: the jobs sqooler's spoolers already finished there (fixtures
// written by the real sqooler code) are listed for the user they are given to and served through /api/v2.
import { expect } from 'chai';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../config/logger.ts';
import { registryFor } from '../../scripts/runtime.ts';
import type { ProviderRegistry } from '../../storage/registry/index.ts';
import { importQlued } from '../../storage/sqooler/import.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';
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
  const v2 = (call: string, id: string, token: string) => request(`${h.url}/api/v2/lab1_singlequdit_simulator/${call}?job_id=${id}&token=${token}`);

  it('registers the provider with qlued\'s login dict and the sqooler layout, and indexes its jobs for their owner', async () => {
    const report = await importQlued(registry, { provider: provider(), owner: 'ada' });
    expect(report).to.deep.equal({ provider: 'lab1', backends: ['singlequdit'], indexed: 2, known: 0 });
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
    expect(await importQlued(registry, { provider: provider(), owner: 'bob' })).to.include({ indexed: 0, known: 2 });
  });
});
