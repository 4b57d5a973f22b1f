import { expect } from 'chai';
import { QuotaExceededError } from '../../schemas/errors.ts';
import { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { countingStore } from '../../test/support/counting-store.ts';
import type { JobIndex } from './job-index.ts';
import { QueueQuota } from './queue-quota.ts';

/** The user's queue as the job index counts it (set by the test), counting how often it is asked. */
function fakeIndex(queued: { n: number; fail?: boolean }) {
  const asked = { times: 0 };
  const index = {
    countQueued: async (_owner: string, stopAt: number) => {
      asked.times += 1;
      await new Promise((resolve) => setImmediate(resolve));
      if (queued.fail) throw new Error('storage down');
      return Math.min(queued.n, stopAt);
    },
  } as unknown as JobIndex;
  return { index, asked };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Submits through `quota`; an admitted job is queued (indexed) at once. Resolves whether it was admitted. */
async function submit(quota: QueueQuota, queued: { n: number }, owner = 'ada'): Promise<boolean> {
  const error = await refusal(quota.assertRoom(owner));
  if (error && !(error instanceof QuotaExceededError)) throw error;
  if (!error) queued.n += 1;
  return !error;
}

describe('queue quota', () => {
  it('admits exactly the limit when three replicas race for one user on one store', async () => {
    const bucket = new FakeObjects('aws');
    const queued = { n: 0 };
    const replicas = [0, 1, 2].map(() => new QueueQuota(countingStore(bucket).storage, fakeIndex(queued).index, 20));
    const answers = await Promise.all(Array.from({ length: 90 }, (_, i) => submit(replicas[i % 3]!, queued)));
    expect(answers.filter(Boolean)).to.have.length(20);
    expect(queued.n).to.equal(20);
  });

  it('neither resets nor doubles the quota when a replica restarts', async () => {
    const bucket = new FakeObjects('aws');
    const queued = { n: 0 };
    const index = fakeIndex(queued).index;
    const before = new QueueQuota(countingStore(bucket).storage, index, 10);
    for (let i = 0; i < 6; i += 1) expect(await submit(before, queued)).to.equal(true);
    // The restarted replica and another one, racing.
    const restarted = new QueueQuota(countingStore(bucket).storage, index, 10);
    const other = new QueueQuota(countingStore(bucket).storage, index, 10);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i % 2 ? restarted : other, queued)));
    expect(answers.filter(Boolean)).to.have.length(4);
  });

  it('makes room at once for jobs that left the queue when the replica that counted last has a clock an hour ahead', async () => {
    const bucket = new FakeObjects('aws');
    const queued = { n: 0 };
    const { index } = fakeIndex(queued);
    const ahead = new QueueQuota(countingStore(bucket).storage, index, 5, () => Date.now() + 3600_000);
    const other = new QueueQuota(countingStore(bucket).storage, index, 5);
    for (let i = 0; i < 5; i += 1) expect(await submit(ahead, queued)).to.equal(true);
    expect(await submit(ahead, queued), 'past the limit').to.equal(false);
    queued.n = 0;
    expect(await submit(other, queued), 'after the queue emptied').to.equal(true);
    expect(await submit(ahead, queued), 'and on the replica ahead').to.equal(true);
  });

  it('counts the queue once for a burst and writes the store far less than once per submission', async () => {
    const queued = { n: 0 };
    const { index, asked } = fakeIndex(queued);
    const store = countingStore(new FakeObjects('aws'));
    const quota = new QueueQuota(store.storage, index, 1_000_000);
    for (let i = 0; i < 200; i += 1) expect(await submit(quota, queued)).to.equal(true);
    expect(asked.times).to.equal(1);
    expect(store.writes()).to.be.at.most(10);
  });

  it('checks a fresh count before refusing, so jobs that left the queue make room at once', async () => {
    const queued = { n: 0 };
    const { index } = fakeIndex(queued);
    const quota = new QueueQuota(countingStore(new FakeObjects('aws')).storage, index, 5);
    for (let i = 0; i < 5; i += 1) expect(await submit(quota, queued)).to.equal(true);
    expect(await submit(quota, queued)).to.equal(false);
    queued.n = 4;
    expect(await submit(quota, queued)).to.equal(true);
    expect(await submit(quota, queued)).to.equal(false);
  });

  it('counts again after a while once a quarter of the limit is left, and never keeps a count that failed', async () => {
    let clock = 0;
    const queued = { n: 700, fail: true };
    const { index, asked } = fakeIndex(queued);
    const quota = new QueueQuota(countingStore(new FakeObjects('aws')).storage, index, 1000, () => clock);
    expect(await refusal(quota.assertRoom('cy'))).to.be.instanceOf(Error);
    queued.fail = false;
    await quota.assertRoom('cy');
    await quota.assertRoom('cy');
    expect(asked.times).to.equal(2);
    clock += 2000;
    await quota.assertRoom('cy');
    expect(asked.times).to.equal(2);
    queued.n = 800;
    clock += 2000;
    // 800 counted + the slots granted since: under a quarter of 1000 left, so the count is renewed.
    await quota.assertRoom('cy');
    await quota.assertRoom('cy');
    expect(asked.times).to.equal(3);
  });

  it('never counts the queue of a user far from the limit, however long they submit', async () => {
    let clock = 0;
    const queued = { n: 0 };
    const { index, asked } = fakeIndex(queued);
    const quota = new QueueQuota(countingStore(new FakeObjects('aws')).storage, index, 100_000, () => clock);
    for (let i = 0; i < 300; i += 1) {
      clock += 100;
      expect(await submit(quota, queued)).to.equal(true);
    }
    expect(asked.times).to.equal(1);
  });
});
