// Every route under /api/v1 is documented with its security, and its main answers (success and errors) validate
// against the documented schema: a route served but missing from the document, or an answer the document does not
// describe, fails here. The harness validates each documented answer; this suite also insists it is documented.
import { expect } from 'chai';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { GOOD_JOB, PASSWORD, harnessWithAdmin } from './harness.ts';

describe('native API: every route and its answers are in the OpenAPI document', () => {
  // Webhooks to this host are allowed, so one can be created without a resolvable public address.
  const s = harnessWithAdmin('alice', { QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });

  const NO_JOB = '0123456789abcdef01234567';

  /** Calls a route, expects `status`, and insists the route, method and status are documented. */
  async function expectAnswer(status: number, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const answer = await s.h.call(method, path, options);
    expect(answer.status, `${method} ${path}: ${answer.text}`).to.equal(status);
    const bare = `/api/v1${path.split('?')[0]}`;
    const template = Object.keys(s.h.server.api.document.paths).find((t) => new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`).test(bare));
    const op = template === undefined ? undefined : s.h.server.api.document.paths[template]![method.toLowerCase()];
    expect(op, `${method} ${path} is served but not documented`).to.not.equal(undefined);
    expect(op!.responses[String(status)], `${method} ${path} ${status} is not documented`).to.not.equal(undefined);
    if (status === 401) expect(op!.security, `${method} ${path} answers 401 but documents no security`).to.deep.include({ bearer: [] });
    return answer;
  }

  it('admin operations: success, 401 without a credential, 403 for a user, 404 for unknown names', async () => {
    await expectAnswer(200, 'GET', '/admin/users', { token: s.admin });
    await expectAnswer(401, 'GET', '/admin/users');
    await expectAnswer(403, 'GET', '/admin/users', { token: s.token });
    await expectAnswer(422, 'GET', '/admin/users?nosuch=1', { token: s.admin });
    await expectAnswer(200, 'PATCH', '/admin/users/alice', { token: s.admin, body: { disabled: false } });
    await expectAnswer(404, 'PATCH', '/admin/users/nobody', { token: s.admin, body: { disabled: false } });
    await expectAnswer(400, 'PATCH', '/admin/users/alice', { token: s.admin, body: '{' });
    await expectAnswer(200, 'GET', '/admin/providers', { token: s.admin });
    await expectAnswer(404, 'POST', '/admin/providers/nosuch/test', { token: s.admin });
    await expectAnswer(404, 'POST', '/admin/providers/nosuch/activate', { token: s.admin });
    await expectAnswer(403, 'POST', '/admin/providers/nosuch/deactivate', { token: s.token });
    await expectAnswer(200, 'GET', '/admin/spoolers', { token: s.admin });
    await expectAnswer(404, 'POST', `/admin/jobs/${NO_JOB}/requeue`, { token: s.admin });
  });

  it('validation: a verdict, 404 for an unknown backend, 422 for a bad body, 401 without a credential', async () => {
    const verdict = await expectAnswer(200, 'POST', '/backends/singlequdit/validate', { token: s.token, body: { payload: GOOD_JOB } });
    expect(verdict.body).to.deep.equal({ valid: true, issues: [] });
    await expectAnswer(200, 'POST', '/backends/alqor_singlequdit_simulator/validate', { token: s.token, body: { payload: GOOD_JOB } });
    await expectAnswer(404, 'POST', '/backends/nosuch/validate', { token: s.token, body: { payload: GOOD_JOB } });
    await expectAnswer(422, 'POST', '/backends/singlequdit/validate', { token: s.token, body: { nosuch: 1 } });
    await expectAnswer(401, 'POST', '/backends/singlequdit/validate', { body: { payload: GOOD_JOB } });
  });

  it('documents {name} of every /backends/{name} route alike: display names and full qlued names', () => {
    const { paths } = s.h.server.api.document;
    const nameParams = Object.entries(paths)
      .filter(([path]) => path.startsWith('/api/v1/backends/{name}'))
      .flatMap(([, operations]) => Object.values(operations).map((op) => op.parameters.find((p) => p.name === 'name')));
    expect(nameParams).to.have.length.greaterThanOrEqual(4);
    for (const param of nameParams) expect(param).to.deep.equal(nameParams[0]);
  });

  it('jobs: submission, status, result, cancel and delete, with their errors', async () => {
    const submitted = await expectAnswer(201, 'POST', '/backends/singlequdit/jobs', { token: s.token, body: { payload: GOOD_JOB } });
    const id = (submitted.body as { id: string }).id;
    await expectAnswer(404, 'POST', '/backends/nosuch/jobs', { token: s.token, body: { payload: GOOD_JOB } });
    await expectAnswer(415, 'POST', '/backends/singlequdit/jobs', { token: s.token, body: { payload: GOOD_JOB }, headers: { 'Content-Encoding': 'gzip' } });
    await expectAnswer(200, 'GET', '/jobs', { token: s.token });
    await expectAnswer(403, 'GET', '/jobs?owner=root', { token: s.token });
    await expectAnswer(200, 'GET', `/jobs/${id}`, { token: s.token });
    await expectAnswer(404, 'GET', `/jobs/${NO_JOB}`, { token: s.token });
    await expectAnswer(409, 'GET', `/jobs/${id}/result`, { token: s.token });
    await expectAnswer(200, 'GET', `/jobs/${id}/signature`, { token: s.token });
    await expectAnswer(200, 'POST', `/jobs/${id}/cancel`, { token: s.token });
    await expectAnswer(409, 'POST', `/jobs/${id}/cancel`, { token: s.token });
    await expectAnswer(204, 'DELETE', `/jobs/${id}`, { token: s.token });
    await expectAnswer(404, 'DELETE', `/jobs/${id}`, { token: s.token });
  });

  it('accounts, backends and documents', async () => {
    await expectAnswer(200, 'GET', '/users/me', { token: s.token });
    await expectAnswer(401, 'GET', '/users/me', { token: 'f'.repeat(32) });
    await expectAnswer(200, 'GET', '/tokens', { token: s.token });
    await expectAnswer(404, 'DELETE', `/tokens/${'0'.repeat(32)}`, { token: s.token });
    await expectAnswer(200, 'GET', '/backends');
    await expectAnswer(200, 'GET', '/backends/singlequdit');
    await expectAnswer(404, 'GET', '/backends/nosuch');
    await expectAnswer(200, 'PATCH', '/users/me', { token: s.token, body: { email: 'alice@example.net' } });
    await expectAnswer(403, 'POST', '/users/me/password', { token: s.token, body: { old_password: 'not the password', new_password: 'another long password' } });
    const created = await expectAnswer(201, 'POST', '/tokens', { token: s.token, body: { name: 'contract' } });
    await expectAnswer(204, 'DELETE', `/tokens/${(created.body as { id: string }).id}`, { token: s.token });
    await expectAnswer(200, 'POST', '/backends/singlequdit/estimate', { token: s.token, body: { payload: GOOD_JOB } });
    const hook = await expectAnswer(201, 'POST', '/webhooks', { token: s.token, body: { url: 'http://127.0.0.1:9/hook' } });
    const hookId = (hook.body as { id: string }).id;
    await expectAnswer(200, 'GET', `/webhooks/${hookId}`, { token: s.token });
    await expectAnswer(200, 'GET', `/webhooks/${hookId}/deliveries`, { token: s.token });
    await expectAnswer(204, 'DELETE', `/webhooks/${hookId}`, { token: s.token });
    await expectAnswer(200, 'GET', '/webhooks', { token: s.token });
    await expectAnswer(404, 'GET', `/webhooks/${NO_JOB}`, { token: s.token });
    await expectAnswer(200, 'GET', '/admin/dead-letters', { token: s.admin });
    await expectAnswer(403, 'GET', '/admin/dead-letters', { token: s.token });
    await expectAnswer(200, 'GET', '/openapi.json');
  });
});

describe('native API: storage outages are documented', () => {
  const s = harnessWithAdmin('alice');

  it('answers 503 with Retry-After where storage is read, and every such answer is documented', async () => {
    const storage = s.h.storage as unknown as Record<string, unknown>;
    const methods = ['get', 'list', 'put', 'replace', 'move', 'delete'];
    for (const name of methods) storage[name] = () => Promise.reject(new StorageUnavailableError('down'));
    try {
      const calls: [string, string, string | undefined, unknown][] = [
        ['GET', '/jobs', s.token, undefined],
        ['GET', '/users/me', s.token, undefined],
        ['GET', '/backends', undefined, undefined],
        ['GET', '/admin/users', s.admin, undefined],
        ['POST', '/auth/token', undefined, { username: 'alice', password: PASSWORD }],
        ['POST', '/backends/singlequdit/validate', s.token, { payload: GOOD_JOB }],
      ];
      for (const [method, path, token, body] of calls) {
        const answer = await s.h.call(method, path, { token, body });
        expect(answer.status, `${method} ${path}: ${answer.text}`).to.equal(503);
        expect(answer.headers.get('retry-after'), `${method} ${path}`).to.match(/^\d+$/);
      }
    } finally {
      for (const name of methods) delete storage[name];
    }
  });
});
