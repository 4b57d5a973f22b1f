import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLogger } from '../../config/logger.ts';
import { RateLimitedError, StorageUnavailableError } from '../../schemas/errors.ts';
import { FakeObjects } from '../../storage/s3/fake-objects.ts';
import { countingStore } from '../../test/support/counting-store.ts';
import { passwordAttempts, type PasswordAttempts } from './password-attempts.ts';

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
  const make = (perMinute: number) =>
    passwordAttempts(countingStore(new FakeObjects('rgw')).storage, { perMinute, secretKey: 'k'.repeat(32), log: createLogger('silent'), now: () => clock.now });

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

  /** `count` attempts on `username`, each from an address of its own (a botnet): how many were refused. */
  const spread = async (attempts: PasswordAttempts, username: string, count: number, network: string) => {
    let refused = 0;
    for (let i = 0; i < count; i += 1) if (await refusal(attempts.charge(`${network}.${i}`, username))) refused += 1;
    return refused;
  };

  it('lets the owner in from an address the account logged in from, however much of the account budget strangers spent', async () => {
    const attempts = make(3);
    await attempts.loggedIn('192.0.2.10', 'hal');
    expect(await spread(attempts, 'hal', 10, '198.51.100'), 'strangers from new addresses').to.equal(7);
    expect(await refusal(attempts.charge('192.0.2.10', 'hal')), 'the owner').to.equal(undefined);
    expect(await refusal(attempts.charge('198.51.100.99', 'HAL')), 'yet another new address').to.be.instanceOf(RateLimitedError);
    attempts.close();
  });

  it('holds a known address to its own budget, and counts an IPv6 one by its /64', async () => {
    const attempts = make(3);
    await attempts.loggedIn('2001:db8:5:6::1', 'ida');
    for (const address of ['2001:db8:5:6::1', '2001:db8:5:6::2', '2001:db8:5:6:ffff::3']) expect(await refusal(attempts.charge(address, 'ida'))).to.equal(undefined);
    expect(await refusal(attempts.charge('2001:db8:5:6::4', 'ida')), 'the known /64 has spent its budget').to.be.instanceOf(RateLimitedError);
    expect(await refusal(attempts.charge('2001:db8:5:7::1', 'ida')), 'another /64 spends the account budget, still full').to.equal(undefined);
    attempts.close();
  });

  it('knows an address for the account that logged in from it only', async () => {
    const attempts = make(3);
    await attempts.loggedIn('192.0.2.20', 'jay');
    expect(await spread(attempts, 'kim', 3, '198.51.101'), 'strangers spend kim\'s budget').to.equal(0);
    expect(await refusal(attempts.charge('192.0.2.20', 'kim')), 'jay\'s address is new to kim').to.be.instanceOf(RateLimitedError);
    attempts.close();
  });

  it('forgets the other known addresses when the password is changed', async () => {
    const attempts = make(3);
    await attempts.loggedIn('192.0.2.30', 'lea');
    await attempts.passwordChanged('192.0.2.31', 'lea');
    expect(await spread(attempts, 'lea', 3, '198.51.102'), 'strangers spend lea\'s budget').to.equal(0);
    expect(await refusal(attempts.charge('192.0.2.31', 'lea')), 'where the password was changed').to.equal(undefined);
    expect(await refusal(attempts.charge('192.0.2.30', 'lea')), 'a login with the old password').to.be.instanceOf(RateLimitedError);
    attempts.close();
  });

  it('reports an address it could not remember, and the login it follows stands', async () => {
    const { storage } = countingStore(new FakeObjects('rgw'));
    const outage = new StorageUnavailableError('the store is down', 1);
    const failing = { ...storage, put: (...args: Parameters<typeof storage.put>) => (args[0] === 'limits/password/known' ? Promise.reject(outage) : storage.put(...args)) };
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    const attempts = passwordAttempts(failing, { perMinute: 3, secretKey: 'k'.repeat(32), log, now: () => clock.now });
    await attempts.loggedIn('192.0.2.40', 'max');
    expect(lines.join('')).to.include('could not remember the address of a login');
    attempts.close();
  });

  it('turns off at 0', async () => {
    const attempts = make(0);
    for (let i = 0; i < 100; i += 1) await attempts.charge('10.0.2.1', 'gus');
  });
});
