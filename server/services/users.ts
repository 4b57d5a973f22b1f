// Users, stored through the storage contract (`users/<username>`) so they live wherever the server's storage is:
// registration, login by password, profile and password changes, roles, disabling, and their API tokens.
import type { StorageProvider } from '../../storage/contract.ts';
import { ConflictError, ForbiddenError, InvalidKeyError, NotFoundError, RateLimitedError, UnauthorizedError } from '../../schemas/errors.ts';
import { MAX_PRIORITY } from '../../schemas/native.ts';
import { USERNAME_PATTERN } from '../../schemas/accounts.ts';
import type { NotifyChoices } from '../../schemas/notifications.ts';
import { hashPassword, verifyPassword, type PasswordHash } from '../auth/passwords.ts';
import { RevisionCache } from '../../storage/revision-cache.ts';
import { isSameAccount, newAccountId } from './accounts.ts';
import { leftoversOf } from './account-leftovers.ts';
import { confirms, newEmailCheck, resendWaitSeconds, type EmailCheck } from './email-checks.ts';
import { hashToken, isApiTokenShaped, TOKENS_NS, TokenStore, type TokenListing } from './tokens.ts';

export { hashToken, TOKENS_NS, type TokenRecord } from './tokens.ts';

export type Role = 'user' | 'admin';

export interface User {
  username: string;
  /** Made with the account and never changed: what its credentials are bound to (accounts.ts). Absent on older records. */
  accountId?: string;
  role: Role;
  disabled: boolean;
  /** Being erased (account-deletion.ts): disabled for good, and the name cannot be registered until it is gone. */
  deleting?: boolean;
  createdAt: string;
  updatedAt?: string;
  email?: string | null;
  /** False while the address is one the user set and has not confirmed (no job mails go to it); absent: confirmed. */
  emailVerified?: boolean;
  displayName?: string | null;
  /** Default notification choices for the user's jobs (server/notifications); `{email: ["DONE"]}` when absent. */
  notify?: NotifyChoices;
  /** Highest job priority the user may ask for; the configured default when absent. */
  maxPriority?: number;
  /** Fair-share weight of the user's jobs within a priority (storage/schedule.ts); 1 when absent. */
  weight?: number;
  /** JWTs issued before this instant are refused. */
  passwordChangedAt?: string;
}

interface UserRecord extends User {
  password?: PasswordHash;
  emailCheck?: EmailCheck;
}

export interface NewUser {
  role?: Role;
  email?: string;
  /** The address is the user's own word, to be confirmed (self-registration); an admin's is taken as it is. */
  emailUnconfirmed?: boolean;
  password?: string;
  maxPriority?: number;
}

export interface UserServiceOptions {
  /** scrypt cost for new hashes (N = 2^scryptLogN). */
  scryptLogN?: number;
  /** max_priority of users who have none set; admins may always use the highest. */
  defaultMaxPriority?: number;
}

const USERNAME = new RegExp(USERNAME_PATTERN);

/** Whether a name can be a user's: anything else names no record (and must never become part of a namespace). */
export function isUsername(name: unknown): name is string {
  return typeof name === 'string' && USERNAME.test(name);
}

export const USERS_NS = 'users';

function publicView({ password: _password, emailCheck: _emailCheck, ...user }: UserRecord): User {
  return user;
}

export class UserService {
  readonly tokens: TokenStore;
  /** Keyed by the token's hash: the secret itself is not kept beyond the request. */
  private readonly byToken: RevisionCache<User>;
  /** Asked after every submission (stands): a read of the record each time would cost the store one per job. */
  private readonly byName: RevisionCache<User>;
  private readonly scryptLogN: number;
  private readonly defaultMaxPriority: number;

  constructor(
    private readonly storage: StorageProvider,
    options: UserServiceOptions = {},
  ) {
    this.tokens = new TokenStore(storage);
    this.byToken = new RevisionCache(storage, [TOKENS_NS, USERS_NS]);
    this.byName = new RevisionCache(storage, [USERS_NS]);
    this.scryptLogN = options.scryptLogN ?? 15;
    this.defaultMaxPriority = options.defaultMaxPriority ?? 5;
  }

  async createUser(username: string, options: NewUser = {}): Promise<User> {
    if (!isUsername(username)) {
      throw new InvalidKeyError('Usernames are 1–64 characters: lower-case letters, digits, "_" and "-"');
    }
    await this.assertNameFree(username);
    const now = new Date().toISOString();
    const record: UserRecord = {
      username,
      accountId: newAccountId(),
      role: options.role ?? 'user',
      disabled: false,
      createdAt: now,
      updatedAt: now,
      email: options.email ?? null,
      ...(options.email !== undefined && options.emailUnconfirmed ? { emailVerified: false } : {}),
      ...(options.maxPriority === undefined ? {} : { maxPriority: options.maxPriority }),
      ...(options.password === undefined ? {} : { password: await hashPassword(options.password, this.scryptLogN), passwordChangedAt: now }),
    };
    try {
      await this.storage.put(USERS_NS, username, record, { ifAbsent: true });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      await this.assertNameFree(username);
      throw new ConflictError(`User ${username} already exists`, 'user_exists');
    }
    return publicView(record);
  }

  /**
   * Refuses a name that is taken, being deleted, or still holds what an earlier account of it left (one deleted by
   * hand): registered over those, the newcomer would inherit that account's jobs, webhooks and idempotency records.
   */
  private async assertNameFree(username: string): Promise<void> {
    const existing = await this.getUser(username);
    if (existing?.deleting) throw new ConflictError(`User ${username} is being deleted; try again once that is done`, 'user_deleting');
    if (existing) throw new ConflictError(`User ${username} already exists`, 'user_exists');
    const leftovers = await leftoversOf(this.storage, username);
    if (leftovers.length > 0) {
      throw new ConflictError(
        `An earlier account named ${username} left ${leftovers.join(', ')} behind; an admin must erase them first (qspool user delete ${username})`,
        'account_leftovers',
      );
    }
  }

  async getUser(username: string): Promise<User | undefined> {
    const record = await this.record(username);
    return record && publicView(record.value);
  }

  /** One page of users in name order. */
  async listUsers(options: { after?: string; limit?: number } = {}): Promise<User[]> {
    const names = await this.storage.list(USERS_NS, options);
    const records = await Promise.all(names.map((name) => this.record(name)));
    return records.flatMap((record) => (record ? [publicView(record.value)] : []));
  }

  /** The user whose password this is; UnauthorizedError otherwise, in the same time whether or not the user exists. */
  async login(username: string, password: string): Promise<User> {
    const record = await this.record(username);
    const ok = await verifyPassword(password, record?.value.password, this.scryptLogN);
    if (!ok || !record) throw new UnauthorizedError('Wrong username or password', 'invalid_credentials');
    if (record.value.disabled) throw new UnauthorizedError('This account is disabled', 'user_disabled');
    return publicView(record.value);
  }

  /**
   * The user's own changes: a new e-mail address is unconfirmed until they confirm it (confirmEmail), and
   * `emailCheckDue` says a code should be mailed to it. The same address again changes nothing.
   */
  async updateProfile(
    username: string,
    changes: { email?: string; displayName?: string; notify?: NotifyChoices },
  ): Promise<{ user: User; emailCheckDue: boolean }> {
    let emailCheckDue = false;
    const user = await this.update(username, (current) => {
      emailCheckDue = changes.email !== undefined && changes.email !== current.email;
      // A code sent to the old address confirms nothing about the new one.
      const { emailCheck: _old, ...rest } = current;
      return {
        ...(emailCheckDue ? { ...rest, email: changes.email, emailVerified: false } : current),
        ...(changes.displayName === undefined ? {} : { displayName: changes.displayName }),
        ...(changes.notify === undefined ? {} : { notify: changes.notify }),
      };
    });
    return { user, emailCheckDue };
  }

  /**
   * A new code for the user's unconfirmed address, replacing any earlier one: the address and the code to mail to it.
   * At most one a minute (429 otherwise).
   */
  async issueEmailCheck(username: string): Promise<{ address: string; code: string }> {
    let issued: { address: string; code: string } | undefined;
    await this.update(username, (user) => {
      if (!user.email) throw new ConflictError('Your profile has no e-mail address', 'no_email');
      if (user.emailVerified !== false) throw new ConflictError(`${user.email} is confirmed already`, 'email_confirmed');
      const wait = resendWaitSeconds(user.emailCheck);
      if (wait > 0) throw new RateLimitedError(wait);
      const { check, code } = newEmailCheck(user.email);
      issued = { address: user.email, code };
      return { ...user, emailCheck: check };
    });
    return issued!;
  }

  /** Confirms the user's address with the code mailed to it; 403 for a wrong, used or expired code. */
  async confirmEmail(username: string, code: string): Promise<User> {
    return this.update(username, ({ emailCheck, ...user }) => {
      if (user.emailVerified !== false) return { ...user };
      if (!confirms(emailCheck, code, user.email)) {
        throw new ForbiddenError('This code is wrong, used or expired, or your address changed since; ask for a new one', 'invalid_email_code');
      }
      return { ...user, emailVerified: true };
    });
  }

  /** An admin's word for the user's current address: job mails go to it from now on. */
  async vouchForEmail(username: string): Promise<User> {
    return this.update(username, ({ emailCheck: _emailCheck, ...user }) => ({ ...user, emailVerified: true }));
  }

  /** Checks the old password first; every JWT issued before the change stops working. */
  async changePassword(username: string, oldPassword: string, newPassword: string): Promise<User> {
    const record = await this.record(username);
    if (!record || !(await verifyPassword(oldPassword, record.value.password, this.scryptLogN))) {
      throw new ForbiddenError('The old password is wrong', 'wrong_password');
    }
    const password = await hashPassword(newPassword, this.scryptLogN);
    return this.update(username, (user) => ({ ...user, password, passwordChangedAt: new Date().toISOString() }));
  }

  async setDisabled(username: string, disabled: boolean): Promise<User> {
    // A user being deleted stays disabled: enabling them would let credentials pass half-way through the erasure.
    return this.update(username, (user) => ({ ...user, disabled: disabled || user.deleting === true }));
  }

  /**
   * Marks the user as being deleted, and disabled with it: from this write on, no credential of theirs passes and
   * nothing more is sent to them. Undefined when there is no record (an account erased by hand); with `target`,
   * ConflictError `account_replaced` when the record is now another account of the name.
   */
  async beginDeletion(username: string, target?: User): Promise<User | undefined> {
    if (!(await this.record(username))) return undefined;
    return this.update(username, (user) => {
      if (target && !isSameAccount(target, user)) throw new ConflictError(`User ${username} is another account than the one being deleted`, 'account_replaced');
      return { ...user, disabled: true, deleting: true };
    });
  }

  /** Whether the account is still there, the same one (not re-created under its name) and not being deleted. */
  async stands(account: User): Promise<boolean> {
    const current = await this.byName.get(account.username, () => this.getUser(account.username));
    return current !== undefined && !current.deleting && isSameAccount(account, current);
  }

  /** The last step of a deletion: the record of a user marked as being deleted (never of one who is not). */
  async removeDeleted(username: string): Promise<void> {
    const current = await this.record(username);
    if (current?.value.deleting) await this.storage.delete(USERS_NS, username, current.version);
  }

  async setRole(username: string, role: Role): Promise<User> {
    return this.update(username, (user) => ({ ...user, role }));
  }

  /** What an admin sets: the user's highest allowed priority and fair-share weight. */
  async setAllowances(username: string, changes: { maxPriority?: number; weight?: number }): Promise<User> {
    return this.update(username, (user) => ({
      ...user,
      ...(changes.maxPriority === undefined ? {} : { maxPriority: changes.maxPriority }),
      ...(changes.weight === undefined ? {} : { weight: changes.weight }),
    }));
  }

  maxPriority(user: User): number {
    return user.role === 'admin' ? MAX_PRIORITY : (user.maxPriority ?? this.defaultMaxPriority);
  }

  /** Creates a named API token: the secret, returned once and not recoverable later, and its listing. */
  async newToken(username: string, name = 'default'): Promise<{ token: string; listing: TokenListing }> {
    const user = await this.getUser(username);
    if (!user) throw new NotFoundError(`No user ${username}`);
    // Issued after the deletion erased the account's tokens, it would outlive the account.
    if (user.deleting) throw new ConflictError(`User ${username} is being deleted`, 'user_deleting');
    return this.tokens.issue(user, name);
  }

  /** The secret of a new named API token (newToken). */
  async issueToken(username: string, name = 'default'): Promise<string> {
    return (await this.newToken(username, name)).token;
  }

  /** The user behind a live API token, disabled or not; undefined for an unknown or revoked token. */
  async tokenUser(token: string): Promise<User | undefined> {
    if (!isApiTokenShaped(token)) return undefined;
    return this.byToken.get(hashToken(token), async () => {
      const owner = await this.tokens.owner(token);
      if (!owner) return undefined;
      const user = await this.getUser(owner.username);
      return user && isSameAccount(owner, user) ? user : undefined;
    });
  }

  /** The active user behind an API token, or undefined (unknown or revoked token, disabled user). */
  async authenticate(token: string): Promise<User | undefined> {
    const user = await this.tokenUser(token);
    return user && !user.disabled ? user : undefined;
  }

  /** The user, created on first use, with a fresh token: what `npm start` prints for its demo user. */
  async ensureUserWithToken(username: string, role: Role = 'user'): Promise<{ user: User; token: string }> {
    const user = (await this.getUser(username)) ?? (await this.createUser(username, { role }));
    return { user, token: await this.issueToken(username, 'quick-start') };
  }

  private async record(username: string) {
    if (!isUsername(username)) return undefined;
    return this.storage.get<UserRecord>(USERS_NS, username);
  }

  /** Compare-and-swap loop, so concurrent profile, password and disable changes never overwrite each other. */
  private async update(username: string, change: (user: UserRecord) => UserRecord): Promise<User> {
    for (;;) {
      const current = await this.record(username);
      if (!current) throw new NotFoundError(`No user ${username}`);
      const next = { ...change(current.value), updatedAt: new Date().toISOString() };
      try {
        await this.storage.replace(USERS_NS, username, next, current.version);
        return publicView(next);
      } catch (error) {
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
    }
  }
}
