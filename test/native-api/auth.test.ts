// Users and credentials on the native API: registration, login, access tokens (JWT) and API tokens, profile and
// password changes, disabled users, and what happens to every kind of bad credential.
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { createLogger } from '../../config/logger.ts';
import { loadJwtSecret } from '../../server/auth/jwt-secret.ts';
import { serverSecretKeys } from '../../server/auth/server-key.ts';
import { startServer } from '../../server/index.ts';
import { hashToken, MAX_REVOKED_KEPT, MAX_TOKENS_PER_USER, TOKENS_NS } from '../../server/services/tokens.ts';
import { GOOD_JOB, PASSWORD, startHarness, type Harness } from './harness.ts';

const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('native API: users and authentication', function () {
  this.timeout(20_000);
  let h: Harness;
  let secret: string;
  before(async () => {
    h = await startHarness();
    secret = await loadJwtSecret(h.storage, '', await serverSecretKeys(h.config, createLogger('silent')));
  });
  after(async () => h.stop());

  const login = async (username: string, password = PASSWORD) => {
    const answer = await h.call('POST', '/auth/token', { body: { username, password } });
    expect(answer.status, answer.text).to.equal(200);
    return (answer.body as { access_token: string }).access_token;
  };
  const me = (token: string) => h.call('GET', '/users/me', { token });

  it('registers a user, refuses the same name twice and refuses malformed registrations with every problem named', async () => {
    const created = await h.call('POST', '/users', { body: { username: 'ada', email: 'ada@example.org', password: PASSWORD } });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ username: 'ada', role: 'user', email: 'ada@example.org', disabled: false });
    expect(created.text).to.not.match(/scrypt|salt|hash/);
    const again = await h.call('POST', '/users', { body: { username: 'ada', email: 'x@example.org', password: PASSWORD } });
    expect([again.status, errorCode(again.body)]).to.deep.equal([409, 'user_exists']);
    const bad = await h.call('POST', '/users', { body: { username: 'Ada!', email: 'nope', password: 'short', extra: 1 } });
    expect(bad.status).to.equal(422);
    const locs = (bad.body as { error: { details: { loc: string[] }[] } }).error.details.map((d) => d.loc.join('.'));
    expect(locs).to.include.members(['body.username', 'body.email', 'body.password', 'body.extra']);
  });

  it('refuses passwords with a lone surrogate, addresses that are not one plain address, and display names that spoof', async () => {
    const register = (email: string, password = PASSWORD) => h.call('POST', '/users', { body: { username: 'una', email, password } });
    // A lone surrogate would be hashed as U+FFFD, so "\ud800…" and "\udfff…" would be the same password.
    expect((await register('una@example.org', '\ud800aaaaaaaaaa')).status).to.equal(422);
    for (const email of ['una@example.org\u0000x', 'una@example.org,eve@example.org', 'Una <una@example.org>', 'una@example.org;x']) {
      expect((await register(email)).status, JSON.stringify(email)).to.equal(422);
    }
    expect((await register('una.lab+qspool@exämple.org', 'paired surrogates 😀 are fine')).status).to.equal(201);
    const token = await h.user('vic');
    for (const name of ['Vic \u202Egnp.exe', 'nul\u0000', 'bell\u0007']) {
      expect((await h.call('PATCH', '/users/me', { token, body: { display_name: name } })).status, JSON.stringify(name)).to.equal(422);
    }
    expect((await h.call('PATCH', '/users/me', { token, body: { display_name: 'Víctor Ñúñez 😀' } })).status).to.equal(200);
  });

  it('lets only admins create admins, and closes registration when configured', async () => {
    const body = { username: 'eve', email: 'eve@example.org', password: PASSWORD, role: 'admin' };
    const refused = await h.call('POST', '/users', { body });
    expect([refused.status, errorCode(refused.body)]).to.deep.equal([403, 'admin_required']);
    const admin = await h.user('root', 'admin');
    expect((await h.call('POST', '/users', { body, token: admin })).status).to.equal(201);
    const closed = await startHarness({ QSPOOL_OPEN_REGISTRATION: false });
    try {
      const answer = await closed.call('POST', '/users', { body: { username: 'zed', email: 'z@example.org', password: PASSWORD } });
      expect([answer.status, errorCode(answer.body)]).to.deep.equal([403, 'registration_closed']);
      const closedAdmin = await closed.user('root', 'admin');
      expect((await closed.call('POST', '/users', { token: closedAdmin, body: { username: 'zed', email: 'z@example.org', password: PASSWORD } })).status).to.equal(201);
    } finally {
      await closed.stop();
    }
  });

  it('logs in with the password and refuses wrong or unknown credentials alike', async () => {
    await h.user('bob');
    const token = await login('bob');
    const claims = jwt.decode(token) as Record<string, unknown>;
    expect(claims).to.include.keys('sub', 'exp', 'iat', 'jti');
    expect(claims.sub).to.equal('bob');
    expect((claims.exp as number) - (claims.iat as number)).to.equal(h.config.QSPOOL_JWT_TTL_S);
    expect((await me(token)).body).to.include({ username: 'bob' });
    for (const [username, password] of [['bob', 'wrong password'], ['nobody', PASSWORD], ['../etc', PASSWORD]]) {
      const answer = await h.call('POST', '/auth/token', { body: { username, password } });
      expect([answer.status, errorCode(answer.body)]).to.deep.equal([401, 'invalid_credentials']);
    }
  });

  it('refuses expired, malformed, wrongly signed, unsigned and foreign-algorithm access tokens with 401', async () => {
    await h.user('carol');
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string][] = [
      [jwt.sign({ sub: 'carol', ver: 0, iat: now - 7200, exp: now - 3600 }, secret, { algorithm: 'HS256' }), 'token_expired'],
      ['not.a.jwt', 'invalid_token'],
      ['eyJhbGciOiJIUzI1NiJ9.garbage', 'invalid_token'],
      [jwt.sign({ sub: 'carol', ver: 0 }, 'another secret that is long enough', { algorithm: 'HS256', expiresIn: 60 }), 'invalid_token'],
      [jwt.sign({ sub: 'carol', ver: 0 }, secret, { algorithm: 'HS512', expiresIn: 60 }), 'invalid_token'],
      [`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"carol","exp":${now + 60}}`).toString('base64url')}.`, 'invalid_token'],
      [jwt.sign({ sub: 'ghost', ver: 0 }, secret, { algorithm: 'HS256', expiresIn: 60 }), 'invalid_token'],
    ];
    for (const [token, code] of cases) {
      const answer = await me(token);
      expect([answer.status, errorCode(answer.body)], token).to.deep.equal([401, code]);
      expect(answer.headers.get('www-authenticate')).to.match(/^Bearer /);
    }
  });

  it('refuses a mistyped API token with a message that names API tokens, not only log-in tokens', async () => {
    const token = await h.user('cleo');
    for (const mistyped of [token.slice(1), `${token}0`, `${token.slice(0, -1)}g`]) {
      const answer = await me(mistyped);
      expect([answer.status, errorCode(answer.body)], mistyped).to.deep.equal([401, 'invalid_token']);
      const { message } = (answer.body as { error: { message: string } }).error;
      expect(message, mistyped).to.include('API token (32 hex characters)').and.include('access token from logging in');
    }
  });

  it('takes credentials only from the Authorization header, Bearer scheme', async () => {
    const token = await h.user('dan');
    expect((await h.call('GET', '/users/me')).status).to.equal(401);
    expect((await h.call('GET', `/users/me?token=${token}`)).status).to.equal(401);
    expect((await h.call('GET', '/users/me', { headers: { Authorization: `Token ${token}` } })).status).to.equal(401);
    expect((await h.call('GET', '/users/me', { headers: { Authorization: `Bearer ${token} extra` } })).status).to.equal(401);
    expect((await h.call('GET', '/users/me', { headers: { Authorization: `bearer ${token}` } })).status).to.equal(200);
  });

  it('updates the profile and changes the password only with the old one, which ends older access tokens', async () => {
    await h.user('erin');
    const before = await login('erin');
    const patched = await h.call('PATCH', '/users/me', { token: before, body: { email: 'erin@lab.example.org', display_name: 'Erin' } });
    expect(patched.body).to.include({ email: 'erin@lab.example.org', display_name: 'Erin' });
    expect((await h.call('PATCH', '/users/me', { token: before, body: {} })).status).to.equal(422);
    expect((await h.call('PATCH', '/users/me', { token: before, body: { role: 'admin' } })).status).to.equal(422);
    const wrong = await h.call('POST', '/users/me/password', { token: before, body: { old_password: 'not it at all', new_password: 'a new password' } });
    expect([wrong.status, errorCode(wrong.body)]).to.deep.equal([403, 'wrong_password']);
    const changed = await h.call('POST', '/users/me/password', { token: before, body: { old_password: PASSWORD, new_password: 'a new password' } });
    expect(changed.status).to.equal(204);
    expect(errorCode((await me(before)).body)).to.equal('token_revoked');
    expect((await h.call('POST', '/auth/token', { body: { username: 'erin', password: PASSWORD } })).status).to.equal(401);
    expect((await me(await login('erin', 'a new password'))).status).to.equal(200);
  });

  it('creates named API tokens shown once, lists them without secrets and revokes them everywhere', async () => {
    await h.user('fay');
    const access = await login('fay');
    const created = await h.call('POST', '/tokens', { token: access, body: { name: 'laptop' } });
    expect(created.status).to.equal(201);
    const { token, id } = created.body as { token: string; id: string };
    expect(token).to.match(/^[0-9a-f]{32}$/);
    const listed = await h.call('GET', '/tokens', { token });
    expect(listed.text).to.not.include(token);
    expect((listed.body as { tokens: { id: string; name: string }[] }).tokens.map((t) => t.name)).to.include('laptop');
    const job = await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } });
    expect(job.status).to.equal(201);
    expect((await h.call('DELETE', `/tokens/${id}`, { token: access })).status).to.equal(204);
    expect((await h.call('DELETE', `/tokens/${id}`, { token: access })).status).to.equal(204);
    expect(errorCode((await me(token)).body)).to.equal('invalid_token');
    const v2 = await fetch(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${(job.body as { id: string }).id}&token=${token}`);
    const v3 = await fetch(`${h.url}/api/v3/singlequdit/get_job_status?job_id=${(job.body as { id: string }).id}`, { headers: { Authorization: `Bearer ${token}` } });
    expect([v2.status, v3.status]).to.deep.equal([401, 401]);
    const revokedListing = (await h.call('GET', '/tokens', { token: access })).body as { tokens: { id: string; revoked_at: string | null }[] };
    expect(revokedListing.tokens.find((t) => t.id === id)!.revoked_at).to.be.a('string');
    expect((await h.call('DELETE', '/tokens/000000000000', { token: access })).status).to.equal(404);
    const other = await h.user('gus');
    expect((await h.call('DELETE', `/tokens/${id}`, { token: other })).status).to.equal(404);
    const gus = (await h.server.users.getUser('gus'))!;
    for (let live = 1; live < MAX_TOKENS_PER_USER; live += 1) await h.server.users.tokens.issue(gus, `bulk ${live}`);
    const tooMany = await h.call('POST', '/tokens', { token: other, body: { name: 'one more' } });
    expect([tooMany.status, errorCode(tooMany.body)]).to.deep.equal([429, 'quota_exceeded']);
  });

  it('keeps the latest revoked tokens in the list, and forgets older ones entirely', async () => {
    const tokens = h.server.users.tokens;
    await h.user('ivy');
    const ivy = (await h.server.users.getUser('ivy'))!;
    const issued: { token: string; id: string }[] = [];
    for (let i = 0; i < MAX_REVOKED_KEPT + 5; i += 1) {
      const { token, listing } = await tokens.issue(ivy, `loop ${i}`);
      await tokens.revoke(ivy, listing.id);
      issued.push({ token, id: listing.id });
    }
    const listed = await tokens.list(ivy);
    const revoked = listed.filter((entry) => entry.revoked).map((entry) => entry.id);
    expect(revoked).to.have.length(MAX_REVOKED_KEPT);
    expect(revoked).to.include(issued.at(-1)!.id).and.not.include(issued[0]!.id);
    expect(listed.filter((entry) => !entry.revoked)).to.have.length(1);
    expect(await h.storage.get(TOKENS_NS, hashToken(issued[0]!.token))).to.equal(undefined);
    expect((await h.storage.get(TOKENS_NS, hashToken(issued.at(-1)!.token)))?.value).to.include({ revoked: true });
    for (const { token } of [issued[0]!, issued.at(-1)!]) expect((await me(token)).status).to.equal(401);
  });

  it('answers 401 everywhere for a disabled user, whatever the credential', async () => {
    const token = await h.user('hal');
    const access = await login('hal');
    await h.server.users.setDisabled('hal', true);
    for (const credential of [token, access]) expect(errorCode((await me(credential)).body)).to.equal('user_disabled');
    const loginAnswer = await h.call('POST', '/auth/token', { body: { username: 'hal', password: PASSWORD } });
    expect([loginAnswer.status, errorCode(loginAnswer.body)]).to.deep.equal([401, 'user_disabled']);
    const v2 = await fetch(`${h.url}/api/v2/singlequdit/post_job`, { method: 'POST', body: JSON.stringify({ job: JSON.stringify(GOOD_JOB), token }) });
    const v3 = await fetch(`${h.url}/api/v3/singlequdit/post_job`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ payload: GOOD_JOB }) });
    expect([v2.status, v3.status]).to.deep.equal([401, 401]);
    expect((await h.call('GET', '/jobs', { token })).status).to.equal(401);
  });

  it('keeps the generated signing secret in storage across restarts and never logs a credential', async () => {
    const second = await startHarness();
    try {
      await second.user('ivy');
      const access = (await second.call('POST', '/auth/token', { body: { username: 'ivy', password: PASSWORD } })).body as { access_token: string };
      const stored = await loadJwtSecret(second.storage, '', await serverSecretKeys(second.config, createLogger('silent')));
      await second.server.close();
      const restarted = await startServer(second.storage, second.config, createLogger('silent'));
      try {
        const answer = await fetch(`${restarted.url}/api/v1/users/me`, { headers: { Authorization: `Bearer ${access.access_token}` } });
        expect(answer.status).to.equal(200);
      } finally {
        await restarted.close();
      }
      const logged = second.logs.join('');
      expect(logged).to.include('logged in');
      for (const secretText of [stored, access.access_token, PASSWORD]) expect(logged).to.not.include(secretText);
    } finally {
      await second.stop();
    }
  });
});
