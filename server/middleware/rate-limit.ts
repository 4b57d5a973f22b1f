// Request rate limits, in memory: a token bucket per credential (the Authorization header or the v2 `token` query
// parameter, hashed; anonymous requests count per address) and a roomier one per client address, so inventing a
// new credential per request does not buy a fresh bucket. Over the limit: 429 with Retry-After. The buckets of
// the least recently seen keys are dropped first once there are too many.
import { createHash } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { RateLimitedError } from '../../schemas/errors.ts';

export interface RateLimitOptions {
  /** Refill rate per credential; 0 turns limiting off. */
  perSecond: number;
  burst: number;
  /** Keys kept at most; the least recently seen go first. */
  maxKeys?: number;
  now?: () => number;
}

/** How much more an address may send than a single credential (several users can share one address). */
const ADDRESS_FACTOR = 10;

interface Bucket {
  tokens: number;
  at: number;
}

/** The credential itself, however it is sent (Bearer header, or v2's `token` parameter), so one token is one bucket. */
function credentialOf(ctx: Context): string | undefined {
  const header = ctx.get('authorization').replace(/^bearer +/i, '');
  const token = ctx.query.token;
  const credential = header || (typeof token === 'string' ? token : '');
  return credential ? createHash('sha256').update(credential).digest('hex') : undefined;
}

export function rateLimit(options: RateLimitOptions): Middleware {
  const { perSecond, burst } = options;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  /** Seconds until the key may send again, or 0 after taking one token. */
  function take(key: string, rate: number, capacity: number): number {
    const at = now();
    const previous = buckets.get(key);
    const bucket = previous ?? { tokens: capacity, at };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((at - bucket.at) / 1000) * rate);
    bucket.at = at;
    // Re-inserting keeps the map in least-recently-seen order for eviction.
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    bucket.tokens -= 1;
    return 0;
  }

  return async (ctx, next) => {
    if (perSecond <= 0) return next();
    const credential = credentialOf(ctx);
    // Anonymous requests (registration, login, backend lists) share one credential-sized bucket per address.
    const key = credential ? `cred:${credential}` : `anon:${ctx.ip}`;
    const wait = take(`ip:${ctx.ip}`, perSecond * ADDRESS_FACTOR, burst * ADDRESS_FACTOR) || take(key, perSecond, burst);
    if (wait > 0) throw new RateLimitedError(wait);
    await next();
  };
}
