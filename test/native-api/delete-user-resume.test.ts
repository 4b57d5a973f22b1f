// An account deletion that could not finish in its request (jobs still running, or storage broke off) is finished by
// the server itself: nobody has to send the DELETE again. A marker names the account being deleted, so a new account
// later registered under the name is never touched.
import { expect } from 'chai';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { DELETIONS_NS } from '../../storage/namespaces.ts';
import { TOKENS_NS } from '../../server/services/tokens.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { accountTraces } from '../support/account-traces.ts';
import { eventually, GOOD_JOB, PASSWORD, startHarness, type Harness } from './harness.ts';

const BACKEND = 'singlequdit';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('native API: the server finishes account deletions by itself', function () {
  this.timeout(30_000);
  let h: Harness;
  let admin: string;
  before(async () => {
    // Resumed deletions run on the sweeps' schedule, here every second.
    h = await startHarness({ QSPOOL_IDEMPOTENCY_SWEEP_MS: 1000 });
    admin = await h.user('root', 'admin');
  });
  after(() => h.stop());

  const submit = async (token: string) => {
    const answer = await h.call('POST', `/backends/${BACKEND}/jobs`, { token, body: { payload: GOOD_JOB } });
    expect(answer.status, answer.text).to.equal(201);
    return (answer.body as { id: string }).id;
  };
  const remove = (name: string) => h.call('DELETE', `/admin/users/${name}`, { token: admin });
  const traces = (name: string) => accountTraces(h.storage, name, [BACKEND]);
  const gone = (name: string) => eventually(async () => ((await traces(name)).length === 0 ? true : undefined), 15_000);

  it('finishes a deletion that answered 202 once its running job has ended', async () => {
    const token = await h.user('ria');
    await submit(token);
    const claim = (await h.lifecycle.claim(BACKEND, 'test-spooler'))!;
    const first = await remove('ria');
    expect([first.status, first.body]).to.deep.equal([202, { username: 'ria', remaining_jobs: 1 }]);
    expect(await traces('ria')).to.include(DELETIONS_NS);
    await pause(1500);
    expect(await traces('ria'), 'the job still runs: the account waits for it').to.include.members([DELETIONS_NS, 'users']);

    expect((await h.lifecycle.acknowledgeCancel(claim)).state).to.equal('CANCELLED');
    await gone('ria');
    expect((await remove('ria')).status).to.equal(404);
  });

  it('finishes a deletion that storage broke off half-way', async () => {
    const token = await h.user('sol');
    await submit(token);
    const { storage } = h;
    const original = storage.delete.bind(storage);
    let outage = true;
    storage.delete = async (namespace, key, version) => {
      if (outage && namespace === TOKENS_NS) throw new StorageUnavailableError('storage outage (injected)');
      return original(namespace, key, version);
    };
    try {
      expect((await remove('sol')).status).to.equal(503);
      await pause(1500);
      expect(await traces('sol'), 'while storage fails, runs fail and the deletion waits').to.include.members([DELETIONS_NS, 'users']);
      outage = false;
      await gone('sol');
    } finally {
      storage.delete = original;
    }
    expect((await h.call('POST', '/users', { body: { username: 'sol', email: 'sol@example.org', password: PASSWORD } })).status).to.equal(201);
  });

  it('drops a marker that names no account being deleted, and leaves the account of that name alone', async () => {
    const token = await h.user('tam');
    await submit(token);
    // A marker of another account of the name (the deletion finished and the name was registered again before the
    // marker went), and one left by a run that stopped before it marked the user.
    await h.storage.put(DELETIONS_NS, 'tam', { accountId: 'an-earlier-account', startedAt: new Date().toISOString() });
    const user = await h.server.users.getUser('tam');
    await h.storage.put(DELETIONS_NS, 'uma', { accountId: null, startedAt: new Date().toISOString() });
    await eventually(async () => ((await h.storage.list(DELETIONS_NS)).some((name) => name === 'tam' || name === 'uma') ? undefined : true), 15_000);
    expect(await h.server.users.getUser('tam')).to.deep.equal(user);
    expect((await h.call('GET', '/jobs', { token })).status).to.equal(200);
    expect(((await h.call('GET', '/jobs', { token })).body as { jobs: unknown[] }).jobs).to.have.length(1);
  });

  it('finishes the deletion of an account registered under the name while the deletion of the one before it was ending', async () => {
    await h.user('vic');
    const { storage } = h;
    const original = storage.delete.bind(storage);
    let next: string | null | undefined;
    storage.delete = async (namespace, key, version) => {
      const deleted = await original(namespace, key, version);
      if (namespace !== USERS_NS || key !== 'vic' || next !== undefined) return deleted;
      // The record is gone, so the name is free: a new account takes it, and its own deletion begins (a run answering
      // 202 leaves its marker for the server to take up) before the run deleting the first account has ended.
      const account = await h.server.users.createUser('vic', { email: 'vic@example.org', password: PASSWORD });
      next = account.accountId ?? null;
      await storage.put(DELETIONS_NS, 'vic', { accountId: next, startedAt: new Date().toISOString() });
      await h.server.users.beginDeletion('vic', account);
      return deleted;
    };
    try {
      expect((await remove('vic')).status).to.be.below(300);
    } finally {
      storage.delete = original;
    }
    expect(next).to.be.a('string');
    await gone('vic');
  });

  it('refuses to mark a user who is another account than the one a deletion names', async () => {
    await h.user('val');
    const other = { ...(await h.server.users.getUser('val'))!, accountId: 'an-earlier-account' };
    const refused = await h.server.users.beginDeletion('val', other).then(() => undefined, (error: { code?: string }) => error.code);
    expect(refused).to.equal('account_replaced');
    expect((await h.server.users.getUser('val'))?.deleting).to.equal(undefined);
  });
});

