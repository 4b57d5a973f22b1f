// Users and their API tokens, stored through the storage contract. Tokens are 32 hex characters (qlued's
// format); only their SHA-256 is stored, so reading storage does not reveal a usable credential.
import { createHash, randomBytes } from 'node:crypto';
import type { StorageProvider } from '../../storage/contract.ts';
import { ConflictError, InvalidKeyError } from '../../schemas/errors.ts';

export type Role = 'user' | 'admin';

export interface User {
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

export interface TokenRecord {
  username: string;
  name: string;
  createdAt: string;
  revoked: boolean;
}

const USERNAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const TOKEN = /^[0-9a-f]{32}$/;

export const USERS_NS = 'users';
export const TOKENS_NS = 'tokens';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class UserService {
  constructor(private readonly storage: StorageProvider) {}

  async createUser(username: string, role: Role = 'user'): Promise<User> {
    if (!USERNAME.test(username)) {
      throw new InvalidKeyError('Usernames are 1–64 characters: lower-case letters, digits, "_", "." and "-"');
    }
    const user: User = { username, role, disabled: false, createdAt: new Date().toISOString() };
    try {
      await this.storage.put(USERS_NS, username, user, { ifAbsent: true });
    } catch (error) {
      if (error instanceof ConflictError) throw new ConflictError(`User ${username} already exists`, 'user_exists');
      throw error;
    }
    return user;
  }

  async getUser(username: string): Promise<User | undefined> {
    if (!USERNAME.test(username)) return undefined;
    return (await this.storage.get<User>(USERS_NS, username))?.value;
  }

  /** Creates a named API token and returns it; it is shown once and cannot be recovered later. */
  async issueToken(username: string, name = 'default'): Promise<string> {
    const token = randomBytes(16).toString('hex');
    const record: TokenRecord = { username, name, createdAt: new Date().toISOString(), revoked: false };
    await this.storage.put(TOKENS_NS, hashToken(token), record, { ifAbsent: true });
    return token;
  }

  /** The active user behind a token, or undefined (unknown or revoked token, disabled user). */
  async authenticate(token: string): Promise<User | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const record = (await this.storage.get<TokenRecord>(TOKENS_NS, hashToken(token)))?.value;
    if (!record || record.revoked) return undefined;
    const user = await this.getUser(record.username);
    return user && !user.disabled ? user : undefined;
  }

  /** The user, created on first use, with a fresh token: what `npm start` prints for its demo user. */
  async ensureUserWithToken(username: string, role: Role = 'user'): Promise<{ user: User; token: string }> {
    const user = (await this.getUser(username)) ?? (await this.createUser(username, role));
    return { user, token: await this.issueToken(username, 'quick-start') };
  }
}
