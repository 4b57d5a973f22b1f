// A job document a spooler set aside as damaged (storage/damaged.ts) will never run: its owner's queue quota
// (QSPOOL_MAX_QUEUED_PER_USER) must not keep counting it.
import { expect } from 'chai';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';

describe('queue quota and damaged jobs', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada', { QSPOOL_MAX_QUEUED_PER_USER: 2 });
  const submit = () => system.h.call('POST', '/backends/singlequdit/jobs', { token: system.token, body: { payload: GOOD_JOB } });

  it('gives back the queue room of a job set aside as damaged', async () => {
    // A job waiting longer on another backend: the count reads ada's jobs from the oldest queued one on.
    await system.h.lifecycle.enqueue({ backend: 'fermions', owner: 'bob', payload: GOOD_JOB });
    const [first, second] = [await submit(), await submit()];
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    expect((await submit()).status).to.equal(429);
    // The oldest job's document is damaged; the next claim sets it aside and takes the other job.
    const damaged = (first.body as { id: string }).id;
    await system.h.storage.put(ns.queued('singlequdit'), damaged, { id: damaged, state: 'QUEUED', note: 'truncated by hand' });
    const claimed = await system.h.lifecycle.claim('singlequdit', 'test-spooler');
    expect(claimed?.record.id).to.equal((second.body as { id: string }).id);
    expect(await system.h.storage.list(ns.damaged('singlequdit'))).to.deep.equal([damaged]);
    expect((await system.h.lifecycle.getStatus('singlequdit', damaged))?.status).to.equal('ERROR');
    // Nothing is queued now: two more jobs fit, a third does not.
    const answers = [await submit(), await submit(), await submit()];
    expect(answers.map((answer) => answer.status), answers.map((answer) => answer.text).join('\n')).to.deep.equal([201, 201, 429]);
  });
});
