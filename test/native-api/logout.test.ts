// Logging out (DELETE /api/v1/auth/token) ends the access token sent, for this server and every other one on the
// same store, and for nothing else: the user's other sessions and API tokens go on.
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { createLogger } from '../../config/logger.ts';
import { loadJwtSecret } from '../../server/auth/jwt-secret.ts';
import { serverSecretKeys } from '../../server/auth/server-key.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import { ENDED_SESSIONS_NS } from '../../storage/namespaces.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { request } from '../support/system.ts';
import { PASSWORD, startHarness, type Harness } from './harness.ts';

const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('native API: logging out', function () {
  this.timeout(20_000);
  let h: Harness;
  let secret: string;
  let apiToken: string;
  before(async () => {
    h = await startHarness();
    secret = await loadJwtSecret(h.storage, '', await serverSecretKeys(h.config, createLogger('silent')));
    apiToken = await h.user('ada');
  });
  after(async () => h.stop());

  const login = async () => {
    const answer = await h.call('POST', '/auth/token', { body: { username: 'ada', password: PASSWORD } });
    expect(answer.status, answer.text).to.equal(200);
    return (answer.body as { access_token: string }).access_token;
  };
  const me = (token: string) => h.call('GET', '/users/me', { token });
  const logout = (token?: string) => h.call('DELETE', '/auth/token', token === undefined ? {} : { token });
  const signed = (claims: Record<string, unknown>) => jwt.sign({ sub: 'ada', ver: 0, ...claims }, secret, { algorithm: 'HS256' });

  it('refuses the token from then on with 401 token_revoked, and leaves the user\'s other sessions and API tokens working', async () => {
    const [ended, other] = [await login(), await login()];
    expect((await me(ended)).status).to.equal(200);
    expect((await logout(ended)).status).to.equal(204);
    const refused = await me(ended);
    expect([refused.status, errorCode(refused.body)]).to.deep.equal([401, 'token_revoked']);
    expect(refused.headers.get('www-authenticate')).to.match(/^Bearer /);
    expect((await me(other)).status).to.equal(200);
    expect((await me(apiToken)).status).to.equal(200);
  });

  it('is refused by a second server on the same store, which had taken the token before', async () => {
    const second = new LocalProvider({ root: h.dataDir, fsync: false });
    let server: RunningServer | undefined;
    try {
      server = await startServer(second, h.config, createLogger('silent'));
      const onSecond = async (token: string) => (await request(`${server!.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } }));
      const [first, next] = [await login(), await login()];
      expect([(await onSecond(first)).status, (await onSecond(next)).status]).to.deep.equal([200, 200]);
      expect((await logout(first)).status).to.equal(204);
      const refused = await onSecond(first);
      expect([refused.status, errorCode(refused.body)]).to.deep.equal([401, 'token_revoked']);
      // And the other way round: ended through the second server, refused by the first.
      const ended = await request(`${server.url}/api/v1/auth/token`, { method: 'DELETE', headers: { authorization: `Bearer ${next}` } });
      expect(ended.status).to.equal(204);
      expect(errorCode((await me(next)).body)).to.equal('token_revoked');
    } finally {
      await server?.close();
      await second.close();
    }
  });

  it('answers 204 to ending a token twice, or one already expired, and stores nothing for a long-expired one', async () => {
    const token = await login();
    expect((await logout(token)).status).to.equal(204);
    expect((await logout(token)).status).to.equal(204);
    const before = await h.storage.list(ENDED_SESSIONS_NS, { limit: 1000 });
    const now = Math.floor(Date.now() / 1000);
    const longExpired = signed({ jti: 'long-expired', iat: now - 3 * 86400, exp: now - 2 * 86400 });
    expect((await logout(longExpired)).status).to.equal(204);
    expect(await h.storage.list(ENDED_SESSIONS_NS, { limit: 1000 })).to.deep.equal(before);
  });

  it('answers 401 without an access token or with one it did not sign or cannot end, and 422 for an API token, never 500', async () => {
    const noJti = signed({ exp: Math.floor(Date.now() / 1000) + 600 });
    const cases: [string | undefined, string][] = [
      [undefined, 'unauthorized'],
      ['not.a.jwt', 'invalid_token'],
      [jwt.sign({ sub: 'ada', ver: 0, jti: 'x' }, 'another secret that is long enough', { algorithm: 'HS256', expiresIn: 60 }), 'invalid_token'],
      [noJti, 'invalid_token'],
      [signed({ jti: 'no/slashes', exp: Math.floor(Date.now() / 1000) + 600 }), 'invalid_token'],
    ];
    for (const [token, code] of cases) {
      const answer = await logout(token);
      expect([answer.status, errorCode(answer.body)], String(token)).to.deep.equal([401, code]);
    }
    // A token logging out could not end is not taken either.
    expect([(await me(noJti)).status, errorCode((await me(noJti)).body)]).to.deep.equal([401, 'invalid_token']);
    const basic = await h.call('DELETE', '/auth/token', { headers: { Authorization: 'Basic YWRhOnB3' } });
    expect([basic.status, errorCode(basic.body)]).to.deep.equal([401, 'unauthorized']);
    const api = await logout(apiToken);
    expect([api.status, errorCode(api.body)]).to.deep.equal([422, 'invalid_request']);
    expect((await me(apiToken)).status).to.equal(200);
  });
});
