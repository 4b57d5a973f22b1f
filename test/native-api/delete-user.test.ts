// DELETE /api/v1/admin/users/{name} erases the account and everything filed under its name: its jobs (a running
// one cancelled through the normal path first), tokens, webhooks, idempotency records and logs. An interrupted
// deletion resumes on the next DELETE, and a name whose earlier account was deleted by hand is not handed out over
// what that account left behind.
import { expect } from 'chai';
import { pino } from 'pino';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { configuredSecretKey } from '../../server/auth/server-key.ts';
import { buildServices } from '../../server/index.ts';
import { hashToken, TOKENS_NS } from '../../server/services/tokens.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { ns } from '../../storage/records.ts';
import { startReceiver, type Receiver } from '../notifications/support.ts';
import { accountTraces } from '../support/account-traces.ts';
import { eventually, GOOD_JOB, PASSWORD, startHarness, type Harness } from './harness.ts';

const BACKEND = 'singlequdit';
const errorCode = (body: unknown) => (body as { error?: { code: string } }).error?.code;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('native API: deleting a user erases the account and everything of theirs', function () {
  this.timeout(30_000);
  let h: Harness;
  let admin: string;
  let receiver: Receiver;
  before(async () => {
    h = await startHarness({ QSPOOL_WEBHOOK_ALLOW_PRIVATE: true, QSPOOL_NOTIFY_POLL_MS: 20, QSPOOL_NOTIFY_SETTLE_MS: 0 });
    admin = await h.user('root', 'admin');
    receiver = await startReceiver();
  });
  after(async () => {
    await h.stop();
    await receiver.close();
  });

  const submit = async (token: string, headers: Record<string, string> = {}) => {
    const answer = await h.call('POST', `/backends/${BACKEND}/jobs`, { token, headers, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };
  const remove = (name: string) => h.call('DELETE', `/admin/users/${name}`, { token: admin });
  const me = (token: string) => h.call('GET', '/users/me', { token });
  const register = (username: string) => h.call('POST', '/users', { body: { username, email: `${username}@example.org`, password: PASSWORD } });
  const freshToken = async (username: string) => {
    const login = await h.call('POST', '/auth/token', { body: { username, password: PASSWORD } });
    const created = await h.call('POST', '/tokens', { token: (login.body as { access_token: string }).access_token, body: { name: 'again' } });
    return (created.body as { token: string }).token;
  };

  const traces = (name: string) => accountTraces(h.storage, name, [BACKEND]);

  it('removes queued and finished jobs, cancels a running one, and erases tokens, webhooks and idempotency records', async () => {
    const token = await h.user('zoe');
    const hook = await h.call('POST', '/webhooks', { token, body: { url: receiver.url } });
    expect(hook.status, hook.text).to.equal(201);
    const finished = await submit(token, { 'Idempotency-Key': 'first' });
    const running = await submit(token);
    const queued = await submit(token);
    const done = (await h.lifecycle.claim(BACKEND, 'test-spooler'))!;
    expect(done.record.id).to.equal(finished);
    await h.lifecycle.complete(done, { counts: 1 });
    const claim = (await h.lifecycle.claim(BACKEND, 'test-spooler'))!;
    expect(claim.record.id).to.equal(running);
    await eventually(async () => receiver.requests.length > 0 || undefined);
    expect(await traces('zoe')).to.include.members([ns.ownerIndex('zoe'), 'webhooks/zoe', 'idempotency/zoe', 'user-tokens/zoe']);

    const first = await remove('zoe');
    expect([first.status, first.body]).to.deep.equal([202, { username: 'zoe', remaining_jobs: 1 }]);
    const heardBefore = receiver.requests.length;
    const listed = (await h.call('GET', '/admin/users', { token: admin })).body as { users: { username: string; deleting?: boolean; disabled: boolean }[] };
    expect(listed.users.find((u) => u.username === 'zoe')).to.include({ deleting: true, disabled: true });
    expect((await me(token)).status).to.equal(401);
    expect(errorCode((await register('zoe')).body)).to.equal('user_deleting');
    expect(await h.server.users.issueToken('zoe').then(() => undefined, (error: { code?: string }) => error.code)).to.equal('user_deleting');
    for (const id of [finished, queued]) expect(await h.lifecycle.find(BACKEND, id)).to.equal(undefined);
    const flagged = (await h.lifecycle.find(BACKEND, running))!.value;
    expect([flagged.state, flagged.cancelRequested]).to.deep.equal(['RUNNING', true]);

    // The spooler stops the job as it stops any cancelled one; the next DELETE removes it and then the account.
    expect((await h.lifecycle.acknowledgeCancel(claim)).state).to.equal('CANCELLED');
    expect((await remove('zoe')).status).to.equal(204);
    expect(await h.lifecycle.find(BACKEND, running)).to.equal(undefined);
    expect(await traces('zoe')).to.deep.equal([]);
    expect(await h.storage.get(TOKENS_NS, hashToken(token))).to.equal(undefined);
    expect((await remove('zoe')).status).to.equal(404);

    expect((await register('zoe')).status).to.equal(201);
    const renewed = await freshToken('zoe');
    expect((await me(token)).status).to.equal(401);
    expect(((await h.call('GET', '/jobs', { token: renewed })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);
    expect(((await h.call('GET', '/webhooks', { token: renewed })).body as { webhooks: unknown[] }).webhooks).to.deep.equal([]);
    expect(await submit(renewed, { 'Idempotency-Key': 'first' })).to.not.equal(finished);
    const next = (await h.lifecycle.claim(BACKEND, 'test-spooler'))!;
    await h.lifecycle.complete(next, { counts: 2 });
    await pause(300);
    expect(receiver.requests.length).to.equal(heardBefore);
  });

  it('resumes a deletion that storage broke off half-way on the next DELETE', async () => {
    const token = await h.user('yan');
    expect((await h.call('POST', '/webhooks', { token, body: { url: receiver.url, events: ['ERROR'] } })).status).to.equal(201);
    await submit(token, { 'Idempotency-Key': 'k' });
    const { storage } = h;
    const original = storage.delete.bind(storage);
    storage.delete = async (namespace, key, version) => {
      if (namespace.startsWith('webhooks/')) throw new StorageUnavailableError('storage outage (injected)');
      return original(namespace, key, version);
    };
    try {
      const broken = await remove('yan');
      expect([broken.status, errorCode(broken.body)]).to.deep.equal([503, 'storage_unavailable']);
    } finally {
      storage.delete = original;
    }
    expect((await me(token)).status).to.equal(401);
    expect(await traces('yan')).to.include.members([USERS_NS, 'webhooks/yan']);
    expect(errorCode((await register('yan')).body)).to.equal('user_deleting');
    expect((await remove('yan')).status).to.equal(204);
    expect(await traces('yan')).to.deep.equal([]);
    expect((await register('yan')).status).to.equal(201);
  });

  it('refuses to register a name over what a hand-deleted account left, until qspool user delete clears it', async () => {
    const token = await h.user('xia');
    await submit(token);
    expect(await h.storage.delete(USERS_NS, 'xia')).to.equal(true);
    const refused = await register('xia');
    expect([refused.status, errorCode(refused.body)]).to.deep.equal([409, 'account_leftovers']);
    expect((refused.body as { error: { message: string } }).error.message).to.include('qspool user delete xia');
    expect((await remove('xia')).status).to.equal(204);
    expect(await traces('xia')).to.deep.equal([]);
    expect((await register('xia')).status).to.equal(201);
    const renewed = await freshToken('xia');
    expect(((await h.call('GET', '/jobs', { token: renewed })).body as { jobs: unknown[] }).jobs).to.deep.equal([]);
  });

  it('withdraws the job of a submission authenticated before the deletion began, during it and after it', async () => {
    await h.user('vic');
    const authenticated = (await h.server.users.getUser('vic'))!;
    // Another replica on the same store, whose request authenticated the user before the deletion marked them.
    const replica = buildServices(h.storage, h.config, pino({ level: 'silent' }), await configuredSecretKey(h.config));
    const backend = (await replica.backends.resolve(BACKEND))!;
    const late = () => replica.jobs.enqueue(authenticated, backend, GOOD_JOB).then(() => undefined, (error: { code?: string }) => error.code);
    await replica.users.beginDeletion('vic');
    expect(await late()).to.equal('user_disabled');
    expect(await h.storage.list(ns.ownerIndex('vic'))).to.deep.equal([]);
    expect((await remove('vic')).status).to.equal(204);
    expect(await late()).to.equal('user_disabled');
    expect(await h.storage.list(ns.ownerIndex('vic'))).to.deep.equal([]);
    expect(await h.lifecycle.listQueued(BACKEND)).to.deep.equal([]);
    await replica.providers.close();
  });

  it('keeps a stored job, answered as accepted, when the store cannot say whether its account still stands', async () => {
    await h.user('wes');
    const authenticated = (await h.server.users.getUser('wes'))!;
    const replica = buildServices(h.storage, h.config, pino({ level: 'silent' }), await configuredSecretKey(h.config));
    replica.users.stands = () => Promise.reject(new StorageUnavailableError('the store went away after the job was stored'));
    const job = await replica.jobs.enqueue(authenticated, (await replica.backends.resolve(BACKEND))!, GOOD_JOB);
    expect((await h.storage.list(ns.ownerIndex('wes'))).length, 'the job a client would otherwise submit again').to.equal(1);
    expect((await h.lifecycle.getStatus(BACKEND, job.id))?.status, 'stored and not withdrawn').to.be.oneOf(['QUEUED', 'RUNNING', 'DONE']);
    await replica.providers.close();
  });

  it('refuses an admin deleting themselves and a user who is not an admin, and answers 404 for no one', async () => {
    const self = await remove('root');
    expect([self.status, errorCode(self.body)]).to.deep.equal([403, 'self_change']);
    const token = await h.user('walt');
    expect((await h.call('DELETE', '/admin/users/root', { token })).status).to.equal(403);
    expect((await remove('nobody')).status).to.equal(404);
    for (const name of ['%2F', '..', 'a%2Fb', 'UPPER', '%00']) expect((await remove(name)).status, name).to.equal(404);
    expect((await me(admin)).status).to.equal(200);
  });
});
