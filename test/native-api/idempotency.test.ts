// The idempotency store on its own, with a clock under test control: a request that died between reserving its key
// and enqueueing is completed by a later replay under the reserved id; a live one is waited for, then answered 409;
// old keys expire.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../../schemas/errors.ts';
import { IdempotencyStore } from '../../server/services/idempotency.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import type { JobRecord } from '../../storage/records.ts';
import { eventually } from '../support/system.ts';

describe('idempotent submission (IdempotencyStore)', () => {
  let root: string;
  let storage: LocalProvider;
  let lifecycle: JobLifecycle;
  let clock: number;
  let store: IdempotencyStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-idem-'));
    storage = new LocalProvider({ root, fsync: false });
    lifecycle = new JobLifecycle(storage);
    clock = Date.now();
    // A short wait for a live holder: these tests hold the key on purpose and check the 409 that follows the wait.
    store = new IdempotencyStore(storage, () => clock, { waitForHolderMs: 100 });
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  const create = (id?: string) => lifecycle.enqueue({ backend: 'b', owner: 'alice', payload: {}, ...(id ? { id } : {}) });
  const find = async (id: string) => (await lifecycle.find('b', id))?.value;
  const run = (key: string, request: unknown, make: (id: string) => Promise<JobRecord> = create) => store.run('alice', key, request, make, find);

  it('finishes, on replay, a submission whose first request died after reserving the key', async () => {
    // A crash (rather than an error) leaves the reservation in place: a create that never finishes stands for it.
    let reserved = '';
    void run('k2', { n: 1 }, (id) => {
      reserved = id;
      return new Promise<JobRecord>(() => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const early = await run('k2', { n: 1 }).catch((error: unknown) => error);
    expect(early).to.be.instanceOf(ConflictError).with.property('code', 'idempotency_in_progress');
    clock += 31_000;
    const completed = await run('k2', { n: 1 });
    expect([completed.replayed, completed.job.id]).to.deep.equal([false, reserved]);
    const again = await run('k2', { n: 1 });
    expect([again.replayed, again.job.id]).to.deep.equal([true, reserved]);
  });

  it('answers 409 at once to a key reserved seconds ago and never finished (a dead server\'s), without waiting for it', async () => {
    const waiting = new IdempotencyStore(storage, () => clock);
    void waiting.run('alice', 'dead', { n: 1 }, () => new Promise<JobRecord>(() => undefined), find);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock += 6_000;
    const started = Date.now();
    const answer = await waiting.run('alice', 'dead', { n: 1 }, create, find).catch((error: unknown) => error);
    expect(answer).to.be.instanceOf(ConflictError).with.property('code', 'idempotency_in_progress');
    expect(Date.now() - started).to.be.below(1000);
  });

  it('keeps the key of a request that took over a slow one when the slow one then fails, and answers it with that job', async () => {
    // The first request is still enqueueing past ABANDONED_MS (a slow store); a retry takes its reservation over.
    const failures: ((error: unknown) => void)[] = [];
    let reserved = '';
    const slowCreate = (id: string) => {
      reserved = id;
      return new Promise<JobRecord>((_resolve, reject) => failures.push(reject));
    };
    const slow = run('k', { n: 1 }, slowCreate).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock += 31_000;
    const takeover = await run('k', { n: 1 });
    expect(takeover.job.id).to.equal(reserved);
    // The slow request's enqueue under the same id now meets the job the takeover made.
    failures[0]!(await create(reserved).catch((error: unknown) => error));
    const answered = (await slow) as { job?: JobRecord };
    expect(answered.job?.id).to.equal(reserved);
    const again = await run('k', { n: 1 });
    expect([again.replayed, again.job.id]).to.deep.equal([true, reserved]);

    // Failing for some other reason (storage trouble) while the taker is still at work, it must not free the taker's key.
    const other = run('k2', { n: 1 }, slowCreate).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock += 31_000;
    void run('k2', { n: 1 }, slowCreate);
    await new Promise((resolve) => setTimeout(resolve, 20));
    failures[1]!(new Error('storage trouble'));
    expect(await other).to.be.instanceOf(Error).with.property('message', 'storage trouble');
    const third = await run('k2', { n: 1 }).catch((error: unknown) => error);
    expect(third).to.be.instanceOf(ConflictError).with.property('code', 'idempotency_in_progress');
  });

  it('keeps renewing the reservation of a request still enqueueing, so a retry waits for it instead of taking it over', async () => {
    // A slow store: the enqueue outlasts ABANDONED_MS. Renewals every 20 ms here (ABANDONED_MS / 3 by default).
    const renewing = new IdempotencyStore(storage, () => clock, { renewEveryMs: 20, waitForHolderMs: 100 });
    let finishSlow: (() => void) | undefined;
    let reserved = '';
    const slow = renewing.run('alice', 'slow', { n: 1 }, (id) => {
      reserved = id;
      return new Promise<JobRecord>((resolve) => (finishSlow = () => void create(id).then(resolve)));
    }, find);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock += 31_000;
    const namespace = 'idempotency/alice';
    await eventually(async () => {
      const keys = await storage.list(namespace);
      const record = keys[0] === undefined ? undefined : await storage.get<{ createdAt: string }>(namespace, keys[0]);
      return record && Date.parse(record.value.createdAt) === clock ? true : undefined;
    });
    const retry = await renewing.run('alice', 'slow', { n: 1 }, create, find).catch((error: unknown) => error);
    expect(retry).to.be.instanceOf(ConflictError).with.property('code', 'idempotency_in_progress');
    finishSlow!();
    expect((await slow).job.id).to.equal(reserved);
    const replay = await renewing.run('alice', 'slow', { n: 1 }, create, find);
    expect([replay.replayed, replay.job.id]).to.deep.equal([true, reserved]);
    expect(await lifecycle.listQueued('b')).to.have.length(1);
  });

  it('replays a request whose members come in another order, nested ones too: a JSON object has no order', async () => {
    const first = await run('k', { backend: 'b', body: { payload: { experiment_0: { shots: 1, num_wires: 1 } }, priority: 1 } });
    const again = await run('k', { body: { priority: 1, payload: { experiment_0: { num_wires: 1, shots: 1 } } }, backend: 'b' });
    expect(again.replayed).to.equal(true);
    expect(again.job.id).to.equal(first.job.id);
    const other = await run('k', { backend: 'b', body: { payload: { experiment_0: { shots: 2, num_wires: 1 } }, priority: 1 } }).catch((error: unknown) => error);
    expect(other).to.be.instanceOf(ConflictError);
  });

  it('frees the key when the first request fails, and forgets keys after 24 hours', async () => {
    await run('k', { n: 1 }, () => Promise.reject(new Error('quota'))).catch(() => undefined);
    const first = await run('k', { n: 2 });
    expect(first.replayed).to.equal(false);
    clock += 25 * 3600_000;
    const later = await run('k', { n: 3 });
    expect(later.replayed).to.equal(false);
    expect(later.job.id).to.not.equal(first.job.id);
  });
});
