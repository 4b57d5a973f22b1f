import { expect } from 'chai';
import { LeaseWitness } from './lease-witness.ts';

describe('LeaseWitness', () => {
  let now: number;
  let witness: LeaseWitness;
  const lease = (expiresAt: number, token = 1) => ({ holder: 'h', token, expiresAt });
  const look = (id: string, seen: ReturnType<typeof lease> | undefined, backend = 'b') => witness.unchangedForALease(backend, id, seen);

  beforeEach(() => {
    now = 0;
    witness = new LeaseWitness(1000, () => now);
  });

  it('agrees only once the same lease has been in sight for a whole lease of its own clock', async () => {
    await witness.sweep('b', async () => expect(look('j', lease(5))).to.equal(false));
    now = 999;
    await witness.sweep('b', async () => expect(look('j', lease(5))).to.equal(false));
    now = 1000;
    await witness.sweep('b', async () => expect(look('j', lease(5))).to.equal(true));
  });

  it('starts over when the lease changes: a renewal, a new attempt, a lease gone', async () => {
    look('j', lease(5));
    now = 900;
    expect(look('j', lease(6))).to.equal(false);
    now = 1800;
    expect(look('j', lease(6, 2))).to.equal(false);
    now = 2700;
    expect(look('j', undefined)).to.equal(false);
    now = 3700;
    expect(look('j', undefined)).to.equal(true);
  });

  it('forgets a job a whole sweep of its backend passed over, and only that backend\'s', async () => {
    await witness.sweep('b', async () => {
      look('gone', lease(5));
      look('kept', lease(5));
      look('other', lease(5), 'c');
    });
    now = 1000;
    await witness.sweep('b', async () => look('kept', lease(5)));
    expect(look('gone', lease(5))).to.equal(false);
    expect(look('kept', lease(5))).to.equal(true);
    expect(look('other', lease(5), 'c')).to.equal(true);
  });

  it('forgets nothing when a sweep fails', async () => {
    look('j', lease(5));
    now = 1000;
    await witness.sweep('b', () => Promise.reject(new Error('store down'))).catch(() => undefined);
    expect(look('j', lease(5))).to.equal(true);
  });
});
