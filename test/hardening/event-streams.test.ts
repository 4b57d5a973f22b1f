// Event streams (issue 17, item 5): an open stream ends within a second of its credential ceasing to work (API token
// revoked, user disabled or re-created under the same name, password changed, access token logged out; or, for one job's stream, the job deleted or the admin following another
// user's job demoted), while streams on working credentials stay open; and one user holds at most
// QSPOOL_SSE_MAX_PER_USER (default 10) streams, the next answering 429 with a JSON error.
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { eventually, GOOD_JOB, PASSWORD, startHarness, type Harness } from '../native-api/harness.ts';
import { openSse, type SseConnection } from '../notifications/support.ts';

describe('event streams and their credentials', function () {
  this.timeout(30_000);
  let h: Harness;
  let admin: string;
  const open: SseConnection[] = [];
  const sse = async (token: string) => {
    const connection = await openSse(`${h.url}/api/v1/events`, token);
    open.push(connection);
    return connection;
  };
  const accessToken = async (username: string, password = PASSWORD) =>
    ((await h.call('POST', '/auth/token', { body: { username, password } })).body as { access_token: string }).access_token;
  /** Milliseconds until the stream ends (it must still be open when this is called). */
  const endsAfter = async (stream: SseConnection, act: () => Promise<void>) => {
    await act();
    const start = Date.now();
    await stream.rest(5000);
    return Date.now() - start;
  };

  before(async () => {
    h = await startHarness({ QSPOOL_SSE_KEEPALIVE_MS: 200 });
    admin = await h.user('root', 'admin');
  });
  afterEach(() => open.splice(0).forEach((connection) => connection.close()));
  after(() => h.stop());

  it('ends a stream within 1 s of its API token being revoked, and leaves the owner\'s other streams open', async () => {
    const token = await h.user('ada');
    const bystander = await sse(await accessToken('ada'));
    const stream = await sse(token);
    expect(stream.status).to.equal(200);
    const listed = (await h.call('GET', '/tokens', { token })).body as { tokens: { id: string; name: string }[] };
    const { id } = listed.tokens.find((entry) => entry.name === 'tests')!;
    const ms = await endsAfter(stream, async () => {
      expect((await h.call('DELETE', `/tokens/${id}`, { token: await accessToken('ada') })).status).to.equal(204);
    });
    expect(ms).to.be.below(1000);
    // The stream on a working credential neither ends nor gets anything for 1.2 s (its `next` times out).
    expect(await bystander.next(1200).then(() => 'ended or sent', () => 'open')).to.equal('open');
  });

  it('ends a stream within 1 s of its user being disabled', async () => {
    const token = await h.user('bob');
    const stream = await sse(token);
    const ms = await endsAfter(stream, async () => {
      expect((await h.call('PATCH', '/admin/users/bob', { token: admin, body: { disabled: true } })).status).to.equal(200);
    });
    expect(ms).to.be.below(1000);
    expect((await openSse(`${h.url}/api/v1/events`, token)).status).to.equal(401);
  });

  it('ends a stream within 1 s of its user record being deleted by hand and the name registered again', async () => {
    const token = await h.user('dina');
    const stream = await sse(token);
    const ms = await endsAfter(stream, async () => {
      expect(await h.storage.delete(USERS_NS, 'dina')).to.equal(true);
      const again = await h.call('POST', '/users', { body: { username: 'dina', email: 'dina@example.org', password: PASSWORD } });
      expect(again.status, again.text).to.equal(201);
    });
    expect(ms).to.be.below(1000);
  });

  it('ends a stream opened with an access token within 1 s of the password changing', async () => {
    await h.user('carol');
    const access = await accessToken('carol');
    const stream = await sse(access);
    const ms = await endsAfter(stream, async () => {
      const changed = await h.call('POST', '/users/me/password', { token: access, body: { old_password: PASSWORD, new_password: 'another long password' } });
      expect(changed.status, changed.text).to.be.oneOf([200, 204]);
    });
    expect(ms).to.be.below(1000);
  });

  it('ends a stream opened with an access token within 1 s of that token being logged out, and not one of another session', async () => {
    await h.user('lou');
    const [access, other] = [await accessToken('lou'), await accessToken('lou')];
    const bystander = await sse(other);
    const stream = await sse(access);
    const ms = await endsAfter(stream, async () => {
      expect((await h.call('DELETE', '/auth/token', { token: access })).status).to.equal(204);
    });
    expect(ms).to.be.below(1000);
    expect(await bystander.next(1200).then(() => 'ended or sent', () => 'open')).to.equal('open');
  });

  it('ends an admin\'s stream of another user\'s job within 1 s of the admin being demoted', async () => {
    const owner = await h.user('fay');
    const submitted = await h.call('POST', '/backends/singlequdit/jobs', { token: owner, body: { payload: GOOD_JOB } });
    const { id } = submitted.body as { id: string };
    const watcher = await h.user('gus', 'admin');
    const stream = await openSse(`${h.url}/api/v1/jobs/${id}/events`, watcher);
    open.push(stream);
    expect(stream.status).to.equal(200);
    expect(JSON.parse((await stream.next(2000))!.data)).to.include({ job_id: id, status: 'QUEUED' });
    const ms = await endsAfter(stream, async () => {
      expect((await h.call('PATCH', '/admin/users/gus', { token: admin, body: { role: 'user' } })).status).to.equal(200);
    });
    expect(ms).to.be.below(1000);
    expect((await h.call('GET', `/jobs/${id}/events`, { token: watcher })).status).to.equal(404);
  });

  it('ends a job\'s stream within 1 s of the job being deleted, which no final state will end', async () => {
    const token = await h.user('hal');
    const { id } = (await h.call('POST', '/backends/singlequdit/jobs', { token, body: { payload: GOOD_JOB } })).body as { id: string };
    const stream = await openSse(`${h.url}/api/v1/jobs/${id}/events`, token);
    open.push(stream);
    expect(JSON.parse((await stream.next(2000))!.data)).to.include({ job_id: id, status: 'QUEUED' });
    const ms = await endsAfter(stream, async () => {
      expect((await h.call('DELETE', `/jobs/${id}`, { token })).status).to.equal(204);
    });
    expect(ms).to.be.below(1000);
  });

  it('lets one user hold 10 streams by default; the 11th answers 429 with a JSON error, and closing one frees a slot', async () => {
    expect(h.config.QSPOOL_SSE_MAX_PER_USER).to.equal(10);
    const token = await h.user('dora');
    const other = await h.user('erin');
    const streams = [];
    for (let i = 0; i < 10; i += 1) streams.push(await sse(token));
    expect(streams.map((s) => s.status)).to.deep.equal(new Array(10).fill(200));
    const refused = await h.call('GET', '/events', { token });
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('content-type')).to.match(/^application\/json/);
    expect((refused.body as { error: { code: string; details: unknown } }).error).to.deep.include({ code: 'quota_exceeded', details: { limit: 10 } });
    expect((await sse(other)).status).to.equal(200);
    streams[0]!.close();
    await eventually(async () => ((await openSse(`${h.url}/api/v1/events`, token).then((s) => (open.push(s), s))).status === 200 ? true : undefined));
  });

  it('validates the cap and the check interval', () => {
    expect(() => loadConfig({ QSPOOL_SSE_MAX_PER_USER: '0' })).to.throw(ConfigError, /QSPOOL_SSE_MAX_PER_USER/);
    expect(() => loadConfig({ QSPOOL_SSE_AUTH_CHECK_MS: '10' })).to.throw(ConfigError, /QSPOOL_SSE_AUTH_CHECK_MS/);
    expect(loadConfig({ QSPOOL_SSE_MAX_PER_USER: '3' }).QSPOOL_SSE_MAX_PER_USER).to.equal(3);
  });
});
