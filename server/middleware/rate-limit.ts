// Request rate limits, counted on the shared store so they hold across server replicas (server/limits/
// shared-buckets.ts): a token bucket per credential (the Bearer token, the v2 `token` query parameter, or the token
// in the body of a v2 post_job: wherever the route reads it; hashed; anonymous requests count per address) and a
// roomier one per client address, so inventing a new credential per request does not buy a fresh bucket. Over the
// limit: 429 with Retry-After. Each replica sweeps the documents of refilled buckets away once a minute (a page at a
// time; replicas sweeping at once is harmless).
import type { Context, Middleware } from 'koa';
import { RateLimitedError } from '../../schemas/errors.ts';
import { bearerCredential } from '../auth/bearer.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { clientKey } from '../limits/client-address.ts';
import { keyDigest } from '../limits/limit-keys.ts';
import { SharedBuckets } from '../limits/shared-buckets.ts';
import { lastQueryValue } from './query.ts';

export interface RateLimitOptions {
  /** Refill rate per credential; 0 turns limiting off. */
  perSecond: number;
  burst: number;
  /** Where the buckets live: the server's own storage, shared by its replicas. */
  storage: StorageProvider;
  /** The server's secret key: bucket keys are HMACs under it (limit-keys.ts), not hashes anyone could test. */
  secretKey: string;
  now?: () => number;
}

/** How much more an address may send than a single credential (several users can share one address). */
const ADDRESS_FACTOR = 10;

/** Buckets are documents here, one per credential or address (tiny; the key is a keyed hash). */
const RATE_NAMESPACES = { credentials: 'limits/rate/credentials', addresses: 'limits/rate/addresses' };

const SWEEP_EVERY_MS = 60_000;

export interface RateLimiter {
  middleware: Middleware;
  /** Stops the sweeps. */
  close(): void;
}

/** qlued's v2 post_job sends its token inside the JSON body, which this middleware does not read. */
const TOKEN_IN_BODY = /^\/api\/v2\/[^/]+\/post_job$/i;
/** The other v2 routes take the token from the query string, and only from there (reference/qlued-api.md §4.12). */
const TOKEN_IN_QUERY = /^\/api\/v2\//i;

/** What a route whose credential is in the body calls once it has read it (see chargeBodyCredential). */
interface BodyCredentialState {
  chargeCredential?: (credential: string) => Promise<void>;
}

/**
 * Charges the credential's bucket for a request that carried it in its body (RateLimitedError when it is empty).
 * Until then the request has counted against its address only; a request whose body names no credential stays so.
 */
export async function chargeBodyCredential(ctx: Context, credential: string): Promise<void> {
  await (ctx.state as BodyCredentialState).chargeCredential?.(credential);
}

/**
 * The credential the route will authenticate with, read as the route reads it (routes match paths in any case), so
 * one token is one bucket: a credential in a place the route ignores, or spelt with other spaces, buys no other.
 */
function credentialOf(ctx: Context): string | undefined {
  if (TOKEN_IN_QUERY.test(ctx.path)) {
    const token = lastQueryValue(ctx, 'token');
    return token !== '' ? token : undefined;
  }
  const header = ctx.get('authorization');
  return bearerCredential(header) ?? (header.trim() || undefined);
}

export function rateLimit(options: RateLimitOptions): RateLimiter {
  const { perSecond, burst, storage, now } = options;
  const hash = keyDigest(options.secretKey);
  if (perSecond <= 0) return { middleware: (_ctx, next) => next(), close: () => undefined };
  const credentials = new SharedBuckets(storage, { rate: perSecond, burst, namespace: RATE_NAMESPACES.credentials, now });
  const addresses = new SharedBuckets(storage, {
    rate: perSecond * ADDRESS_FACTOR,
    burst: burst * ADDRESS_FACTOR,
    namespace: RATE_NAMESPACES.addresses,
    now,
  });
  // A failed sweep (storage outage) is tried again at the next one.
  const sweeps = setInterval(() => void Promise.all([credentials.sweep(), addresses.sweep()]).catch(() => undefined), SWEEP_EVERY_MS);
  sweeps.unref();

  const charge = async (key: string) => {
    const wait = await credentials.take(key);
    if (wait > 0) throw new RateLimitedError(wait);
  };
  const middleware: Middleware = async (ctx, next) => {
    const client = hash(clientKey(ctx.ip));
    const addressWait = await addresses.take(client);
    if (addressWait > 0) throw new RateLimitedError(addressWait);
    const credential = credentialOf(ctx);
    if (ctx.method === 'POST' && TOKEN_IN_BODY.test(ctx.path)) {
      (ctx.state as BodyCredentialState).chargeCredential = (token) => charge(`cred-${hash(token)}`);
    } else if (credential) {
      await charge(`cred-${hash(credential)}`);
    } else {
      // Anonymous requests (registration, login, backend lists) share one credential-sized bucket per address.
      await charge(`anon-${client}`);
    }
    await next();
  };
  return { middleware, close: () => clearInterval(sweeps) };
}
