// The queue quota (QSPOOL_MAX_QUEUED_PER_USER) while a registered provider holding some of the user's jobs cannot be
// read: the recount must not fail the user's submissions to healthy backends. Jobs it cannot read count as queued,
// however old, so the quota is never exceeded by what it cannot see.
import { expect } from 'chai';
import { ns } from '../storage/records.ts';
import { GOOD_JOB, startHarness, type Harness } from './native-api/harness.ts';
import { SECRET_KEY } from './support/lab-provider.ts';
import { unreachableLab, type UnreachableLab } from './support/unreachable-lab.ts';

describe('queue quota with a registered provider that cannot be read', function () {
  this.timeout(30_000);
  let h: Harness;
  let lab1: UnreachableLab;
  let ada: string;

  beforeEach(async () => {
    h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, QSPOOL_MAX_QUEUED_PER_USER: 3, LOG_LEVEL: 'silent' });
    ada = await h.user('ada');
    lab1 = await unreachableLab(h, 'lab1');
  });
  afterEach(async () => {
    await h.stop();
    await lab1.close();
  });

  const submit = () => h.call('POST', '/backends/singlequdit/jobs', { token: ada, body: { payload: GOOD_JOB } });
  const onLab1 = async (jobs: number) => {
    for (let i = 0; i < jobs; i += 1) await lab1.lifecycle.enqueue({ backend: 'singlequdit', owner: 'ada', payload: GOOD_JOB });
  };

  it('counts the jobs it cannot read while no job is queued where it can read', async () => {
    await onLab1(3);
    expect((await submit()).status).to.equal(429);
  });

  it('counts the jobs it cannot read that are older than every job queued where it can read', async () => {
    await onLab1(2);
    await h.lifecycle.enqueue({ backend: 'fermions', owner: 'bob', payload: GOOD_JOB });
    expect([(await submit()).status, (await submit()).status]).to.deep.equal([201, 429]);
  });

  it('admits submissions to a healthy backend, counting the jobs it cannot read as queued', async () => {
    // A job waiting longer on the server's own storage: the recount reads ada's jobs from it on, lab1's among them.
    await h.lifecycle.enqueue({ backend: 'fermions', owner: 'bob', payload: GOOD_JOB });
    await onLab1(2);
    const first = await submit();
    expect(first.status, first.text).to.equal(201);
    const second = await submit();
    expect(second.status, second.text).to.equal(429);
    // Once lab1 answers, its jobs are counted as what they are: one of them was cancelled, which makes room.
    const [done] = await lab1.storage.list(ns.queued('singlequdit'));
    await lab1.lifecycle.cancel('singlequdit', done!);
    await lab1.reachable();
    const third = await submit();
    expect(third.status, third.text).to.equal(201);
    expect((await submit()).status).to.equal(429);
  });
});
