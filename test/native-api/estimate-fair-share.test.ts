// The estimate's queued_ahead beside users of other fair-share weights: it counts the jobs the schedule serves before
// the place the caller's job would get, one step of the caller's own weight after their latest job.
import { expect } from 'chai';
import type { JobEstimateView } from '../../schemas/estimate.ts';
import type { JobDetail } from '../../schemas/native.ts';
import { GOOD_JOB, startHarness, type Harness } from './harness.ts';

describe('native API: estimates under fair share', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  it('counts ahead exactly the jobs claimed before the caller\'s next job, whatever the weights', async () => {
    const admin = await h.user('root', 'admin');
    const [ada, bob] = [await h.user('ada'), await h.user('bob')];
    expect((await h.call('PATCH', '/admin/users/bob', { token: admin, body: { weight: 0.5 } })).status).to.equal(200);
    const submit = async (token: string) => {
      const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
      expect(answer.status, answer.text).to.equal(201);
      return (answer.body as JobDetail).id;
    };
    // ada (weight 1) starts at 1, 1001, 2001, 3001; bob (weight 0.5) at 1, and his next at 2001.
    for (let i = 0; i < 4; i += 1) await submit(ada);
    await submit(bob);
    const estimate = await h.call('POST', '/backends/singlequdit/estimate', { token: bob, body: { payload: GOOD_JOB } });
    expect(estimate.status, estimate.text).to.equal(200);
    const ahead = (estimate.body as JobEstimateView).queued_ahead;
    const next = await submit(bob);
    const order: string[] = [];
    for (let claimed = await h.lifecycle.claim('singlequdit', 's'); claimed; claimed = await h.lifecycle.claim('singlequdit', 's')) {
      order.push(claimed.record.id);
    }
    expect(order.indexOf(next)).to.equal(4);
    expect(ahead).to.equal(4);
  });
});
