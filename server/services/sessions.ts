// Log-in sessions (access tokens, JWTs) ended before they expire: logging out writes `ended-sessions/<exp>-<jti>`, and
// every server on the store refuses that token from its very next request. Which user a session is, and whether it
// ended, is kept per session while the store's revision of `users` and `ended-sessions` is unchanged
// (storage/revision-cache.ts), so a request costs one revision read, as with API tokens, not a read of each document.
// Records sort by their token's expiry, so each log-out also deletes the oldest ones whose tokens can no longer be
// accepted anywhere: the namespace holds about one record per ended token still within its lifetime.
import { ConflictError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { ENDED_SESSIONS_NS } from '../../storage/namespaces.ts';
import { RevisionCache } from '../../storage/revision-cache.ts';
import { USERS_NS, type User, type UserService } from './users.ts';

/**
 * How long after its token's expiry a record is kept. `exp` comes from the clock of the server that issued the token,
 * each server judges it by its own, and a record a sweeper with a fast clock deleted early would make the token
 * valid again on a server whose clock is behind.
 */
export const SWEEP_MARGIN_MS = 3600_000;
/** Expired records deleted per log-out at most: more than one, so the namespace shrinks to its live records. */
const SWEEP_PAGE = 100;
/** Digits of `exp` in a key: seconds since the epoch for the next 30,000 years, sorted as text. */
const EXP_DIGITS = 12;
const JTI = /^[A-Za-z0-9_-]{1,64}$/;

/** What identifies one session: whose it is, its token's id and its token's expiry (seconds since the epoch). */
export interface SessionClaims {
  sub: string;
  jti: string;
  exp: number;
}

/** The session's user (undefined: no such user), or that it was ended. */
export type SessionState = { ended: true } | { ended: false; user: User | undefined };

/** Whether a token's claims name a session that can be ended: without an id or an expiry it could not be. */
export function isSessionClaims(claims: Partial<Record<keyof SessionClaims, unknown>>): claims is SessionClaims {
  const { sub, jti, exp } = claims;
  return typeof sub === 'string' && typeof jti === 'string' && JTI.test(jti) && Number.isSafeInteger(exp) && (exp as number) > 0 && String(exp).length <= EXP_DIGITS;
}

const keyOf = ({ jti, exp }: SessionClaims) => `${String(exp).padStart(EXP_DIGITS, '0')}-${jti}`;
const expiryOf = (key: string) => Number(key.slice(0, EXP_DIGITS)) * 1000;

export class Sessions {
  private readonly states: RevisionCache<SessionState>;

  constructor(
    private readonly storage: StorageProvider,
    private readonly users: UserService,
    private readonly now: () => number = Date.now,
  ) {
    this.states = new RevisionCache(storage, [USERS_NS, ENDED_SESSIONS_NS]);
  }

  /** Only sessions of tokens this server signed get here, so every answer, "ended" too, is worth keeping. */
  async state(claims: SessionClaims): Promise<SessionState> {
    const state = await this.states.get(`${claims.sub}\u0000${keyOf(claims)}`, async () => {
      const [ended, user] = await Promise.all([this.storage.get(ENDED_SESSIONS_NS, keyOf(claims)), this.users.getUser(claims.sub)]);
      return ended ? { ended: true } : { ended: false, user };
    });
    return state!;
  }

  /** Ends the session for every server on the store; ending it twice, or once its token expired, is harmless. */
  async end(claims: SessionClaims): Promise<void> {
    if (!this.expiredForGood(claims.exp * 1000)) {
      try {
        await this.storage.put(ENDED_SESSIONS_NS, keyOf(claims), { username: claims.sub, endedAt: new Date(this.now()).toISOString() }, { ifAbsent: true });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    // The session has ended by now: a sweep that fails (the store busy or down) must not report the log-out as failed.
    // What it could not delete, a later log-out deletes.
    await this.sweep().catch(() => undefined);
  }

  /** Deletes the records, oldest expiry first, of tokens expired more than SWEEP_MARGIN_MS ago; answers how many. */
  async sweep(): Promise<number> {
    const keys = await this.storage.list(ENDED_SESSIONS_NS, { limit: SWEEP_PAGE });
    const expired = keys.filter((key) => this.expiredForGood(expiryOf(key)));
    // Another server sweeping at once may delete some first: either way they are gone.
    await Promise.all(expired.map((key) => this.storage.delete(ENDED_SESSIONS_NS, key)));
    return expired.length;
  }

  private expiredForGood(expiresAt: number): boolean {
    return expiresAt + SWEEP_MARGIN_MS <= this.now();
  }
}
