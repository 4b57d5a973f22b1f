// When and how long the client waits before trying a call again: exponential backoff with full jitter (a crowd of
// clients that failed together does not come back together), or the wait the server's Retry-After asks for; and
// which failures are worth it, for which calls.
import { ApiError, ConnectionError, TimeoutError } from './errors.ts';

export interface RetryPolicy {
  /** Attempts after the first (0: none). */
  retries: number;
  /** The first backoff's ceiling; each further one doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  /** The longest wait; a Retry-After asking for more ends the retries at once (an earlier try would be refused). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * How a call may be repeated. `idempotent`: doing it twice does what doing it once does (a read, a cancel, a submission
 * with an Idempotency-Key), so it is retried even when its request reached the server and the answer was lost (a
 * reset, a timeout, a gateway's 502/504, a 503). `unsent`: only when the server surely did nothing (connection
 * refused, a rate limit).
 */
export type Repeat = 'idempotent' | 'unsent';

const GATEWAY_OR_UNAVAILABLE = new Set([502, 503, 504]);

/** Whether `error` is worth another try for a call of this kind. */
export function worthRetrying(error: unknown, repeat: Repeat): boolean {
  if (error instanceof ApiError) {
    // A quota is not a moment's trouble: retrying would only be refused again.
    if (error.status === 429) return error.code !== 'quota_exceeded';
    if (repeat !== 'idempotent') return false;
    // The same key's first request is still running (or died with the server, taken over 30 s later): it says "retry shortly".
    return GATEWAY_OR_UNAVAILABLE.has(error.status) || error.code === 'idempotency_in_progress';
  }
  if (error instanceof ConnectionError) return repeat === 'idempotent' || error.reason === 'ECONNREFUSED';
  return error instanceof TimeoutError && repeat === 'idempotent';
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from `now`; undefined for neither (or no header). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before retry number `attempt` (1 for the first retry), or undefined when the server asks for a longer wait
 * than the policy allows. `random` is Math.random in use; tests pass their own.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, retryAfter?: number, random = Math.random): number | undefined {
  if (retryAfter !== undefined) return retryAfter <= policy.maxDelayMs ? retryAfter : undefined;
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

/** Waits `ms`, or rejects with the signal's reason the moment it aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
