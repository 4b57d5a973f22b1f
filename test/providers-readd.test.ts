// A provider removed and added again under the same name with another login (the lab moved its store) is a new
// provider to every server on the primary: the server opened the old one before, and must not keep routing jobs there.
import { expect } from 'chai';
import { GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { SECRET_KEY, startLabProvider, type LabProvider } from './support/lab-provider.ts';
import { eventually } from './support/system.ts';

const LAB_BACKEND = 'lab1_singlequdit_simulator';
const QUEUED = 'jobs/queued/singlequdit';

describe('a provider added again under its old name', function () {
  this.timeout(60_000);
  let h: Harness;
  const labs: LabProvider[] = [];
  let ada: string;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    ada = await h.user('ada');
  });
  after(async () => {
    await Promise.all(labs.map((lab) => lab.stop()));
    await h.stop();
  });

  /** Submits a job to the lab's backend once the server lists it; answers where the job was written. */
  async function submitTo(): Promise<string> {
    return eventually(async () => {
      const answer = await h.call('POST', `/backends/${LAB_BACKEND}/jobs`, { token: ada, body: { payload: GOOD_JOB } });
      return answer.status === 201 ? (answer.body as { id: string }).id : undefined;
    });
  }

  it('routes jobs to the store of the provider registered now, not the one the server opened before', async () => {
    const first = await startLabProvider(h.storage, h.config, 'lab1', ['singlequdit']);
    labs.push(first);
    // Its backend's config stays published; without a spooler the jobs stay where they were written.
    await first.pause();
    const before = await submitTo();
    expect(await first.storage.get(QUEUED, before), 'the first job is on the first store').to.not.equal(undefined);

    // As the CLI does it, in another process: the server is not told.
    await first.registry.remove('lab1');
    const second = await startLabProvider(h.storage, h.config, 'lab1', ['singlequdit']);
    labs.push(second);
    await second.pause();
    const after = await submitTo();
    const found = await second.storage.get(QUEUED, after);
    expect(found, 'the job after the provider was added again is on its new store').to.not.equal(undefined);
  });
});
