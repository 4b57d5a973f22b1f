// Documents in shared storage come from every lab's spoolers: a damaged or foreign one makes its own backend
// unknown (or its own heartbeat void), and every other backend, list and submission goes on working.
import { expect } from 'chai';
import { ns } from '../../storage/records.ts';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';
import { request } from '../support/system.ts';

describe('damaged documents in storage', function () {
  this.timeout(30_000);
  const system = harnessWithUser('ada');

  const backendNames = async () => {
    const v2 = await request(`${system.h.url}/api/v2/backends`);
    expect(v2.status, v2.text).to.equal(200);
    const v1 = await system.h.call('GET', '/backends', { token: system.token });
    expect(v1.status, v1.text).to.equal(200);
    return {
      v2: (v2.body as { backend_name: string }[]).map((b) => b.backend_name),
      v1: (v1.body as { backends: { name: string }[] }).backends.map((b) => b.name),
    };
  };

  it('serves every other backend when configs are damaged, and answers 404 for the damaged ones', async () => {
    const good = await backendNames();
    const fermions = (await system.h.storage.get<Record<string, unknown>>(ns.configs, 'fermions'))!.value;
    const damaged: Record<string, unknown> = {
      broken: { display_name: 7, job_schema: { type: 'nonsense' } },
      plain: 'not a config',
      unresolved: { ...fermions, display_name: 'unresolved', job_schema: { $ref: '#/definitions/nowhere' } },
      'Foo-Bar': fermions,
    };
    for (const [key, value] of Object.entries(damaged)) await system.h.storage.put(ns.configs, key, value);
    expect(await backendNames()).to.deep.equal(good);
    for (const name of ['broken', 'plain', 'unresolved']) {
      const posted = await system.h.call('POST', `/backends/${name}/jobs`, { token: system.token, body: { payload: GOOD_JOB } });
      expect(posted.status, `${name}: ${posted.text}`).to.equal(404);
      expect((await request(`${system.h.url}/api/v2/${name}/get_config`)).status, name).to.equal(404);
    }
    expect(system.h.logs.some((line) => line.includes('a backend config cannot be served') && line.includes('unresolved'))).to.equal(true);
    expect((await system.h.call('POST', '/backends/singlequdit/jobs', { token: system.token, body: { payload: GOOD_JOB } })).status).to.equal(201);
  });

  it('answers from the job record when its status document is damaged, on every face and in lists', async () => {
    const posted = await system.h.call('POST', '/backends/singlequdit/jobs', { token: system.token, body: { payload: GOOD_JOB } });
    const id = (posted.body as { id: string }).id;
    for (const damaged of [{ status: 'FOO', seq: 'x' }, 'a string', 5, { job_id: 'other', status: 'DONE', detail: '', error_message: 'None', seq: 9 }]) {
      await system.h.storage.put(ns.status('singlequdit'), id, damaged);
      const job = await system.h.call('GET', `/jobs/${id}`, { token: system.token });
      expect([job.status, (job.body as { status: string }).status], JSON.stringify(damaged)).to.deep.equal([200, 'QUEUED']);
      const list = await system.h.call('GET', '/jobs', { token: system.token });
      expect(list.status, list.text).to.equal(200);
      expect((list.body as { jobs: { id: string; status: string }[] }).jobs.find((j) => j.id === id)?.status).to.equal('QUEUED');
      const v2 = await request(`${system.h.url}/api/v2/singlequdit/get_job_status?job_id=${id}&token=${system.token}`);
      expect(v2.status).to.equal(200);
      expect(Object.keys(v2.body as object)).to.deep.equal(['job_id', 'status', 'detail', 'error_message']);
      expect(v2.body).to.include({ job_id: id, status: 'QUEUED', error_message: 'None' });
    }
  });

  it('ignores a heartbeat that is not one', async () => {
    for (const [key, value] of [['null-beat', null], ['no-time', { spooler: 'x' }], ['bad-time', { at: 'yesterday' }]] as const) {
      await system.h.storage.put(ns.heartbeats('singlequdit'), key, value);
    }
    const answer = await system.h.call('GET', '/backends/singlequdit', { token: system.token });
    expect(answer.status, answer.text).to.equal(200);
    expect((await system.h.call('GET', '/backends', { token: system.token })).status).to.equal(200);
  });
});
