// Fair-share weights end to end: an admin sets a user's weight (and highest priority) through
// PATCH /api/v1/admin/users/{username}, and that user's jobs then get a proportional share of a priority band.
import { expect } from 'chai';
import type { UserView } from '../../schemas/accounts.ts';
import type { JobDetail } from '../../schemas/native.ts';
import { GOOD_JOB, startHarness, type Harness } from './harness.ts';

describe('native API: fair-share weights', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  it('serves a user of weight 3 three jobs for every one of a user of weight 1 while both have jobs waiting', async () => {
    const admin = await h.user('root', 'admin');
    const [ada, bob] = [await h.user('ada'), await h.user('bob')];
    const changed = await h.call('PATCH', '/admin/users/ada', { token: admin, body: { weight: 3, max_priority: 7 } });
    expect(changed.status, changed.text).to.equal(200);
    expect(changed.body as UserView).to.include({ weight: 3, max_priority: 7 });
    expect(((await h.call('GET', '/users/me', { token: bob })).body as UserView).weight).to.equal(1);
    const owners = new Map<string, string>();
    for (let i = 0; i < 12; i += 1) {
      for (const [name, token] of [['ada', ada], ['bob', bob]] as const) {
        const answer = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
        expect(answer.status, answer.text).to.equal(201);
        owners.set((answer.body as JobDetail).id, name);
      }
    }
    const served: string[] = [];
    for (let i = 0; i < 12; i += 1) served.push(owners.get((await h.lifecycle.claim('singlequdit', 'spooler'))!.record.id)!);
    expect(served.filter((name) => name === 'ada')).to.have.length.within(8, 10);
  });

  it('refuses weights out of range', async () => {
    const admin = await h.user('root', 'admin');
    for (const weight of [0, 101]) {
      expect((await h.call('PATCH', '/admin/users/ada', { token: admin, body: { weight } })).status).to.equal(422);
    }
  });
});
