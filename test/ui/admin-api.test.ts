// The routes the web interface adds to /api/v1 (admin: users, storage providers, spoolers, requeue; job
// validation), and the pages' own answers (Content-Security-Policy, assets that cannot escape their folder).
import { expect } from 'chai';
import { API_CONTENT_SECURITY_POLICY } from '../../server/app.ts';
import { CONTENT_SECURITY_POLICY } from '../../server/routes/ui.ts';
import { ns } from '../../storage/records.ts';
import { request } from '../support/system.ts';
import { GOOD_JOB, eventually, startHarness, type Harness } from '../native-api/harness.ts';

describe('admin and validation routes, and the pages\' answers', () => {
  let h: Harness;
  let admin: string;
  let user: string;
  const provider = () => h.config.QSPOOL_PROVIDER_NAME;

  before(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' });
    admin = await h.user('root', 'admin');
    user = await h.user('uma');
  });
  after(async () => h.stop());

  const submit = async (token: string, backend = 'singlequdit') => {
    const answer = await h.call('POST', `/backends/${backend}/jobs`, { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };

  it('refuses every admin route to users (403) and to anonymous callers (401)', async () => {
    const id = await submit(user);
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
      expect((await h.call(method, path, { token: user, body })).status, `${method} ${path}`).to.equal(403);
      expect((await h.call(method, path, { body })).status, `${method} ${path} anonymous`).to.equal(401);
    }
    expect(((await h.call('GET', '/users/me', { token: user })).body as { disabled: boolean }).disabled).to.equal(false);
  });

  it('lets an admin page through users, disable and re-enable one, and change roles, but not their own', async () => {
    const list = await h.call('GET', '/admin/users?limit=1', { token: admin });
    expect(list.status).to.equal(200);
    const page = list.body as { users: { username: string }[]; next_after: string | null };
    expect(page.users).to.have.length(1);
    const rest = (await h.call('GET', `/admin/users?after=${page.next_after}`, { token: admin })).body as { users: { username: string }[] };
    expect([...page.users, ...rest.users].map((u) => u.username)).to.deep.equal(['root', 'uma']);

    expect(((await h.call('PATCH', '/admin/users/uma', { token: admin, body: { disabled: true } })).body as { disabled: boolean }).disabled).to.equal(true);
    expect((await h.call('GET', '/users/me', { token: user })).status).to.equal(401);
    await h.call('PATCH', '/admin/users/uma', { token: admin, body: { disabled: false } });
    expect((await h.call('GET', '/users/me', { token: user })).status).to.equal(200);

    expect(((await h.call('PATCH', '/admin/users/uma', { token: admin, body: { role: 'admin' } })).body as { role: string }).role).to.equal('admin');
    expect((await h.call('GET', '/admin/providers', { token: user })).status).to.equal(200);
    await h.call('PATCH', '/admin/users/uma', { token: admin, body: { role: 'user' } });
    expect((await h.call('GET', '/admin/providers', { token: user })).status).to.equal(403);

    const self = await h.call('PATCH', '/admin/users/root', { token: admin, body: { role: 'user' } });
    expect(self.status).to.equal(403);
    expect((self.body as { error: { code: string } }).error.code).to.equal('self_change');
    expect((await h.call('PATCH', '/admin/users/root', { token: admin, body: { disabled: true } })).status).to.equal(403);
    const ownWeight = await h.call('PATCH', '/admin/users/root', { token: admin, body: { weight: 3 } });
    expect([ownWeight.status, (ownWeight.body as { role: string; weight: number }).weight]).to.deep.equal([200, 3]);
    await h.call('PATCH', '/admin/users/root', { token: admin, body: { weight: 1 } });
    expect((await h.call('PATCH', '/admin/users/nobody', { token: admin, body: { disabled: true } })).status).to.equal(404);
    expect((await h.call('PATCH', '/admin/users/uma', { token: admin, body: {} })).status).to.equal(422);
  });

  it('lists every user\'s weight and max priority, stores an admin\'s change, and names a value out of range', async () => {
    const allowances = async () => {
      const page = (await h.call('GET', '/admin/users', { token: admin })).body as { users: { username: string; weight: number; max_priority: number }[] };
      return page.users.map(({ username, weight, max_priority }) => ({ username, weight, max_priority }));
    };
    // Admins may always use the highest priority; everyone else has the configured default until an admin sets one.
    expect(await allowances()).to.deep.equal([
      { username: 'root', weight: 1, max_priority: 9 },
      { username: 'uma', weight: 1, max_priority: 5 },
    ]);
    const changed = await h.call('PATCH', '/admin/users/uma', { token: admin, body: { weight: 2.5, max_priority: 7 } });
    expect(changed.body).to.include({ weight: 2.5, max_priority: 7 });
    expect((await allowances())[1]).to.deep.equal({ username: 'uma', weight: 2.5, max_priority: 7 });

    const refused = await h.call('PATCH', '/admin/users/uma', { token: admin, body: { weight: 500 } });
    expect(refused.status).to.equal(422);
    expect((refused.body as { error: { message: string } }).error.message).to.equal('body.weight: must be <= 100');
    expect((await allowances())[1]).to.deep.equal({ username: 'uma', weight: 2.5, max_priority: 7 });
  });

  it('tests a storage provider, and hides its backends everywhere while it is deactivated', async () => {
    const listed = (await h.call('GET', '/admin/providers', { token: admin })).body as { providers: { name: string; type: string; active: boolean }[] };
    expect(listed.providers).to.deep.equal([{ name: provider(), type: 'local', description: 'The storage this server runs on', active: true, primary: true }]);
    const test = (await h.call('POST', `/admin/providers/${provider()}/test`, { token: admin })).body as { ok: boolean; latency_ms: number };
    expect(test.ok).to.equal(true);
    // The probe cleaned up after itself.
    expect([...(await h.storage.list('qspool-probe')), ...(await h.storage.list('qspool-probe/moved'))]).to.deep.equal([]);

    const off = await h.call('POST', `/admin/providers/${provider()}/deactivate`, { token: admin });
    expect((off.body as { active: boolean }).active).to.equal(false);
    expect(((await h.call('GET', '/backends')).body as { backends: unknown[] }).backends).to.deep.equal([]);
    expect((await request(`${h.url}/api/v2/backends`)).body).to.deep.equal([]);
    // Heartbeats stay visible to admins: the devices did not go anywhere.
    const spoolers = (await h.call('GET', '/admin/spoolers', { token: admin })).body as { backends: { backend: string }[] };
    expect(spoolers.backends.map((b) => b.backend)).to.include('singlequdit');

    await h.call('POST', `/admin/providers/${provider()}/activate`, { token: admin });
    expect(((await h.call('GET', '/backends')).body as { backends: { name: string }[] }).backends.map((b) => b.name)).to.include('singlequdit');
    expect((await request(`${h.url}/api/v2/backends`)).body).to.have.length.greaterThan(0);
    expect((await h.call('POST', '/admin/providers/elsewhere/deactivate', { token: admin })).status).to.equal(404);
  });

  it('requeues a finished job, which then runs again, and refuses to requeue a queued one', async () => {
    const id = await submit(user);
    expect((await h.call('POST', `/admin/jobs/${id}/requeue`, { token: admin })).status).to.equal(409);
    await h.startSpoolers();
    const done = async () => {
      const job = (await h.call('GET', `/jobs/${id}`, { token: user })).body as { status: string };
      return job.status === 'DONE' ? job : undefined;
    };
    await eventually(done, 20_000);
    const firstResult = (await h.call('GET', `/jobs/${id}/result`, { token: user })).body;
    const resultKeys = await h.storage.list(ns.results('singlequdit'));

    const requeued = await h.call('POST', `/admin/jobs/${id}/requeue`, { token: admin });
    expect(requeued.status, requeued.text).to.equal(200);
    const job = requeued.body as { status: string; history: string[]; attempts: number };
    expect(job.status).to.be.oneOf(['QUEUED', 'RUNNING']);
    expect(job.history.at(-1)).to.equal('Requeued by an administrator (was DONE).');
    expect(job.attempts).to.equal(1);
    const again = await eventually(done, 20_000);
    expect((again as unknown as { attempts: number }).attempts).to.equal(2);
    expect((await h.call('GET', `/jobs/${id}/result`, { token: user })).body).to.have.property('status', 'finished');
    // The first run's result document was removed; the second run wrote its own.
    const now = await h.storage.list(ns.results('singlequdit'));
    expect(now.filter((key) => key.startsWith(id))).to.deep.equal([`${id}-a2`]);
    expect(resultKeys).to.include(`${id}-a1`);
    expect(firstResult).to.have.property('job_id', id);
    expect((await h.call('POST', '/admin/jobs/0123456789abcdef01234567/requeue', { token: admin })).status).to.equal(404);
  });

  it('validates a job without queueing it, naming the failing instruction', async () => {
    const before = await h.storage.list(ns.queued('singlequdit'));
    const good = await h.call('POST', '/backends/singlequdit/validate', { token: user, body: { payload: GOOD_JOB } });
    expect(good.body).to.deep.equal({ valid: true, issues: [] });
    const broken = { experiment_0: { ...GOOD_JOB.experiment_0, instructions: [['load', [0], [50]], ['fly', [0], []], ['measure', [0], []]] } };
    const bad = await h.call('POST', '/backends/singlequdit/validate', { token: user, body: { payload: broken } });
    const verdict = bad.body as { valid: boolean; issues: { path: string; message: string }[] };
    expect(verdict.valid).to.equal(false);
    expect(verdict.issues.some((i) => i.path.startsWith('/experiment_0/instructions/1') && i.message.includes('instruction 1'))).to.equal(true);
    expect(await h.storage.list(ns.queued('singlequdit'))).to.deep.equal(before);
    expect((await h.call('POST', '/backends/nowhere/validate', { token: user, body: { payload: GOOD_JOB } })).status).to.equal(404);
    expect((await h.call('POST', '/backends/singlequdit/validate', { body: { payload: GOOD_JOB } })).status).to.equal(401);
  });

  it('serves the pages with a strict Content-Security-Policy and nothing outside the built folder', async () => {
    for (const path of ['/', '/jobs', '/jobs/0123456789abcdef01234567', '/admin']) {
      const page = await request(`${h.url}${path}`);
      expect(page.headers.get('content-security-policy'), path).to.equal(CONTENT_SECURITY_POLICY);
      expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
    }
    expect(CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.not.include('unsafe');
    for (const path of ['/ui/..%2Fpackage.json', '/ui/%2e%2e%2findex.ts', '/ui/.env', '/ui/nothing.js', '/ui/index.ts']) {
      expect((await request(`${h.url}${path}`)).status, path).to.equal(404);
    }
    expect((await request(`${h.url}/ui/examples.json`)).status).to.equal(200);
  });

  it('answers the API, its errors and unknown paths as data that is never sniffed, framed or referred from', async () => {
    const answers = {
      backends: await request(`${h.url}/api/v1/backends`),
      me: await request(`${h.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${user}` } }),
      refused: await request(`${h.url}/api/v1/users/me`),
      unknown: await request(`${h.url}/api/v1/%3Cscript%3Ealert(1)%3C%2Fscript%3E`),
      qlued: await request(`${h.url}/api/v2/singlequdit/get_config`),
      health: await request(`${h.url}/healthz`),
    };
    for (const [name, answer] of Object.entries(answers)) {
      expect(answer.headers.get('x-content-type-options'), name).to.equal('nosniff');
      expect(answer.headers.get('x-frame-options'), name).to.equal('DENY');
      expect(answer.headers.get('referrer-policy'), name).to.equal('no-referrer');
      expect(answer.headers.get('content-security-policy'), name).to.equal(API_CONTENT_SECURITY_POLICY);
    }
    expect(answers.unknown.status).to.equal(404);
    // Pages keep their own policy, and so do the API docs (their inline style is allowed by its hash).
    expect((await request(`${h.url}/jobs`)).headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
    const docs = await request(`${h.url}/api/v1/docs`);
    expect(docs.headers.get('content-security-policy')).to.match(/^default-src 'none'; style-src 'sha256-/);
    expect(docs.headers.get('x-frame-options')).to.equal('DENY');
  });
});
