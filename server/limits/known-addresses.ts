// The client addresses each account logged in from lately, so that password attempts from them need not share the
// account's budget with strangers (password-attempts.ts). Only a correct password adds one, so no stranger can add
// theirs or push the owner's out. One document per account in the shared store, every replica's logins in it.
//
// Where someone logs in from is personal, and kept for weeks: the store holds neither the username nor the address,
// only keyed hashes of them (HMAC under the server's secret key), so whoever reads the store alone cannot test
// candidate addresses (2^32 IPv4 ones are quickly tried against a plain hash) nor see that two accounts share one.
import type { StorageProvider } from '../../storage/contract.ts';
import { clientKey } from './client-address.ts';
import { keyDigest, type KeyDigest } from './limit-keys.ts';
import { NamespaceSweep } from './namespace-sweep.ts';
import { changeShared } from './shared-document.ts';

const NAMESPACE = 'limits/password/known';
/** How long a login keeps its address known. */
export const KNOWN_FOR_MS = 30 * 86_400_000;
/** Addresses known per account at most: each is a budget of its own, so together they stay few. */
export const MAX_KNOWN = 10;
/** A known address logging in again is written back at most this often (scripts log in many times a day). */
const REFRESH_MS = 86_400_000;

interface KnownDocument {
  /** Keyed hashes of (account, address), each with the time of its latest login (ms since the epoch). */
  addresses: { id: string; at: number }[];
}

export class KnownAddresses {
  private readonly sweeper: NamespaceSweep<KnownDocument>;
  private readonly digest: KeyDigest;

  constructor(
    private readonly storage: StorageProvider,
    secretKey: string,
    private readonly now: () => number,
  ) {
    this.sweeper = new NamespaceSweep(storage, NAMESPACE, (known) => this.current(known).length === 0);
    this.digest = keyDigest(secretKey);
  }

  private keyOf(username: string): string {
    return this.digest(`account\n${username.toLowerCase()}`);
  }

  private idOf(username: string, address: string): string {
    return this.digest(`address\n${username.toLowerCase()}\n${clientKey(address)}`);
  }

  /** The entries not yet expired, newest first. */
  private current(known: KnownDocument | undefined): KnownDocument['addresses'] {
    const since = this.now() - KNOWN_FOR_MS;
    return (known?.addresses ?? []).filter((entry) => entry.at > since).sort((a, b) => b.at - a.at);
  }

  /** Whether the account logged in from this address (its /64 for IPv6) within KNOWN_FOR_MS. */
  async has(username: string, address: string): Promise<boolean> {
    const found = await this.storage.get<KnownDocument>(NAMESPACE, this.keyOf(username));
    const id = this.idOf(username, address);
    return this.current(found?.value).some((entry) => entry.id === id);
  }

  /** Records a login from the address; `alone`: the others are forgotten (after a password change). */
  async remember(username: string, address: string, alone = false): Promise<void> {
    const id = this.idOf(username, address);
    await changeShared<KnownDocument, void>(this.storage, NAMESPACE, this.keyOf(username), (known) => {
      const at = this.now();
      const entries = alone ? [] : this.current(known);
      if (entries.some((entry) => entry.id === id && entry.at > at - REFRESH_MS)) return { result: undefined };
      const others = entries.filter((entry) => entry.id !== id);
      return { write: { addresses: [{ id, at }, ...others].slice(0, MAX_KNOWN) }, result: undefined };
    });
  }

  /** Forgets every address the account logged in from (the account is being deleted). */
  async forget(username: string): Promise<void> {
    await this.storage.delete(NAMESPACE, this.keyOf(username));
  }

  /** Deletes the documents of accounts whose addresses have all expired, a page at a time. */
  sweep(): Promise<number> {
    return this.sweeper.sweep();
  }
}
