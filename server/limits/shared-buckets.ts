// Token buckets shared by every server replica on one store: one document per key holds the bucket ({tokens, at}),
// and a replica takes tokens from it in small leases with compare-and-swap, then admits requests from its lease
// without touching the store. Every admitted request spent a token taken from the shared bucket, so N replicas
// together never admit more than one bucket allows (burst + rate × time), and a restarted replica finds the bucket
// as the others left it.
//
// The bounded error, all on the strict side: a lease a replica does not use up is lost to the others (a lease is
// what refills in 100 ms, a quarter of a fuller bucket, or one per request waiting for it; it expires after
// LEASE_TTL_MS); a refusal is remembered for up to REFUSAL_TTL_MS, so a bucket refilled meanwhile admits again up to
// that much later. A bucket's time is the latest any replica wrote: refills are counted on the fastest clock among
// its writers, so a replica whose clock is behind by S refills nothing itself until its clock reaches that time (it
// spends what the others' reads refilled; alone on a key, it refuses for up to S), and no skew admits more. Cost: one
// storage write per lease
// (≤ 1 per request, ~1 per rate/10 requests under steady load) and one read per refusal period while refused.
// A missing document is a full bucket, so sweep() deletes the documents of buckets that have refilled: the store
// holds documents only for keys seen within the last burst/rate seconds or so.
import type { StorageProvider } from '../../storage/contract.ts';
import { NamespaceSweep } from './namespace-sweep.ts';
import { changeShared } from './shared-document.ts';

export interface BucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** Tokens the bucket holds at most. */
  burst: number;
  namespace: string;
  now?: () => number;
}

interface BucketDocument {
  tokens: number;
  /** When `tokens` was computed (ms since the epoch, the writer's clock). */
  at: number;
}

interface Lease {
  tokens: number;
  expires: number;
  /** While refused: when to ask the store again, and the wait to announce. */
  refusedUntil?: number;
  wait?: number;
  /** The lease being fetched; concurrent requests of the key share it. */
  fetching?: Promise<void>;
  /** Requests of this process waiting for the fetch: it takes a token for each of them. */
  waiting: number;
}

/** Unused leased tokens are dropped after this, so no replica hoards a key's tokens. */
const LEASE_TTL_MS = 1000;
/** A refused key is not asked about again for this long (or until its announced wait, if shorter). */
const REFUSAL_TTL_MS = 100;
/** Local leases kept at most; the least recently used go first. */
const MAX_KEYS = 10_000;

export class SharedBuckets {
  private readonly leases = new Map<string, Lease>();
  private readonly now: () => number;
  /** Tokens per lease when the bucket is low: what refills in ~100 ms. */
  private readonly leaseSize: number;
  private readonly sweeper: NamespaceSweep<BucketDocument>;

  constructor(
    private readonly storage: StorageProvider,
    private readonly options: BucketOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.leaseSize = Math.max(1, Math.min(options.burst, Math.ceil(options.rate / 10)));
    this.sweeper = new NamespaceSweep(storage, options.namespace, (bucket) => this.tokensAt(bucket, this.now()) >= options.burst);
  }

  /** Takes one token for `key` (a valid storage key): resolves 0, or the seconds to wait when the bucket is empty. */
  async take(key: string): Promise<number> {
    for (;;) {
      const lease = this.leaseOf(key);
      const at = this.now();
      if (lease.tokens >= 1 && lease.expires > at) {
        lease.tokens -= 1;
        return 0;
      }
      if (lease.refusedUntil !== undefined && lease.refusedUntil > at) return lease.wait!;
      lease.fetching ??= this.fetch(key, lease).finally(() => (lease.fetching = undefined));
      lease.waiting += 1;
      await lease.fetching.finally(() => (lease.waiting -= 1));
      if (lease.tokens < 1 && lease.refusedUntil !== undefined) return lease.wait!;
    }
  }

  private leaseOf(key: string): Lease {
    const lease = this.leases.get(key) ?? { tokens: 0, expires: 0, waiting: 0 };
    // Re-inserting keeps the map in least-recently-used order for eviction.
    this.leases.delete(key);
    this.leases.set(key, lease);
    if (this.leases.size > MAX_KEYS) this.leases.delete(this.leases.keys().next().value!);
    return lease;
  }

  /** The bucket's tokens at `at`: what it held, refilled since (a backwards clock refills nothing). */
  private tokensAt(bucket: BucketDocument | undefined, at: number): number {
    const { rate, burst } = this.options;
    return bucket ? Math.min(burst, bucket.tokens + (Math.max(0, at - bucket.at) / 1000) * rate) : burst;
  }

  /** Deletes the documents of full buckets among the next page of keys; resolves how many it deleted. */
  sweep(): Promise<number> {
    return this.sweeper.sweep();
  }

  /**
   * Takes a lease from the shared bucket: a few tokens when it has them, a quarter of them when it is full, and at
   * least one for each request waiting for it then (they spend it at once). Without the last, a credential's
   * requests on one replica were admitted one store round trip apiece whenever R/10 rounds to one token: on a remote
   * primary a few per second, the rest queued far below the rate.
   */
  private async fetch(key: string, lease: Lease): Promise<void> {
    const { rate, namespace } = this.options;
    const { granted, wait } = await changeShared<BucketDocument, { granted: number; wait: number }>(this.storage, namespace, key, (bucket) => {
      const at = this.now();
      const tokens = this.tokensAt(bucket, at);
      if (tokens < 1) return { result: { granted: 0, wait: Math.max(1, Math.ceil((1 - tokens) / rate)) } };
      const granted = Math.min(Math.floor(tokens), Math.max(this.leaseSize, Math.floor(tokens / 4), lease.waiting));
      // The bucket's time never goes back: a replica whose clock is behind writing its own time would let one whose
      // clock is ahead refill, at its next read, all the time between the two clocks.
      return { write: { tokens: tokens - granted, at: Math.max(at, bucket?.at ?? at) }, result: { granted, wait: 0 } };
    });
    const at = this.now();
    lease.tokens = granted;
    lease.expires = at + LEASE_TTL_MS;
    lease.refusedUntil = granted > 0 ? undefined : at + Math.min(REFUSAL_TTL_MS, wait * 1000);
    lease.wait = wait;
  }
}
