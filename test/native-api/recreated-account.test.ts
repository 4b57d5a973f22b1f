// A username is not an identity: when an operator deletes a user record by hand and the name is registered again,
// the credentials of the earlier account (API tokens, access tokens) must not work for the new one, on any route.
// Records written before accounts had ids keep working for their own account.
import { expect } from 'chai';
import { hashPassword } from '../../server/auth/passwords.ts';
import { hashToken, TOKENS_NS, userTokensNs } from '../../server/services/tokens.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { PASSWORD, startHarness, type Harness } from './harness.ts';

const errorCode = (body: unknown) => (body as { error?: { code: string } }).error?.code;
const JOB_ID = '00000000-0000-4000-8000-000000000000';

describe('native API: credentials of a deleted account do not pass to a new account of the same name', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.stop());

  const register = async (username: string) => {
    const answer = await h.call('POST', '/users', { body: { username, email: `${username}@example.org`, password: PASSWORD } });
    expect(answer.status, answer.text).to.equal(201);
  };
  const login = async (username: string) => {
    const answer = await h.call('POST', '/auth/token', { body: { username, password: PASSWORD } });
    expect(answer.status, answer.text).to.equal(200);
    return (answer.body as { access_token: string }).access_token;
  };
  const createToken = async (access: string) => {
    const answer = await h.call('POST', '/tokens', { token: access, body: { name: 'laptop' } });
    expect(answer.status, answer.text).to.equal(201);
    return answer.body as { token: string; id: string };
  };
  const newToken = async (access: string) => (await createToken(access)).token;
  const me = (credential: string) => h.call('GET', '/users/me', { token: credential });
  const tokenNames = async (credential: string) => ((await h.call('GET', '/tokens', { token: credential })).body as { tokens: { name: string }[] }).tokens.map((t) => t.name);
  /** Deleted as an operator would: the record alone, through the storage provider, leaving its tokens behind. */
  const deleteByHand = async (username: string) => expect(await h.storage.delete(USERS_NS, username)).to.equal(true);

  /** A user and an API token as the code before account ids wrote them. */
  async function legacyAccount(username: string): Promise<string> {
    const now = new Date().toISOString();
    const password = await hashPassword(PASSWORD, h.config.QSPOOL_SCRYPT_LOG_N);
    await h.storage.put(USERS_NS, username, { username, role: 'user', disabled: false, createdAt: now, updatedAt: now, email: null, password });
    const token = 'ab'.repeat(16);
    const listing = { id: '0123456789ab', name: 'old', createdAt: now, revoked: false, hash: hashToken(token) };
    await h.storage.put(userTokensNs(username), listing.id, listing);
    await h.storage.put(TOKENS_NS, listing.hash, { id: listing.id, name: 'old', createdAt: now, revoked: false, username });
    return token;
  }

  /** Every route family's answer to a credential: native, SSE (a stream it opens is closed at once), qlued v2 and v3. */
  async function refusals(credential: string): Promise<number[]> {
    const bearer = { Authorization: `Bearer ${credential}` };
    const events = await fetch(`${h.url}/api/v1/events`, { headers: bearer });
    await events.body?.cancel();
    const v2 = await fetch(`${h.url}/api/v2/singlequdit/get_job_status?job_id=${JOB_ID}&token=${credential}`);
    const v3 = await fetch(`${h.url}/api/v3/singlequdit/get_job_status?job_id=${JOB_ID}`, { headers: bearer });
    return [(await me(credential)).status, events.status, v2.status, v3.status];
  }

  it('refuses the old API token everywhere and lists only the new account\'s tokens', async () => {
    await register('ann');
    const { token: oldToken, id: oldId } = await createToken(await login('ann'));
    expect((await me(oldToken)).status).to.equal(200);
    await deleteByHand('ann');
    await register('ann');
    expect(await refusals(oldToken)).to.deep.equal([401, 401, 401, 401]);
    expect(errorCode((await me(oldToken)).body)).to.equal('invalid_token');
    const fresh = await newToken(await login('ann'));
    expect((await me(fresh)).status).to.equal(200);
    expect(await tokenNames(fresh)).to.deep.equal(['laptop']);
    expect((await h.call('DELETE', `/tokens/${oldId}`, { token: fresh })).status).to.equal(404);
  });

  it('refuses the old access token, even where the credential version of the two accounts is the same', async () => {
    // A record from before passwords carried a change time: its access tokens have credential version 0, as do
    // those of an account an admin makes without a password; the name alone then matched the old session.
    await legacyAccount('bea');
    const oldSession = await login('bea');
    await deleteByHand('bea');
    await h.server.users.createUser('bea');
    const refused = await me(oldSession);
    expect([refused.status, errorCode(refused.body)]).to.deep.equal([401, 'token_revoked']);
    expect(await refusals(oldSession)).to.deep.equal([401, 401, 401, 401]);
    const adminMade = await h.server.users.issueToken('bea');
    expect((await me(adminMade)).status).to.equal(200);
  });

  it('refuses the old access token of a registered account; an admin disabling and enabling the new one keeps it so', async () => {
    await register('cai');
    const oldSession = await login('cai');
    await deleteByHand('cai');
    await register('cai');
    expect((await me(oldSession)).status).to.equal(401);
    const session = await login('cai');
    const token = await newToken(session);
    const admin = await h.user('root', 'admin');
    for (const disabled of [true, false]) expect((await h.call('PATCH', '/admin/users/cai', { token: admin, body: { disabled } })).status).to.equal(200);
    for (const credential of [session, token]) expect((await me(credential)).status).to.equal(200);
    expect((await me(oldSession)).status).to.equal(401);
  });

  it('keeps tokens and sessions of records written before account ids working, until such an account is re-created', async () => {
    const oldToken = await legacyAccount('dot');
    const session = await login('dot');
    for (const credential of [oldToken, session]) expect((await me(credential)).status).to.equal(200);
    expect(await tokenNames(session)).to.deep.equal(['old']);
    const added = await newToken(session);
    await h.server.users.setDisabled('dot', true);
    expect((await me(oldToken)).status).to.equal(401);
    await h.server.users.setDisabled('dot', false);
    for (const credential of [oldToken, session, added]) expect((await me(credential)).status).to.equal(200);
    await deleteByHand('dot');
    await register('dot');
    for (const credential of [oldToken, session, added]) expect(await refusals(credential)).to.deep.equal([401, 401, 401, 401]);
  });
});
