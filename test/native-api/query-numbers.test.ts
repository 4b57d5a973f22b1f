// Query integers on every native route that takes one: plain decimal digits inside the stated range, anything else
// (hex, exponents, signs, blanks, fractions, Infinity, a repeated parameter) refused with 422 naming the parameter
// and what it accepts. AJV's coercion read `limit=0x10` as 16 through Number().
import { expect } from 'chai';
import { GOOD_JOB, startHarness, type Harness } from './harness.ts';

interface Refusal {
  error: { code: string; details: { type: string; loc: string[]; msg: string }[] };
}

const MALFORMED = ['0x10', '1e2', '%205', '5%20', '%2B5', '+5', '0b11', '', '5.0', 'Infinity', '-0', '0o7', '%EF%BC%95', '1_0', '9007199254740993'];

describe('native API: numbers in query strings', function () {
  this.timeout(60_000);
  let h: Harness;
  let root: string;
  let paths: string[];

  before(async () => {
    h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true });
    root = await h.user('root', 'admin');
    const hook = await h.call('POST', '/webhooks', { token: root, body: { url: 'http://127.0.0.1:9/hook', events: ['DONE'] } });
    const withQuery = h.server.api.operations.filter((op) => op.query !== undefined && op.method === 'get');
    paths = withQuery.map((op) => op.path.replace('{id}', (hook.body as { id: string }).id));
    expect(paths).to.include.members(['/jobs', '/admin/users', '/admin/dead-letters']).and.have.length.greaterThanOrEqual(4);
  });
  after(() => h?.stop());

  it('refuses every limit that is not plain decimal digits, naming the parameter and its range', async () => {
    for (const path of paths) {
      for (const limit of MALFORMED) {
        const answer = await h.call('GET', `${path}?limit=${limit}`, { token: root });
        const label = `${path}?limit=${limit}`;
        expect(answer.status, label).to.equal(422);
        const [problem] = (answer.body as Refusal).error.details;
        expect(problem, label).to.deep.include({ loc: ['query', 'limit'], msg: 'must be a whole number from 1 to 200, written in decimal digits only' });
      }
    }
  });

  it('takes plain digits at both ends of the range', async () => {
    for (const path of paths) {
      for (const limit of ['1', '200', '07']) expect((await h.call('GET', `${path}?limit=${limit}`, { token: root })).status, `${path}?limit=${limit}`).to.equal(200);
    }
    for (let i = 0; i < 2; i += 1) expect((await h.call('POST', '/backends/singlequdit/jobs', { token: root, body: { payload: GOOD_JOB } })).status).to.equal(201);
    expect(((await h.call('GET', '/jobs?limit=1', { token: root })).body as { jobs: unknown[] }).jobs).to.have.length(1);
  });

  it('refuses a parameter given twice on every route, rather than picking one of its values', async () => {
    for (const path of paths) {
      for (const query of ['limit=1&limit=2', 'limit=5&limit=5']) {
        const answer = await h.call('GET', `${path}?${query}`, { token: root });
        expect(answer.status, `${path}?${query}`).to.equal(422);
        expect((answer.body as Refusal).error.details[0], `${path}?${query}`).to.deep.include({ type: 'repeated', loc: ['query', 'limit'], msg: 'given 2 times; give it once' });
      }
    }
    const twice = await h.call('GET', '/jobs?tag=a&tag=b', { token: root });
    expect((twice.body as Refusal).error.details[0]).to.deep.include({ loc: ['query', 'tag'], msg: 'given 2 times; give it once' });
  });
});
