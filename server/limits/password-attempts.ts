// Password checks and hashes cost scrypt's work each (tens of milliseconds of a thread-pool thread, 32 MiB), far
// more than any other request, so they have a budget of their own, on top of the request rate limit: per client
// address (one address cannot keep the thread pool busy) and, for checks of one account's password, per username
// (password guessing spread over many addresses). Counted in the shared store like the request rate limit.
import { createHash } from 'node:crypto';
import { RateLimitedError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { clientKey } from './client-address.ts';
import { SharedBuckets } from './shared-buckets.ts';

const NAMESPACES = { addresses: 'limits/password/addresses', usernames: 'limits/password/usernames' };
const SWEEP_EVERY_MS = 60_000;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

export interface PasswordAttempts {
  /** Spends one attempt of the address (and of the account, when one is named); RateLimitedError when used up. */
  charge(address: string, username?: string): Promise<void>;
  /** Stops the sweeps. */
  close(): void;
}

/** `perMinute` attempts per address and per account, all of them at once at most; 0 turns the budget off. */
export function passwordAttempts(storage: StorageProvider, perMinute: number, now?: () => number): PasswordAttempts {
  if (perMinute <= 0) return { charge: async () => undefined, close: () => undefined };
  const bucket = (namespace: string) => new SharedBuckets(storage, { rate: perMinute / 60, burst: perMinute, namespace, now });
  const addresses = bucket(NAMESPACES.addresses);
  const usernames = bucket(NAMESPACES.usernames);
  // A failed sweep (storage outage) is tried again at the next one.
  const sweeps = setInterval(() => void Promise.all([addresses.sweep(), usernames.sweep()]).catch(() => undefined), SWEEP_EVERY_MS);
  sweeps.unref();
  const spend = async (buckets: SharedBuckets, key: string) => {
    const wait = await buckets.take(hash(key));
    if (wait > 0) throw new RateLimitedError(wait);
  };
  return {
    async charge(address, username) {
      await spend(addresses, clientKey(address));
      if (username !== undefined) await spend(usernames, username.toLowerCase());
    },
    close: () => clearInterval(sweeps),
  };
}
