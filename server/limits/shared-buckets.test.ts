import { expect } from 'chai';
import { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { countingStore } from '../../test/support/counting-store.ts';
import { SharedBuckets } from './shared-buckets.ts';

const NAMESPACE = 'limits/rate/test';

/** Replicas of one bucket set, each with its own provider over one in-memory S3 bucket, on a clock the test moves. */
function replicas(count: number, options: { rate: number; burst: number }) {
  const bucket = new FakeObjects('rgw');
  const clock = { now: 1_000_000 };
  const stores = Array.from({ length: count }, () => countingStore(bucket));
  const buckets = stores.map((store) => new SharedBuckets(store.storage, { ...options, namespace: NAMESPACE, now: () => clock.now }));
  return { clock, stores, buckets, bucket };
}

const admitted = (waits: number[]) => waits.filter((wait) => wait === 0).length;

describe('shared token buckets', () => {
  it('admits one burst, not one per replica, when three replicas race for a key', async () => {
    const { buckets } = replicas(3, { rate: 10, burst: 30 });
    const waits = await Promise.all(Array.from({ length: 90 }, (_, i) => buckets[i % 3]!.take('k')));
    expect(admitted(waits)).to.be.at.most(30).and.at.least(24);
    expect(waits.filter((wait) => wait > 0)).to.satisfy((refused: number[]) => refused.every((wait) => wait === 1));
  });

  it('refills at the rate for all replicas together, and a replica started later finds the bucket as it was', async () => {
    const { clock, buckets, stores } = replicas(2, { rate: 10, burst: 10 });
    expect(admitted(await Promise.all(Array.from({ length: 20 }, (_, i) => buckets[i % 2]!.take('k'))))).to.be.within(8, 10);
    const restarted = new SharedBuckets(stores[0]!.storage, { rate: 10, burst: 10, namespace: NAMESPACE, now: () => clock.now });
    expect(await restarted.take('k'), 'a restart starts no fresh bucket').to.equal(1);
    let total = 0;
    for (let step = 0; step < 20; step += 1) {
      clock.now += 200;
      total += admitted(await Promise.all([buckets[1]!.take('k'), restarted.take('k'), buckets[1]!.take('k'), restarted.take('k')]));
    }
    // 4 s at 10/s.
    expect(total).to.be.within(32, 40);
  });

  it('admits no more when one replica\'s clock runs an hour ahead, and the others still refill through it', async () => {
    const { clock, stores } = replicas(2, { rate: 10, burst: 10 });
    const options = { rate: 10, burst: 10, namespace: NAMESPACE };
    const fast = new SharedBuckets(stores[0]!.storage, { ...options, now: () => clock.now + 3600_000 });
    const slow = new SharedBuckets(stores[1]!.storage, { ...options, now: () => clock.now });
    let total = 0;
    let slowTotal = 0;
    for (let step = 0; step < 40; step += 1) {
      clock.now += 100;
      const [byFast, bySlow] = await Promise.all([fast, slow].map(async (replica) => admitted(await Promise.all(Array.from({ length: 5 }, () => replica.take('k'))))));
      total += byFast! + bySlow!;
      slowTotal += bySlow!;
    }
    // 4 s at 10/s after a burst of 10; each replica's clock refilling what the other wrote had admitted hundreds.
    expect(total, 'admitted across both replicas').to.be.within(40, 50);
    expect(slowTotal, 'admitted by the replica whose clock is behind').to.be.above(0);
  });

  it('writes the store at most once per admitted request, and about once per lease under load', async () => {
    const { buckets, stores } = replicas(1, { rate: 100, burst: 100 });
    expect(admitted(await Promise.all(Array.from({ length: 100 }, () => buckets[0]!.take('k'))))).to.equal(100);
    expect(stores[0]!.writes()).to.be.below(20);
  });

  it("takes a lease for every request waiting on it, so one credential's burst costs one store round trip, not one each", async () => {
    // At R = 10 a lease is one token; taken one round trip at a time, a store 300 ms away (S3 as the primary, under
    // load) admitted about 3 requests per second per replica and queued the rest for tens of seconds.
    const { buckets, stores } = replicas(1, { rate: 10, burst: 10 });
    expect(admitted(await Promise.all(Array.from({ length: 10 }, () => buckets[0]!.take('k'))))).to.equal(10);
    expect(stores[0]!.writes()).to.equal(1);
    const waits = await Promise.all(Array.from({ length: 5 }, () => buckets[0]!.take('k')));
    expect(waits, 'the emptied bucket refuses the rest').to.deep.equal([1, 1, 1, 1, 1]);
  });

  it('sweeps away the documents of refilled buckets, and a swept key starts full', async () => {
    const { clock, buckets, bucket } = replicas(1, { rate: 1, burst: 2 });
    await buckets[0]!.take('old');
    clock.now += 1500;
    await buckets[0]!.take('recent');
    expect(await buckets[0]!.sweep()).to.equal(1);
    expect(bucket.names().filter((name) => name.includes('limits/rate/test'))).to.have.length(1);
    const fresh = new SharedBuckets(countingStore(bucket).storage, { rate: 1, burst: 2, namespace: NAMESPACE, now: () => clock.now });
    expect([await fresh.take('old'), await fresh.take('old'), await fresh.take('old')]).to.deep.equal([0, 0, 1]);
  });
});
