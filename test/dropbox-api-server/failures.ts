// Failure injection for the fake Dropbox server: scripted 409/429/500/503 answers, dropped or hung connections.
import { rateLimitReply, routeError } from './errors.ts';
import type { RateLimitReason } from './errors.ts';
import { textReply } from './http-util.ts';
import type { HttpReply } from './http-util.ts';

export interface FailureSpec {
  /** Route as in the URL without the /2/ prefix ("files/upload"), or "oauth2/token". Omit for any route. */
  route?: string;
  /**
   * 429/500/503: answer with that status. 409: the route error named by `tags`. 'reset': destroy the connection
   * without answering. 'hang': never answer (until the server stops), to exercise client timeouts.
   */
  status: 409 | 429 | 500 | 503 | 'reset' | 'hang';
  /**
   * 409 only: the error's tag path, e.g. ['internal_error'] (move_v2: "verify that the action you were taking
   * succeeded, and if not, try again") or ['path', 'too_many_write_operations'] (upload meeting the write lock).
   */
  tags?: string[];
  /** How many matching requests fail; default 1. */
  times?: number;
  /** Retry-After seconds for 429 (default 1) and, if given, for 503. */
  retryAfter?: number;
  /** RateLimitReason for 429; default too_many_requests. */
  reason?: RateLimitReason;
  /**
   * 429 only: a plain-text body instead of JSON, which Dropbox also sends (and which means too_many_requests);
   * the wait is then only in the Retry-After header.
   */
  plainText?: boolean;
  /**
   * true: perform the operation, then answer with the failure instead of the result, like a
   * response lost after Dropbox committed the change. Default false: fail before doing anything.
   */
  afterApply?: boolean;
}

interface ActiveFailure {
  spec: FailureSpec;
  remaining: number;
}

export class FailurePlan {
  private readonly active: ActiveFailure[] = [];

  add(spec: FailureSpec): void {
    this.active.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.active.length = 0;
  }

  /** Failures still queued (sum of remaining times). */
  get pending(): number {
    return this.active.reduce((n, f) => n + f.remaining, 0);
  }

  /** Takes one use of the first failure that matches this route and phase. */
  take(route: string, afterApply: boolean): FailureSpec | undefined {
    const index = this.active.findIndex(
      (f) => (f.spec.route === undefined || f.spec.route === route) && (f.spec.afterApply ?? false) === afterApply,
    );
    const found = this.active[index];
    if (!found) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) this.active.splice(index, 1);
    return found.spec;
  }
}

/** 'reset' and 'hang' act on the connection and have no HTTP answer. */
export function isConnectionFailure(spec: FailureSpec): boolean {
  return spec.status === 'reset' || spec.status === 'hang';
}

/** The HTTP answer for a 409/429/500/503 failure. */
export function failureReply(spec: FailureSpec): HttpReply {
  if (spec.status === 'reset' || spec.status === 'hang') throw new Error(`no HTTP reply for a '${spec.status}' failure`);
  if (spec.status === 409) return routeError(spec.tags ?? ['other']).reply;
  if (spec.status === 429 && spec.plainText) return textReply(429, 'Too Many Requests', { 'Retry-After': String(spec.retryAfter ?? 1) });
  if (spec.status === 429) return rateLimitReply(spec.reason ?? 'too_many_requests', spec.retryAfter ?? 1);
  const extra: Record<string, string> = spec.retryAfter === undefined ? {} : { 'Retry-After': String(spec.retryAfter) };
  // Dropbox's 5xx bodies are not JSON; the SDK then exposes the raw text as error.error.
  return spec.status === 500 ? textReply(500, 'Internal Server Error', extra) : textReply(503, 'Service Unavailable', extra);
}

/** Routes that change the namespace, and so take its write lock on Dropbox. */
const WRITE_ROUTES = new Set(['files/upload', 'files/delete_v2', 'files/move_v2', 'files/create_folder_v2']);

/**
 * Dropbox commits the writes to one namespace one at a time, and a write that meets another one's lock is refused
 * with 429 too_many_write_operations (its data ingress guide: "namespace lock contention"), applied nowhere. Here
 * each write holds the lock for `holdMs` from its arrival.
 */
export class WriteLock {
  private heldUntil = 0;

  constructor(private readonly holdMs: number) {}

  /** The refusal for a write that meets the lock held, or undefined once the write has taken it. */
  take(route: string): HttpReply | undefined {
    if (!WRITE_ROUTES.has(route)) return undefined;
    const now = Date.now();
    if (now < this.heldUntil) return rateLimitReply('too_many_write_operations');
    this.heldUntil = now + this.holdMs;
    return undefined;
  }
}
