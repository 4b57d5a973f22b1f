// Limits on open event streams: how many one user may hold on this server (each holds a socket, a feed subscription
// and a periodic credential check), and the check itself, which ends a stream soon after its credential stops
// working. Revocations live in shared storage, so every replica sees them on its next check without any signal.
import type { Logger } from '../../config/logger.ts';
import { NotFoundError, QuotaExceededError, UnauthorizedError } from '../../schemas/errors.ts';

export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perUser: number) {}

  /** Takes one of the user's slots, or refuses with 429; the returned function gives it back (once). */
  take(username: string): () => void {
    const held = this.open.get(username) ?? 0;
    if (held >= this.perUser) {
      throw new QuotaExceededError(`At most ${this.perUser} open event streams per user; close one first`, { limit: this.perUser });
    }
    this.open.set(username, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(username) ?? 1) - 1;
      if (left > 0) this.open.set(username, left);
      else this.open.delete(username);
    };
  }
}

/**
 * Runs `check` (which re-authenticates the stream's request) every `everyMs`; `end` is called with the refusal's code
 * once it fails with 401, or 404 (the credential works but what the stream follows is gone for it). Any other failure
 * (storage briefly down) keeps the stream: the next check decides.
 * Returns the stop function.
 */
export function watchCredential(check: () => Promise<unknown>, end: (code: string) => void, everyMs: number, log: Logger): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check()
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof UnauthorizedError || error instanceof NotFoundError) end(error.code);
          else log.warn({ err: error }, 'cannot re-check an event stream\'s credential; it stays open until the next check');
        },
      )
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  return () => clearInterval(timer);
}
