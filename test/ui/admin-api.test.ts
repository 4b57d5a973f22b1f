// The routes the web interface adds to /api/v1 (admin: users, storage providers, spoolers, requeue; job
// validation), and the pages' own answers (Content-Security-Policy, assets that cannot escape their folder).
import { expect } from 'chai';
import { API_CONTENT_SECURITY_POLICY } from '../../server/app.ts';
import { CONTENT_SECURITY_POLICY } from '../../server/routes/ui.ts';
import { ns } from '../../storage/records.ts';
import { request } from '../support/system.ts';
import { GOOD_JOB, eventually, harnessWithAdmin } from '../native-api/harness.ts';

describe('admin and validation routes, and the pages\' answers', () => {
  const s = harnessWithAdmin('uma', { LOG_LEVEL: 'silent' });
  const provider = () => s.h.config.QSPOOL_PROVIDER_NAME;

  const submit = async (token: string, backend = 'singlequdit') => {
    const answer = await s.h.call('POST', `/backends/${backend}/jobs`, { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  it('refuses every admin route to users (403) and to anonymous callers (401)', async () => {
    const id = await submit(s.token);
    const routes: [string, string, unknown?][] = [
      ['GET', '/admin/users'],
      ['PATCH', '/admin/users/uma', { disabled: true }],
      ['GET', '/admin/providers'],
      ['POST', `/admin/providers/${provider()}/test`],
      ['POST', `/admin/providers/${provider()}/deactivate`],
      ['POST', `/admin/providers/${provider()}/activate`],
      ['GET', '/admin/spoolers'],
      ['POST', `/admin/jobs/${id}/requeue`],
    ];
    for (const [method, path, body] of routes) {
      expect((await s.h.call(method, path, { token: s.token, body })).status, `${method} ${path}`).to.equal(403);
      expect((await s.h.call(method, path, { body })).status, `${method} ${path} anonymous`).to.equal(401);
    }
    expect(((await s.h.call('GET', '/users/me', { token: s.token })).body as { disabled: boolean }).disabled).to.equal(false);
  });

  it('lets an admin page through users, disable and re-enable one, and change roles, but not their own', async () => {
    const list = await s.h.call('GET', '/admin/users?limit=1', { token: s.admin });
    expect(list.status).to.equal(200);
    const page = list.body as { users: { username: string }[]; next_after: string | null };
    expect(page.users).to.have.length(1);
    const rest = (await s.h.call('GET', `/admin/users?after=${page.next_after}`, { token: s.admin })).body as { users: { username: string }[] };
    expect([...page.users, ...rest.users].map((u) => u.username)).to.deep.equal(['root', 'uma']);

    expect(((await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: { disabled: true } })).body as { disabled: boolean }).disabled).to.equal(true);
    expect((await s.h.call('GET', '/users/me', { token: s.token })).status).to.equal(401);
    await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: { disabled: false } });
    expect((await s.h.call('GET', '/users/me', { token: s.token })).status).to.equal(200);

    expect(((await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: { role: 'admin' } })).body as { role: string }).role).to.equal('admin');
    expect((await s.h.call('GET', '/admin/providers', { token: s.token })).status).to.equal(200);
    await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: { role: 'user' } });
    expect((await s.h.call('GET', '/admin/providers', { token: s.token })).status).to.equal(403);

    const self = await s.h.call('PATCH', '/admin/users/root', { token: s.admin, body: { role: 'user' } });
    expect(self.status).to.equal(403);
    expect((self.body as { error: { code: string } }).error.code).to.equal('self_change');
    expect((await s.h.call('PATCH', '/admin/users/root', { token: s.admin, body: { disabled: true } })).status).to.equal(403);
    const ownWeight = await s.h.call('PATCH', '/admin/users/root', { token: s.admin, body: { weight: 3 } });
    expect([ownWeight.status, (ownWeight.body as { role: string; weight: number }).weight]).to.deep.equal([200, 3]);
    await s.h.call('PATCH', '/admin/users/root', { token: s.admin, body: { weight: 1 } });
    expect((await s.h.call('PATCH', '/admin/users/nobody', { token: s.admin, body: { disabled: true } })).status).to.equal(404);
    expect((await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: {} })).status).to.equal(422);
  });

  it('lists every user\'s weight and max priority, stores an admin\'s change, and names a value out of range', async () => {
    const allowances = async () => {
      const page = (await s.h.call('GET', '/admin/users', { token: s.admin })).body as { users: { username: string; weight: number; max_priority: number }[] };
      return page.users.map(({ username, weight, max_priority }) => ({ username, weight, max_priority }));
    };
    // Admins may always use the highest priority; everyone else has the configured default until an admin sets one.
    expect(await allowances()).to.deep.equal([
      { username: 'root', weight: 1, max_priority: 9 },
      { username: 'uma', weight: 1, max_priority: 5 },
    ]);
    const changed = await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: { weight: 2.5, max_priority: 7 } });
    expect(changed.body).to.include({ weight: 2.5, max_priority: 7 });
    expect((await allowances())[1]).to.deep.equal({ username: 'uma', weight: 2.5, max_priority: 7 });

    const refused = await s.h.call('PATCH', '/admin/users/uma', { token: s.admin, body: { weight: 500 } });
    expect(refused.status).to.equal(422);
    expect((refused.body as { error: { message: string } }).error.message).to.equal('body.weight: must be <= 100');
    expect((await allowances())[1]).to.deep.equal({ username: 'uma', weight: 2.5, max_priority: 7 });
  });

  it('tests a storage provider, and hides its backends everywhere while it is deactivated', async () => {
    const listed = (await s.h.call('GET', '/admin/providers', { token: s.admin })).body as { providers: { name: string; type: string; active: boolean }[] };
    expect(listed.providers).to.deep.equal([{ name: provider(), type: 'local', description: 'The storage this server runs on', active: true, primary: true }]);
    const test = (await s.h.call('POST', `/admin/providers/${provider()}/test`, { token: s.admin })).body as { ok: boolean; latency_ms: number };
    expect(test.ok).to.equal(true);
    // The probe cleaned up after itself.
    expect([...(await s.h.storage.list('qspool-probe')), ...(await s.h.storage.list('qspool-probe/moved'))]).to.deep.equal([]);

    const off = await s.h.call('POST', `/admin/providers/${provider()}/deactivate`, { token: s.admin });
    expect((off.body as { active: boolean }).active).to.equal(false);
    expect(((await s.h.call('GET', '/backends')).body as { backends: unknown[] }).backends).to.deep.equal([]);
    expect((await request(`${s.h.url}/api/v2/backends`)).body).to.deep.equal([]);
    // Heartbeats stay visible to admins: the devices did not go anywhere.
    const spoolers = (await s.h.call('GET', '/admin/spoolers', { token: s.admin })).body as { backends: { backend: string }[] };
    expect(spoolers.backends.map((b) => b.backend)).to.include('singlequdit');

    await s.h.call('POST', `/admin/providers/${provider()}/activate`, { token: s.admin });
    expect(((await s.h.call('GET', '/backends')).body as { backends: { name: string }[] }).backends.map((b) => b.name)).to.include('singlequdit');
    expect((await request(`${s.h.url}/api/v2/backends`)).body).to.have.length.greaterThan(0);
    expect((await s.h.call('POST', '/admin/providers/elsewhere/deactivate', { token: s.admin })).status).to.equal(404);
  });

  it('requeues a finished job, which then runs again, and refuses to requeue a queued one', async () => {
    const id = await submit(s.token);
    expect((await s.h.call('POST', `/admin/jobs/${id}/requeue`, { token: s.admin })).status).to.equal(409);
    await s.h.startSpoolers();
    const done = async () => {
      const job = (await s.h.call('GET', `/jobs/${id}`, { token: s.token })).body as { status: string };
      return job.status === 'DONE' ? job : undefined;
    };
    await eventually(done, 20_000);
    const firstResult = (await s.h.call('GET', `/jobs/${id}/result`, { token: s.token })).body;
    const resultKeys = await s.h.storage.list(ns.results('singlequdit'));

    const requeued = await s.h.call('POST', `/admin/jobs/${id}/requeue`, { token: s.admin });
    expect(requeued.status, requeued.text).to.equal(200);
    const job = requeued.body as { status: string; history: string[]; attempts: number };
    expect(job.status).to.be.oneOf(['QUEUED', 'RUNNING']);
    expect(job.history.at(-1)).to.equal('Requeued by an administrator (was DONE).');
    expect(job.attempts).to.equal(1);
    const again = await eventually(done, 20_000);
    expect((again as unknown as { attempts: number }).attempts).to.equal(2);
    expect((await s.h.call('GET', `/jobs/${id}/result`, { token: s.token })).body).to.have.property('status', 'finished');
    // The first run's result document was removed; the second run wrote its own.
    const now = await s.h.storage.list(ns.results('singlequdit'));
    expect(now.filter((key) => key.startsWith(id))).to.deep.equal([`${id}-a2`]);
    expect(resultKeys).to.include(`${id}-a1`);
    expect(firstResult).to.have.property('job_id', id);
    expect((await s.h.call('POST', '/admin/jobs/0123456789abcdef01234567/requeue', { token: s.admin })).status).to.equal(404);
  });

  it('validates a job without queueing it, naming the failing instruction', async () => {
    const before = await s.h.storage.list(ns.queued('singlequdit'));
    const good = await s.h.call('POST', '/backends/singlequdit/validate', { token: s.token, body: { payload: GOOD_JOB } });
    expect(good.body).to.deep.equal({ valid: true, issues: [] });
    const broken = { experiment_0: { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [50]], ['fly', [0], []], ['measure', [0], []]] } };
    const bad = await s.h.call('POST', '/backends/singlequdit/validate', { token: s.token, body: { payload: broken } });
    const verdict = bad.body as { valid: boolean; issues: { path: string; message: string }[] };
    expect(verdict.valid).to.equal(false);
    expect(verdict.issues.some((i) => i.path.startsWith('/experiment_0/instructions/1') && i.message.includes('instruction 1'))).to.equal(true);
    expect(await s.h.storage.list(ns.queued('singlequdit'))).to.deep.equal(before);
    expect((await s.h.call('POST', '/backends/nowhere/validate', { token: s.token, body: { payload: GOOD_JOB } })).status).to.equal(404);
    expect((await s.h.call('POST', '/backends/singlequdit/validate', { body: { payload: GOOD_JOB } })).status).to.equal(401);
  });

  it('serves the pages with a strict Content-Security-Policy and nothing outside the built folder', async () => {
    for (const path of ['/', '/jobs', '/jobs/0123456789abcdef01234567', '/admin']) {
      const page = await request(`${s.h.url}${path}`);
      expect(page.headers.get('content-security-policy'), path).to.equal(CONTENT_SECURITY_POLICY);
      expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
    }
    expect(CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.not.include('unsafe');
    for (const path of ['/ui/..%2Fpackage.json', '/ui/%2e%2e%2findex.ts', '/ui/.env', '/ui/nothing.js', '/ui/index.ts']) {
      expect((await request(`${s.h.url}${path}`)).status, path).to.equal(404);
    }
    expect((await request(`${s.h.url}/ui/examples.json`)).status).to.equal(200);
  });

  it('answers the API, its errors and unknown paths as data that is never sniffed, framed or referred from', async () => {
    const answers = {
      backends: await request(`${s.h.url}/api/v1/backends`),
      me: await request(`${s.h.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${s.token}` } }),
      refused: await request(`${s.h.url}/api/v1/users/me`),
      unknown: await request(`${s.h.url}/api/v1/%3Cscript%3Ealert(1)%3C%2Fscript%3E`),
      qlued: await request(`${s.h.url}/api/v2/singlequdit/get_config`),
      health: await request(`${s.h.url}/healthz`),
    };
    for (const [name, answer] of Object.entries(answers)) {
      expect(answer.headers.get('x-content-type-options'), name).to.equal('nosniff');
      expect(answer.headers.get('x-frame-options'), name).to.equal('DENY');
      expect(answer.headers.get('referrer-policy'), name).to.equal('no-referrer');
      expect(answer.headers.get('content-security-policy'), name).to.equal(API_CONTENT_SECURITY_POLICY);
    }
    expect(answers.unknown.status).to.equal(404);
    // Pages keep their own policy, and so do the API docs (their inline style is allowed by its hash).
    expect((await request(`${s.h.url}/jobs`)).headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
    const docs = await request(`${s.h.url}/api/v1/docs`);
    expect(docs.headers.get('content-security-policy')).to.match(/^default-src 'none'; style-src 'sha256-/);
    expect(docs.headers.get('x-frame-options')).to.equal('DENY');
  });

  it('lets no browser cache keep a user\'s answers, so none outlives a log-out on a shared computer', async () => {
    const id = await submit(s.token);
    const auth = { headers: { Authorization: `Bearer ${s.token}` } };
    const answers = {
      me: await request(`${s.h.url}/api/v1/users/me`, auth),
      jobs: await request(`${s.h.url}/api/v1/jobs`, auth),
      job: await request(`${s.h.url}/api/v1/jobs/${id}`, auth),
      tokens: await request(`${s.h.url}/api/v1/tokens`, auth),
      admin: await request(`${s.h.url}/api/v1/admin/users`, { headers: { Authorization: `Bearer ${s.admin}` } }),
      refused: await request(`${s.h.url}/api/v1/jobs/${id}`),
    };
    for (const [name, answer] of Object.entries(answers)) expect(answer.headers.get('cache-control'), name).to.equal('no-store');
    // The pages hold no data of anyone's (they ask the API), and hashed assets never change: those stay cacheable.
    expect((await request(`${s.h.url}/jobs`)).headers.get('cache-control')).to.equal('no-cache');
  });
});
