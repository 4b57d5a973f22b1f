import { expect } from 'chai';
import { QuotaExceededError } from '../../schemas/errors.ts';
import type { JobIndex } from './job-index.ts';
import { QueueQuota } from './queue-quota.ts';

/** A job index whose queued count is set by the test, counting how often it is asked. */
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

describe('queue quota', () => {
  it('counts once for a burst of submissions and adds what this server enqueued since', async () => {
    const queued = { n: 2 };
    const { index, asked } = fakeIndex(queued);
    const quota = new QueueQuota(index, 5);
    await Promise.all(Array.from({ length: 10 }, () => quota.assertRoom('ada')));
    expect(asked.times).to.equal(1);
    quota.enqueued('ada');
    quota.enqueued('ada');
    await quota.assertRoom('ada');
    expect(asked.times).to.equal(1);
    // 2 counted + 2 since = 4 < 5; the third enqueue brings the reused figure to the limit.
    quota.enqueued('ada');
    queued.n = 5;
    expect(await refusal(quota.assertRoom('ada'))).to.be.instanceOf(QuotaExceededError);
    expect(asked.times).to.equal(2);
  });

  it('checks a fresh count before refusing, so jobs that left the queue make room at once', async () => {
    const queued = { n: 5 };
    const { index, asked } = fakeIndex(queued);
    const quota = new QueueQuota(index, 5);
    expect(await refusal(quota.assertRoom('bob'))).to.be.instanceOf(QuotaExceededError);
    queued.n = 4;
    await quota.assertRoom('bob');
    expect(asked.times).to.equal(2);
  });

  it('counts again after a while, and never reuses a count that failed', async () => {
    let clock = 0;
    const queued = { n: 0, fail: true };
    const { index, asked } = fakeIndex(queued);
    const quota = new QueueQuota(index, 5, () => clock);
    expect(await refusal(quota.assertRoom('cy'))).to.be.instanceOf(Error);
    queued.fail = false;
    await quota.assertRoom('cy');
    await quota.assertRoom('cy');
    expect(asked.times).to.equal(2);
    clock += 2000;
    await quota.assertRoom('cy');
    expect(asked.times).to.equal(3);
  });
});
