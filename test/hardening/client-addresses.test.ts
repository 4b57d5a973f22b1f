// Which client a request counts against in the per-address budgets (request rate, password attempts). A client must
// not buy a fresh budget by writing its own X-Forwarded-For entries in front of the one a proxy appends.
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
});
