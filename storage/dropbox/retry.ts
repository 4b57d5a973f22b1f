// What a failed Dropbox request means for the caller, and how long to wait before trying it again.
// Route errors (409) are answers, not failures; 429 and write-lock contention were refused before anything changed;
// 5xx and broken connections may or may not have been applied, so callers must treat a retry as ambiguous.
import { DropboxResponseError } from 'dropbox';

export interface RetryOptions {
  /** Tries per request (first one included) before StorageUnavailableError; default 6. */
  attempts?: number;
  /** First backoff after a 5xx or network failure; doubles per try (with jitter); default 200 ms. */
  baseDelayMs?: number;
  /** Longest backoff between two tries; default 5000 ms. */
  maxDelayMs?: number;
  /** A 429 asking to wait longer than this is not waited out but reported as unavailable; default 60 s. */
  maxRetryAfterSeconds?: number;
}

export type Failure =
  /** A documented route error (409): an answer for the caller to interpret by its summary. */
  | { kind: 'route'; summary: string }
  /** 401: the access token is expired, revoked or unknown. */
  | { kind: 'auth'; detail: string }
  /** Refused before it was applied (429, write-lock contention): wait and try again. */
  | { kind: 'refused'; detail: string; retryAfterSeconds: number }
  /** 5xx, reset, refused connection, timeout or a 409 internal_error: may have been applied. */
  | { kind: 'transient'; detail: string; retryAfterSeconds?: number }
  /** A request Dropbox cannot serve (400 and other statuses): a bug or misconfiguration, never retried. */
  | { kind: 'fatal'; detail: string };

function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

function headerSeconds(headers: unknown): number | undefined {
  const get = field(headers, 'get');
  if (typeof get !== 'function') return undefined;
  const raw: unknown = (get as (name: string) => unknown).call(headers, 'retry-after');
  // A missing header is null, which Number() would read as "retry at once".
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

const NETWORK_ERRORS = new Set(['AbortError', 'TimeoutError']);

/** Classifies an error thrown by an SDK call; errors that are not about the request itself are rethrown. */
export function classify(error: unknown): Failure {
  if (error instanceof DropboxResponseError) {
    const status = error.status;
    const body: unknown = error.error;
    const summary = field(body, 'error_summary');
    const detail = typeof summary === 'string' ? summary : `HTTP ${status}: ${String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 200)}`;
    if (status === 409 && typeof summary === 'string') {
      // Dropbox's namespace write lock: nothing was written, retry after a pause.
      if (/(^|\/)too_many_write_operations\//.test(summary)) return { kind: 'refused', detail, retryAfterSeconds: 1 };
      // move_v2's internal_error: "verify that the action you were taking succeeded, and if not, try again".
      if (summary.startsWith('internal_error/')) return { kind: 'transient', detail };
      return { kind: 'route', summary };
    }
    if (status === 401) return { kind: 'auth', detail };
    if (status === 429) {
      const seconds = field(body, 'error', 'retry_after');
      return { kind: 'refused', detail, retryAfterSeconds: typeof seconds === 'number' ? seconds : (headerSeconds(error.headers) ?? 1) };
    }
    if (status >= 500) return { kind: 'transient', detail, retryAfterSeconds: headerSeconds(error.headers) };
    return { kind: 'fatal', detail };
  }
  // undici reports refused/reset connections as TypeError('fetch failed') and a body cut short as 'terminated'.
  if (error instanceof TypeError && (error.message === 'fetch failed' || error.message === 'terminated')) {
    const cause = field(error, 'cause', 'code') ?? field(error, 'cause', 'message');
    return { kind: 'transient', detail: `network: ${String(cause ?? error.message)}` };
  }
  if (error instanceof Error && NETWORK_ERRORS.has(error.name)) return { kind: 'transient', detail: `network: ${error.name}` };
  throw error;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterSeconds: number;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, options.attempts ?? 6),
    baseDelayMs: options.baseDelayMs ?? 200,
    maxDelayMs: options.maxDelayMs ?? 5000,
    maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 60,
  };
}

/** Exponential backoff with "equal jitter": half the window fixed, half random, so racing clients spread out. */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return window / 2 + Math.random() * (window / 2);
}

/**
 * The wait before retrying an answer that named one (Retry-After, or 1 s for lock contention): at least that long,
 * plus up to as long again (at most maxDelayMs more). Writers refused together by Dropbox's namespace write lock
 * that all came back after the same second met the lock again, one getting through per round.
 */
export function spreadWait(policy: RetryPolicy, seconds: number): number {
  const ms = seconds * 1000;
  return ms + Math.random() * Math.min(ms, policy.maxDelayMs);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
