// A job on a registered provider whose queued document the lab's spooler set aside as damaged: the spooler cannot
// read the job index (it is on the server's storage), so its stand-in lacks what the submission said; the job, opened
// by id, still shows its tags and creation time, as the job list does.
import { expect } from 'chai';
import { ns } from '../storage/records.ts';
import { eventually, GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { SECRET_KEY, startLabProvider, type LabProvider } from './support/lab-provider.ts';

interface Job {
  status: string;
  tags: string[];
  created_at: string;
}

describe('a damaged job on a registered provider', function () {
  this.timeout(60_000);
  let h: Harness;
  let lab: LabProvider;

  before(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent' });
    lab = await startLabProvider(h.storage, h.config, 'lab1', ['singlequdit']);
  });
  after(async () => {
    await lab.stop();
    await h.stop();
  });

  it('keeps its tags and creation time once the lab\'s spooler has set it aside', async () => {
    const token = await h.user('ada');
    await lab.pause();
    const posted = await h.call('POST', '/backends/lab1_singlequdit_simulator/jobs', { token, body: { payload: GOOD_JOB, tags: ['calibration'] } });
    expect(posted.status, posted.text).to.equal(201);
    const { id, created_at: createdAt } = posted.body as { id: string; created_at: string };
    await lab.storage.put(ns.queued('singlequdit'), id, { id, state: 'QUEUED', note: 'truncated by hand' });
    await lab.resume();
    const job = await eventually(async () => {
      const answer = (await h.call('GET', `/jobs/${id}`, { token })).body as Job;
      return answer.status === 'ERROR' ? answer : undefined;
    }, 30_000);
    expect([job.tags, job.created_at]).to.deep.equal([['calibration'], createdAt]);
    const listed = (await h.call('GET', '/jobs', { token })).body as { jobs: (Job & { id: string })[] };
    expect(listed.jobs.find((entry) => entry.id === id)).to.deep.include({ status: 'ERROR', tags: ['calibration'], created_at: createdAt });
  });
});
