// Riding out a store that answers unavailable: backoff with jitter, and writes asked again while they are worth it.
import type { Logger } from '../config/logger.ts';
import { QspoolError } from '../schemas/errors.ts';

/** Exponential backoff with jitter after `failures` failures in a row, so spoolers do not retry in lockstep. */
export function backoff(pollMs: number, failures: number): number {
  return Math.min(30_000, pollMs * 2 ** failures) * (0.5 + Math.random() / 2);
}

/**
 * Runs `write` until it succeeds, asking again with backoff while storage answers unavailable (503) and `worthIt`
 * says another try (after that delay) is; any other failure, or an abort of `signal`, ends it.
 */
export async function retryUnavailable<T>(
  log: Logger,
  message: string,
  write: () => Promise<T>,
  { pollMs, signal, worthIt }: { pollMs: number; signal?: AbortSignal; worthIt: (delay: number) => boolean },
): Promise<T> {
  for (let failures = 1; ; failures += 1) {
    try {
      return await write();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const delay = backoff(pollMs, failures);
      if (!(error instanceof QspoolError && error.status === 503) || !worthIt(delay)) throw error;
      log.warn({ err: error, retryInMs: Math.round(delay) }, message);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        signal?.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
      });
      if (signal?.aborted) throw signal.reason;
    }
  }
}
