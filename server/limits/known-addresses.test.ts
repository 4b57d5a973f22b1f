import { expect } from 'chai';
import { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { countingStore } from '../../test/support/counting-store.ts';
import { KNOWN_FOR_MS, KnownAddresses, MAX_KNOWN } from './known-addresses.ts';

describe('known addresses', () => {
  const clock = { now: 1_000_000 };
  const make = (bucket = new FakeObjects('rgw'), secretKey = 's'.repeat(32)) => new KnownAddresses(countingStore(bucket).storage, secretKey, () => clock.now);

  it('keeps an account\'s latest logins\' addresses, the oldest dropped beyond the cap', async () => {
    const known = make();
    for (let i = 0; i <= MAX_KNOWN; i += 1) {
      await known.remember('mia', `10.1.0.${i}`);
      clock.now += 1000;
    }
    expect(await known.has('mia', '10.1.0.0'), 'the oldest').to.equal(false);
    for (let i = 1; i <= MAX_KNOWN; i += 1) expect(await known.has('mia', `10.1.0.${i}`), `10.1.0.${i}`).to.equal(true);
  });

  it('forgets an address 30 days after its latest login, and a login renews it', async () => {
    const known = make();
    await known.remember('ned', '10.2.0.1');
    await known.remember('ned', '10.2.0.2');
    clock.now += KNOWN_FOR_MS - 1000;
    await known.remember('ned', '10.2.0.2');
    clock.now += 2000;
    expect(await known.has('ned', '10.2.0.1')).to.equal(false);
    expect(await known.has('ned', '10.2.0.2')).to.equal(true);
  });

  it('stores neither usernames nor addresses, only hashes keyed by the server\'s secret', async () => {
    const bucket = new FakeObjects('rgw');
    await make(bucket).remember('oscar', '203.0.113.77');
    const stored = JSON.stringify([...bucket.objects]);
    expect(stored).to.not.include('oscar').and.to.not.include('203.0.113.77');
    expect(await make(bucket).has('oscar', '203.0.113.77')).to.equal(true);
    expect(await make(bucket, 't'.repeat(32)).has('oscar', '203.0.113.77'), 'under another key').to.equal(false);
  });

  it('sweeps away the documents of accounts whose addresses have all expired', async () => {
    const bucket = new FakeObjects('rgw');
    const known = make(bucket);
    await known.remember('pat', '10.3.0.1');
    clock.now += KNOWN_FOR_MS / 2;
    await known.remember('quinn', '10.3.0.2');
    expect(await known.sweep()).to.equal(0);
    clock.now += KNOWN_FOR_MS / 2;
    expect(await known.sweep()).to.equal(1);
    expect(await known.has('quinn', '10.3.0.2')).to.equal(true);
    expect(bucket.objects.size).to.equal(1);
  });
});
