// Which account a credential belongs to. A username is not an identity: an operator may delete a user record by
// hand and the name be registered again. So each account gets a random id when it is made, kept in its record, and
// every credential issued to it (API tokens, their listings, access tokens) carries that id; a credential answers
// only for the account whose id it carries.
import { randomBytes } from 'node:crypto';

/** A user as credentials name them: the username, and the account's id (absent on accounts made before ids). */
export interface AccountRef {
  username: string;
  accountId?: string;
}

export function newAccountId(): string {
  return randomBytes(16).toString('hex');
}

/** The id to store on a credential issued to the account: none for an account that has none. */
export function accountIdOf(account: AccountRef): { accountId?: string } {
  return account.accountId === undefined ? {} : { accountId: account.accountId };
}

/**
 * Whether a credential belongs to the account. Records written before ids existed carry none on either side and
 * match each other, and only each other: every account made since has an id, so an old credential never answers
 * for a newer account of the same name, and no id is ever assigned afterwards that old credentials would have to
 * be trusted to share.
 */
export function isSameAccount(credential: { accountId?: string | undefined }, account: AccountRef): boolean {
  return credential.accountId === account.accountId;
}
