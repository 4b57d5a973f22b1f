// Named API tokens: 32 hex characters (qlued's format, so qiskit and the v2/v3 routes accept them), shown once.
// `tokens/<sha256>` answers "whose token is this?" in one read and holds only the hash, so reading storage does
// not reveal a usable credential; `user-tokens/<user>/<id>` lists one user's tokens without scanning anyone else's.
// Both carry the owner's account id (accounts.ts): a token of an earlier account of the same name answers for no one.
import { createHash, randomBytes } from 'node:crypto';
import type { StorageProvider } from '../../storage/contract.ts';
import { ConflictError, NotFoundError, QuotaExceededError } from '../../schemas/errors.ts';
import { KeyedTurns } from '../limits/keyed-turns.ts';
import { accountIdOf, isSameAccount, type AccountRef } from './accounts.ts';

export interface TokenRecord {
  username: string;
  /** The owner's account id; absent on tokens of accounts made before ids. */
  accountId?: string;
  id: string;
  name: string;
  createdAt: string;
  revoked: boolean;
  revokedAt?: string;
}

/** The per-user listing entry; `hash` leads to the TokenRecord. */
export interface TokenListing extends Omit<TokenRecord, 'username'> {
  hash: string;
}

export const TOKENS_NS = 'tokens';
export const userTokensNs = (username: string) => `user-tokens/${username}`;

const TOKEN = /^[0-9a-f]{32}$/;
const TOKEN_ID = /^[0-9a-f]{12}$/;
/** Live tokens per user; a leaked-script loop cannot fill storage with them. */
export const MAX_TOKENS_PER_USER = 100;
/**
 * Revoked tokens a user's list keeps (the latest revoked), for the record. Without a bound, issuing and revoking in a
 * loop grew the list without end: 20,000 revoked made every issue read them all (140 ms) and GET /tokens 2.3 MB.
 */
export const MAX_REVOKED_KEPT = 100;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function isApiTokenShaped(value: string): boolean {
  return TOKEN.test(value);
}

export class TokenStore {
  private readonly turns = new KeyedTurns();

  constructor(private readonly storage: StorageProvider) {}

  /**
   * Creates a token; the secret is returned once and only its hash is kept. The live count taken before the write
   * let concurrent requests all pass it (200 at once made 200 of 100), so each counts again once its listing is
   * written and withdraws when over, before its credential exists: the last of any set of survivors to count saw all
   * of them, so replicas never exceed MAX_TOKENS_PER_USER. A user's requests to this process take turns.
   */
  issue(account: AccountRef, name: string): Promise<{ token: string; listing: TokenListing }> {
    return this.turns.run(account.username, () => this.issueNow(account, name));
  }

  private async issueNow(account: AccountRef, name: string): Promise<{ token: string; listing: TokenListing }> {
    const { username } = account;
    const full = () => new QuotaExceededError(`At most ${MAX_TOKENS_PER_USER} API tokens per user; revoke one first`, { limit: MAX_TOKENS_PER_USER });
    const live = async () => (await this.list(account)).filter((entry) => !entry.revoked).length;
    if ((await live()) >= MAX_TOKENS_PER_USER) throw full();
    const token = randomBytes(16).toString('hex');
    const listing: TokenListing = {
      id: randomBytes(6).toString('hex'),
      ...accountIdOf(account),
      name,
      createdAt: new Date().toISOString(),
      revoked: false,
      hash: hashToken(token),
    };
    const { hash, ...rest } = listing;
    // Listing first: a crash in between leaves a listed token that does not work, never a working one that
    // its owner cannot see or revoke.
    await this.storage.put(userTokensNs(username), listing.id, listing, { ifAbsent: true });
    if ((await live()) > MAX_TOKENS_PER_USER) {
      await this.storage.delete(userTokensNs(username), listing.id);
      throw full();
    }
    await this.storage.put(TOKENS_NS, hash, { ...rest, username } satisfies TokenRecord, { ifAbsent: true });
    return { token, listing };
  }

  /**
   * The account's tokens, oldest first. Listings under its name left by an earlier account of that name (its record
   * deleted by hand) neither show nor count. They are not deleted here: a caller authenticated just before the name
   * was re-created would take the new account's tokens for an earlier account's.
   */
  async list(account: AccountRef): Promise<TokenListing[]> {
    const { username } = account;
    const listings: TokenListing[] = [];
    for (let after: string | undefined; ; ) {
      const keys = await this.storage.list(userTokensNs(username), { limit: 500, ...(after ? { after } : {}) });
      const docs = await Promise.all(keys.map((key) => this.storage.get<TokenListing>(userTokensNs(username), key)));
      for (const doc of docs) if (doc && isSameAccount(doc.value, account)) listings.push(doc.value);
      if (keys.length < 500) return listings.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      after = keys[keys.length - 1];
    }
  }

  /** Revokes one of the account's tokens; NotFoundError for an id that is not its. Revoking twice is harmless. */
  async revoke(account: AccountRef, id: string): Promise<TokenListing> {
    const { username } = account;
    const found = TOKEN_ID.test(id) ? await this.storage.get<TokenListing>(userTokensNs(username), id) : undefined;
    if (!found || !isSameAccount(found.value, account)) throw new NotFoundError(`No API token ${id}`);
    if (found.value.revoked) return found.value;
    const revokedAt = new Date().toISOString();
    // The credential itself first: once this write lands the token no longer authenticates.
    const record = await this.storage.get<TokenRecord>(TOKENS_NS, found.value.hash);
    if (record) await this.storage.put(TOKENS_NS, found.value.hash, { ...record.value, revoked: true, revokedAt });
    const listing = { ...found.value, revoked: true, revokedAt };
    try {
      await this.storage.replace(userTokensNs(username), id, listing, found.version);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    await this.forgetOldRevoked(account);
    return listing;
  }

  /** Deletes the account's revoked tokens beyond the latest MAX_REVOKED_KEPT: a revoked one authenticates nobody either way. */
  private async forgetOldRevoked(account: AccountRef): Promise<void> {
    const revoked = (await this.list(account)).filter((entry) => entry.revoked);
    revoked.sort((a, b) => (b.revokedAt ?? '').localeCompare(a.revokedAt ?? ''));
    for (const old of revoked.slice(MAX_REVOKED_KEPT)) {
      // The credential record first: a crash in between leaves a listing of a token that works for no one.
      await this.storage.delete(TOKENS_NS, old.hash);
      await this.storage.delete(userTokensNs(account.username), old.id);
    }
  }

  /** The account a live token was issued to, or undefined. */
  async owner(token: string): Promise<AccountRef | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const record = (await this.storage.get<TokenRecord>(TOKENS_NS, hashToken(token)))?.value;
    return record && !record.revoked ? { username: record.username, ...accountIdOf(record) } : undefined;
  }
}
