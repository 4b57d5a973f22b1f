// The README's walk-through as a new user meets it: register, log in, create an API token, submit a job, wait for
// it, read the result, with real spoolers running.
import { expect } from 'chai';
import { GOOD_JOB, PASSWORD, eventually, startHarness, type Harness } from './harness.ts';

describe('native API: the README walk-through', function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await h.startSpoolers();
  });
  after(async () => h.stop());

  it('takes a new user from registration to a result', async () => {
    expect((await h.call('POST', '/users', { body: { username: 'newton', email: 'newton@example.org', password: PASSWORD } })).status).to.equal(201);
    const login = (await h.call('POST', '/auth/token', { body: { username: 'newton', password: PASSWORD } })).body as { access_token: string };
    const created = (await h.call('POST', '/tokens', { token: login.access_token, body: { name: 'laptop' } })).body as { token: string };
    const token = created.token;
    const backend = (await h.call('GET', '/backends/singlequdit')).body as { status: { operational: boolean } };
    expect(backend.status.operational).to.equal(true);
    const submitted = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB, tags: ['readme'] } });
    expect(submitted.status).to.equal(201);
    const id = (submitted.body as { id: string }).id;
    const done = await eventually(async () => {
      const job = (await h.call('GET', `/jobs/${id}`, { token })).body as { status: string };
      return job.status === 'DONE' ? job : undefined;
    });
    expect(done).to.include({ attempts: 1, owner: 'newton' });
    const result = (await h.call('GET', `/jobs/${id}/result`, { token })).body as { status: string; results: { shots: number; data: { memory: string[] } }[] };
    expect(result.status).to.equal('finished');
    expect(result.results[0]!.data.memory).to.have.length(10);
    for (const shot of result.results[0]!.data.memory) expect(shot).to.match(/^\d+$/);
    const listed = (await h.call('GET', '/jobs?tag=readme', { token })).body as { jobs: { id: string }[] };
    expect(listed.jobs.map((job) => job.id)).to.deep.equal([id]);
  });
});
