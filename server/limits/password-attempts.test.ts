import { expect } from 'chai';
import { RateLimitedError } from '../../schemas/errors.ts';
import { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { countingStore } from '../../test/support/counting-store.ts';
import { passwordAttempts } from './password-attempts.ts';

async function refusal(attempt: Promise<void>): Promise<RateLimitedError | undefined> {
  return attempt.then(
    () => undefined,
    (error: unknown) => {
      expect(error).to.be.instanceOf(RateLimitedError);
      return error as RateLimitedError;
    },
  );
}

describe('password attempts', () => {
  const clock = { now: 1_000_000 };
  const make = (perMinute: number) => passwordAttempts(countingStore(new FakeObjects('rgw')).storage, perMinute, () => clock.now);

  it('gives an address its budget per minute, whichever accounts it tries', async () => {
    const attempts = make(3);
    for (const username of ['ann', 'ben', 'cat']) expect(await refusal(attempts.charge('10.0.0.1', username))).to.equal(undefined);
    const refused = await refusal(attempts.charge('10.0.0.1', 'dan'));
    expect(refused?.retryAfterSeconds).to.be.at.least(1);
    expect(await refusal(attempts.charge('10.0.0.2', 'dan')), 'another address').to.equal(undefined);
    attempts.close();
  });

  it('gives an account its budget whichever addresses the attempts come from, in any letter case', async () => {
    const attempts = make(3);
    for (const address of ['10.0.1.1', '10.0.1.2', '10.0.1.3']) expect(await refusal(attempts.charge(address, 'eve'))).to.equal(undefined);
    expect(await refusal(attempts.charge('10.0.1.4', 'EVE'))).to.be.instanceOf(RateLimitedError);
    expect(await refusal(attempts.charge('10.0.1.4', 'fay')), 'another account').to.equal(undefined);
    clock.now += 60_000;
    expect(await refusal(attempts.charge('10.0.1.5', 'eve')), 'a minute later').to.equal(undefined);
    attempts.close();
  });

  it('turns off at 0', async () => {
    const attempts = make(0);
    for (let i = 0; i < 100; i += 1) await attempts.charge('10.0.2.1', 'gus');
  });
});
