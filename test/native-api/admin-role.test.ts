// The admin routes refuse a caller without the admin role before they look at the request: a user who sends a
// malformed query or body gets the same 403 as one who sends a valid request, never the schema's field problems.
import { expect } from 'chai';
import { harnessWithUser } from './harness.ts';

const code = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('native API: admin routes check the role first', () => {
  const ctx = harnessWithUser('mallory');
  const id = '0'.repeat(24);
  const requests: [string, string, unknown?][] = [
    ['GET', '/admin/users?limit=0&bogus=1'],
    ['PATCH', '/admin/users/mallory', '{"role":'],
    ['PATCH', '/admin/users/mallory', { role: 'superuser', extra: true }],
    ['GET', '/admin/providers?x=1'],
    ['POST', '/admin/providers/local/test?x=1'],
    ['POST', '/admin/providers/local/activate?x=1'],
    ['GET', '/admin/spoolers?x=1'],
    ['POST', `/admin/jobs/${id}/requeue?x=1`],
    ['GET', '/admin/dead-letters?after=nonsense&limit=-1'],
    ['GET', `/admin/dead-letters/${id}?x=1`],
    ['POST', `/admin/dead-letters/${id}/requeue?x=1`],
    ['DELETE', `/admin/dead-letters/${id}?x=1`],
  ];
  for (const [method, path, body] of requests) {
    it(`${method} ${path}${body === undefined ? '' : ` with ${JSON.stringify(body)}`} answers 403 admin_required to a user`, async () => {
      const answer = await ctx.h.call(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
      expect([answer.status, code(answer.body)], answer.text).to.deep.equal([403, 'admin_required']);
    });
  }
});
