// Request rate limits: a token bucket per credential, whichever API face and way of sending it, answered with 429
// and Retry-After in the face's own error shape.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { GOOD_JOB, PASSWORD, startHarness, type Harness } from './harness.ts';

describe('native API: rate limits', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_RATE_PER_SECOND: 1, QSPOOL_RATE_BURST: 3 });
  });
  after(async () => h.stop());

  const token = async (name: string) => (await h.server.users.ensureUserWithToken(name)).token;

  it('allows a burst per token, then answers 429 with Retry-After until the bucket refills', async () => {
    const [ann, ben] = await Promise.all([token('ann'), token('ben')]);
    for (let i = 0; i < 3; i += 1) expect((await h.call('GET', '/users/me', { token: ann })).status).to.equal(200);
    const limited = await h.call('GET', '/users/me', { token: ann });
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('retry-after')).to.equal('1');
    expect(limited.body).to.deep.equal({ error: { code: 'rate_limited', message: 'Too many requests; retry in 1 s', details: { retry_after_seconds: 1 } } });
    expect((await h.call('GET', '/users/me', { token: ben })).status, 'another token has its own bucket').to.equal(200);
    const v2 = await fetch(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${'a'.repeat(24)}&token=${ann}`);
    expect(v2.status, 'the same token through the qlued face shares the bucket').to.equal(429);
    expect(await v2.json()).to.deep.include({ status: 'ERROR', job_id: 'None' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await h.call('GET', '/users/me', { token: ann })).status).to.equal(200);
  });

  it('gives a v2 post_job the bucket of the token in its body, not its address\'s', async () => {
    const [cat, dan] = await Promise.all([token('cat'), token('dan')]);
    const post = async (who: string) =>
      (await fetch(`${h.url}/api/v2/singlequdit/post_job`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job: JSON.stringify(GOOD_JOB), token: who }) })).status;
    const first = [await post(cat), await post(cat), await post(cat), await post(cat)];
    expect(first.slice(0, 3).every((status) => status !== 429), 'the burst').to.equal(true);
    expect(first[3]).to.equal(429);
    expect(await post(dan), 'another user at the same address has a bucket of their own').to.not.equal(429);
    expect((await h.call('GET', '/users/me', { token: cat })).status, 'one token, one bucket, whichever way it is sent').to.equal(429);
  });

  it('charges the credential the route reads, however the request dresses it up', async () => {
    const eve = await token('eve');
    for (let i = 0; i < 3; i += 1) expect((await h.call('GET', '/users/me', { token: eve })).status).to.equal(200);
    const job = JSON.stringify({ job: JSON.stringify(GOOD_JOB), token: eve });
    const send = (path: string, init: RequestInit = {}) => fetch(`${h.url}${path}`, init);
    const answers = {
      'a junk query token and header on a v2 post_job': await send('/api/v2/singlequdit/post_job?token=junk', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer junk' },
        body: job,
      }),
      'a post_job path in other case': await send('/API/V2/singlequdit/POST_JOB', { method: 'POST', body: job }),
      'a junk header beside the v2 query token': await send(`/api/v2/singlequdit/get_job_status?job_id=${'a'.repeat(24)}&token=${eve}`, {
        headers: { authorization: 'Bearer junk' },
      }),
      'a trailing space': await send('/api/v1/users/me', { headers: { authorization: `Bearer ${eve} ` } }),
      'two spaces': await send('/api/v1/users/me', { headers: { authorization: `bearer  ${eve}` } }),
    };
    for (const [how, answer] of Object.entries(answers)) expect(answer.status, how).to.equal(429);
    // The qlued face answers in its own shape whatever the path's case.
    expect(await answers['a post_job path in other case'].json()).to.deep.include({ status: 'ERROR', job_id: 'None' });
  });

  it('counts anonymous requests per client address', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push((await h.call('GET', '/backends')).status);
    expect(answers).to.deep.equal([200, 200, 200, 429]);
  });

  it('keys the buckets of addresses in the store so that a reader of the store cannot test addresses against them', async () => {
    const keys = [...(await h.storage.list('limits/rate/addresses')), ...(await h.storage.list('limits/rate/credentials'))];
    expect(keys.length, 'the requests above left buckets').to.be.greaterThan(0);
    const plain = createHash('sha256').update('127.0.0.1').digest('hex').slice(0, 40);
    expect(keys.filter((key) => key.includes(plain)), 'a plain hash of the address').to.deep.equal([]);
  });
});

describe('native API: password attempts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE: 4 });
  });
  after(async () => h.stop());

  it('answers 429 once an address has spent its password attempts, the right password included', async () => {
    await h.user('ivy'); // a login: one attempt
    const login = (password: string) => h.call('POST', '/auth/token', { body: { username: 'ivy', password } });
    expect((await login('wrong')).status).to.equal(401);
    expect((await login('wrong again')).status).to.equal(401);
    expect((await login(PASSWORD)).status).to.equal(200);
    const refused = await login(PASSWORD);
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers.get('retry-after'))).to.be.at.least(1);
    expect((refused.body as { error: { code: string } }).error.code).to.equal('rate_limited');
    const registration = await h.call('POST', '/users', { body: { username: 'jon', email: 'jon@example.org', password: PASSWORD } });
    expect(registration.status, 'a registration hashes a password too').to.equal(429);
  });
});
