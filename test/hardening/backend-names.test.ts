// Backend names (issue 17, item 6): only a backend's short name and its exact qlued full name reach it. A name that
// merely starts like a full name (`alqor_singlequdit_<anything>`, including an encoded path) is an unknown backend.
import { expect } from 'chai';
import { GOOD_JOB, harnessWithUser } from '../native-api/harness.ts';
import { request } from '../support/system.ts';

describe('backend names', function () {
  this.timeout(20_000);
  const system = harnessWithUser('ada');

  const postJob = (version: 'v2' | 'v3', name: string) =>
    request(`${system.h.url}/api/${version}/${name}/post_job`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${system.token}` },
      body: JSON.stringify(version === 'v2' ? { job: JSON.stringify(GOOD_JOB), username: 'ada', token: system.token } : { payload: GOOD_JOB }),
    });

  it('takes jobs under the short name and the exact full name', async () => {
    for (const version of ['v2', 'v3'] as const) {
      for (const name of ['singlequdit', 'alqor_singlequdit_simulator']) {
        const answer = await postJob(version, name);
        expect(answer.status, `${version} ${name}: ${answer.text}`).to.equal(200);
      }
    }
    const native = await request(`${system.h.url}/api/v1/backends/alqor_singlequdit_simulator`, { headers: { Authorization: `Bearer ${system.token}` } });
    expect(native.status).to.equal(200);
  });

  it('answers 404 with a JSON body for any other name that starts like a full name', async () => {
    const names = [
      'alqor_singlequdit_..%2fx', 'alqor_singlequdit_x', 'alqor_singlequdit_hardware', 'alqor_singlequdit_simulatorx', 'alqor_singlequdit_',
      // Longer than any storage key may be: still an unknown backend, not a storage error.
      'a'.repeat(201), `alqor_${'a'.repeat(201)}_simulator`, `${'a'.repeat(201)}_singlequdit_simulator`,
    ];
    for (const name of names) {
      for (const version of ['v2', 'v3'] as const) {
        const posted = await postJob(version, name);
        expect([posted.status, posted.headers.get('content-type')], `${version} post_job ${name}`).to.deep.equal([404, 'application/json; charset=utf-8']);
        expect(posted.body).to.include({ status: 'ERROR', error_message: 'Unknown back-end!' });
        const config = await request(`${system.h.url}/api/${version}/${name}/get_config`);
        expect(config.status, `${version} get_config ${name}`).to.equal(404);
      }
      const native = await system.h.call('GET', `/backends/${name}`, { token: system.token });
      expect([native.status, (native.body as { error: { code: string } }).error.code]).to.deep.equal([404, 'not_found']);
    }
  });

  it('filters the job list by the exact names only', async () => {
    const count = async (backend: string) => ((await system.h.call('GET', `/jobs?backend=${backend}`, { token: system.token })).body as { jobs: unknown[] }).jobs.length;
    expect(await count('alqor_singlequdit_simulator')).to.equal(4);
    expect(await count('singlequdit')).to.equal(4);
    expect(await count('alqor_singlequdit_x')).to.equal(0);
  });
});
