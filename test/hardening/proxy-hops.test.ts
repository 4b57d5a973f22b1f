// Behind two proxies (a CDN, then nginx) the client is the X-Forwarded-For entry the CDN appended, second from the
// right: the last is the CDN's own address, which every client shares, and those before the client's are whatever it
// wrote. The per-address password budget shows which address a request counted against.
import { expect } from 'chai';
import { PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';

describe('per-address budgets behind two trusted proxies', function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_TRUST_PROXY: 2, QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: 0, QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE: 3 });
  });
  after(() => h.stop());

  const CDN = '203.0.113.1';
  let logins = 0;
  /** A log-in naming another user each time, whose budget is fresh: only the address's budget can refuse it. */
  const login = async (forwardedFor?: string) => {
    logins += 1;
    const headers: Record<string, string> = forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor };
    return (await h.call('POST', '/auth/token', { body: { username: `nobody${logins}`, password: PASSWORD }, headers })).status;
  };

  it('counts the client the outer proxy saw, whatever it wrote before, and not the outer proxy', async () => {
    const statuses = [];
    for (let attempt = 0; attempt < 4; attempt += 1) statuses.push(await login(`10.9.8.${attempt}, 198.51.100.7, ${CDN}`));
    expect(statuses).to.deep.equal([401, 401, 401, 429]);
    expect(await login(`198.51.100.8, ${CDN}`), 'another client through the same CDN').to.equal(401);
  });

  it('counts a request with fewer entries than proxies against the first entry, the address the proxy that added it saw', async () => {
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt += 1) statuses.push(await login('198.51.100.9'));
    expect(statuses).to.deep.equal([401, 401, 401]);
    expect(await login(`198.51.100.9, ${CDN}`), 'the same client through both proxies').to.equal(429);
    expect(await login(), "no entry at all: the connection's own address, another budget").to.equal(401);
  });
});
