// Which client a request counts against in the per-address budgets (request rate, password attempts). A client must
// not buy a fresh budget by writing its own X-Forwarded-For entries in front of the one a proxy appends, nor by
// moving to another address within the /64 that an IPv6 host is given.
import { expect } from 'chai';
import { PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';

describe('per-address budgets behind a trusted proxy', function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_TRUST_PROXY: true, QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: 0, QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE: 3 });
  });
  after(() => h.stop());

  let logins = 0;
  /** A log-in, as a proxy that appends the address it saw passes it on; each names another user, whose budget is fresh. */
  const login = (forwardedFor: string) => {
    logins += 1;
    return h.call('POST', '/auth/token', { body: { username: `nobody${logins}`, password: PASSWORD }, headers: { 'X-Forwarded-For': forwardedFor } });
  };
  const statuses = async (forwardedFor: (attempt: number) => string) => {
    const answers = [];
    for (let attempt = 0; attempt < 4; attempt += 1) answers.push((await login(forwardedFor(attempt))).status);
    return answers;
  };

  it('counts the address the proxy appended, whatever the client wrote before it', async () => {
    expect(await statuses((attempt) => `10.9.8.${attempt}, 198.51.100.7`)).to.deep.equal([401, 401, 401, 429]);
  });

  it('counts IPv6 clients by their /64, however the address is written', async () => {
    const spellings = ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9', '2001:0db8:0001:0002:0:0:0:77', '[2001:db8:1:2::2]'];
    expect(await statuses((attempt) => spellings[attempt]!)).to.deep.equal([401, 401, 401, 429]);
    expect((await login('2001:db8:1:3::1')).status, 'the next /64 is another client').to.equal(401);
  });

  it('counts an IPv4 client written as an IPv4-mapped IPv6 address as that IPv4 address', async () => {
    expect(await statuses((attempt) => (attempt % 2 === 0 ? '203.0.113.5' : '::ffff:203.0.113.5'))).to.deep.equal([401, 401, 401, 429]);
  });
});
