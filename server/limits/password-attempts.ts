// Password checks and hashes cost scrypt's work each (tens of milliseconds of a thread-pool thread, 32 MiB), far
// more than any other request, so they have a budget of their own, on top of the request rate limit: per client
// address (one address cannot keep the thread pool busy) and, for checks of one account's password, per username
// (password guessing spread over many addresses). Counted in the shared store like the request rate limit.
//
// The per-username budget is open to anyone who knows the username: spent from any addresses, it would keep the owner
// from logging in at all. So an address the account logged in from lately (known-addresses.ts) does not spend it:
// attempts from there spend only that address's own budget, which strangers elsewhere cannot touch. Guessing gains
// little by it: an address becomes known only by a correct password, and an account has few known addresses.
import type { Logger } from '../../config/logger.ts';
import { RateLimitedError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { clientKey } from './client-address.ts';
import { KnownAddresses } from './known-addresses.ts';
import { keyDigest } from './limit-keys.ts';
import { SharedBuckets } from './shared-buckets.ts';

const NAMESPACES = { addresses: 'limits/password/addresses', usernames: 'limits/password/usernames' };
const SWEEP_EVERY_MS = 60_000;

export interface PasswordAttemptOptions {
  /** Attempts per minute per address and per account, all of them at once at most; 0 turns the budget off. */
  perMinute: number;
  /** The server's secret key (server/auth/server-key.ts), which addresses and usernames are hashed under (limit-keys.ts). */
  secretKey: string;
  /** Where a failure to remember a known address is reported (the login it follows succeeds all the same). */
  log: Logger;
  now?: () => number;
}

export interface PasswordAttempts {
  /**
   * Spends one attempt of the address and, when an account is named and the address is not one it logged in from
   * lately, of the account; RateLimitedError when used up.
   */
  charge(address: string, username?: string): Promise<void>;
  /** The account's password was right from this address: from now on its attempts from there spend no account budget. */
  loggedIn(address: string, username: string): Promise<void>;
  /** The account's password was changed from this address: the addresses that logged in with the old one are forgotten. */
  passwordChanged(address: string, username: string): Promise<void>;
  /** Stops the sweeps. */
  close(): void;
}

export function passwordAttempts(storage: StorageProvider, options: PasswordAttemptOptions): PasswordAttempts {
  const { perMinute, secretKey, log, now = Date.now } = options;
  if (perMinute <= 0) return { charge: async () => undefined, loggedIn: async () => undefined, passwordChanged: async () => undefined, close: () => undefined };
  const bucket = (namespace: string) => new SharedBuckets(storage, { rate: perMinute / 60, burst: perMinute, namespace, now });
  const addresses = bucket(NAMESPACES.addresses);
  const usernames = bucket(NAMESPACES.usernames);
  const known = new KnownAddresses(storage, secretKey, now);
  const digest = keyDigest(secretKey);
  // A failed sweep (storage outage) is tried again at the next one.
  const sweeps = setInterval(() => void Promise.all([addresses.sweep(), usernames.sweep(), known.sweep()]).catch(() => undefined), SWEEP_EVERY_MS);
  sweeps.unref();
  const spend = async (buckets: SharedBuckets, key: string) => {
    const wait = await buckets.take(digest(key));
    if (wait > 0) throw new RateLimitedError(wait);
  };
  const remember = (address: string, username: string, alone: boolean) =>
    known.remember(username, address, alone).catch((error: unknown) => log.warn({ err: error, user: username }, 'could not remember the address of a login'));
  return {
    async charge(address, username) {
      await spend(addresses, clientKey(address));
      if (username !== undefined && !(await known.has(username, address))) await spend(usernames, username.toLowerCase());
    },
    loggedIn: (address, username) => remember(address, username, false),
    passwordChanged: (address, username) => remember(address, username, true),
    close: () => clearInterval(sweeps),
  };
}
