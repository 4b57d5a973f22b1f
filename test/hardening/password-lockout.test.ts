// Password guessing spread over many addresses is stopped by the account's budget, but that budget must not become
// a way to lock the owner out: a stranger spending it from anywhere leaves the owner free to log in, and to change
// the password, from an address the account logged in from. The web interface logs in through the same API.
import { expect } from 'chai';
import { PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';

describe('password attempts: no lock-out by strangers', function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ QSPOOL_TRUST_PROXY: true, QSPOOL_MAX_CONNECTIONS_PER_ADDRESS: 0, QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE: 3 });
    await h.server.users.createUser('owner', { email: 'owner@example.org', password: PASSWORD });
  });
  after(() => h.stop());

  const HOME = '192.0.2.44';
  const login = (from: string, password = PASSWORD) =>
    h.call('POST', '/auth/token', { body: { username: 'owner', password }, headers: { 'X-Forwarded-For': from } });

  it('lets the owner log in and change the password from home while strangers spend the account budget elsewhere', async () => {
    const first = await login(HOME);
    expect(first.status).to.equal(200);
    const guesses = [];
    for (let i = 0; i < 6; i += 1) guesses.push((await login(`198.51.100.${i}`, `guess ${i}`)).status);
    expect(guesses, 'the account budget less the owner\'s first login, then refused').to.deep.equal([401, 401, 429, 429, 429, 429]);
    const again = await login(HOME);
    expect(again.status, 'the owner, from home').to.equal(200);
    const token = (again.body as { access_token: string }).access_token;
    const changed = await h.call('POST', '/users/me/password', {
      token,
      body: { old_password: PASSWORD, new_password: 'a new password' },
      headers: { 'X-Forwarded-For': HOME },
    });
    expect(changed.status, 'a password change from home').to.equal(204);
    expect((await login('198.51.100.99', 'a new password')).status, 'the right password from a new address').to.equal(429);
    expect((await login(HOME, 'another guess')).status, 'home has spent its own budget too').to.equal(429);
  });
});
