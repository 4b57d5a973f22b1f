// Envelopes on top of the object port: read an object as an Envelope, write one under a condition and find out for
// certain whether it landed, delete a marker we own. Also a small cache of recently seen objects, so that a move
// right after a read (the lifecycle's claim) does not fetch the source twice: a cached body is only ever used
// together with its ETag in an If-Match, which S3 checks atomically, so a stale entry costs a retry, never a wrong
// write.
import { decode, encode, sameWrite, type Envelope, type Marker } from './envelope.ts';
import { unavailableWrite } from './error-mapping.ts';
import { label, type Address } from './layout.ts';
import type { ObjectPort } from './objects.ts';
import type { WriteCondition } from './requests.ts';

export interface Observed {
  etag: string;
  body: string;
  envelope: Envelope;
  /**
   * An `arriving` object whose source this process knows to be released: set by the mover on its own destination,
   * and by a reader that looked at the source. Only ever in this process's cache, and only for this ETag: a source
   * never holds the same move's `leaving` marker again once released (move.ts), so the answer cannot go stale.
   */
  releasedArrival?: boolean;
}

export type WriteResult = { won: true; etag: string } | { won: false; current: Observed | undefined };

export interface DocumentsOptions {
  /** A marker older than this (by its writer's clock) is presumed abandoned by a crashed writer. */
  staleAfterMs: number;
  /** How long a write waits for another writer's delete or move of the same key to finish. */
  busyWaitMs: number;
  now: () => number;
  cacheSize: number;
  /** Sends of a write that S3 failed without any race, before it counts as an outage. */
  writeAttempts: number;
}

/** What to write: an envelope, or (to roll a move back) the exact original bytes. */
export type Content = Envelope | { raw: string };

export class Documents {
  private readonly cache = new Map<string, Observed>();

  constructor(
    readonly port: ObjectPort,
    readonly options: DocumentsOptions,
  ) {}

  now(): number {
    return this.options.now();
  }

  isStale(marker: Marker): boolean {
    return this.now() - marker.at > this.options.staleAfterMs;
  }

  async read(at: Address): Promise<Observed | undefined> {
    const found = await this.port.get(at.name);
    if (!found) {
      this.cache.delete(at.name);
      return undefined;
    }
    // Still the object seen before: keep what this process learnt about it (releasedArrival).
    const known = this.cached(at, found.etag);
    return this.remember(at, known ?? { etag: found.etag, body: found.body, envelope: decode(found.body) });
  }

  /** The last observation of `at`, whatever it was. */
  lastSeen(at: Address): Observed | undefined {
    return this.cache.get(at.name);
  }

  /** The last observation of `at` if it is at `etag`. */
  cached(at: Address, etag: string): Observed | undefined {
    const hit = this.cache.get(at.name);
    return hit?.etag === etag ? hit : undefined;
  }

  /** Records that the source of the arriving document at `at`, at `etag`, is released (move.ts). */
  released(at: Address, etag: string): void {
    const hit = this.cached(at, etag);
    if (hit) this.remember(at, { ...hit, releasedArrival: true });
  }

  /** Whether the arriving document at `at`, at `etag`, is known to this process to have its source released. */
  isReleased(at: Address, etag: string): boolean {
    return this.cached(at, etag)?.releasedArrival === true;
  }

  /**
   * The ETag of the document this process last saw at `at`, a good first guess for an If-Match overwrite. Never a
   * marker's: a fresh marker must only be overwritten by its own protocol (situation.ts).
   */
  lastEtag(at: Address): string | undefined {
    const hit = this.cache.get(at.name);
    return hit && (hit.envelope.state === 'live' || hit.releasedArrival) ? hit.etag : undefined;
  }

  /**
   * A conditional write whose outcome is always known. When S3 refuses it (412) or leaves it open (500, 409, lost
   * connection), the object is read again: our own write there (same kind and random id) means it landed. An
   * indeterminate answer while the object is exactly as the condition required means S3 failed the write without
   * any race: it is sent again, and after `writeAttempts` reported as an outage. (The SDK itself does not retry
   * PUTs, client.ts: after RGW's 500 to the loser of a race its backoff would only delay the certain 412.)
   */
  async write(at: Address, content: Content, condition: WriteCondition): Promise<WriteResult> {
    const body = 'raw' in content ? content.raw : encode(content);
    const envelope = 'raw' in content ? decode(content.raw) : content;
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.port.put(at.name, body, condition);
      if (result.ok) {
        this.remember(at, { etag: result.etag, body, envelope });
        return { won: true, etag: result.etag };
      }
      const current = await this.read(at);
      if (current && sameWrite(current.envelope, envelope)) return { won: true, etag: current.etag };
      const untouched = 'ifAbsent' in condition ? current === undefined : current?.etag === condition.ifMatch;
      if (result.failure !== 'indeterminate' || !untouched) return { won: false, current };
      if (attempt >= this.options.writeAttempts) throw unavailableWrite(label(at));
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * (0.5 + Math.random())));
    }
  }

  /**
   * Deletes a marker this process wrote at `markedAt` (see situation.ts for why nobody else's). If this process
   * has been slow enough since that others may soon treat the marker as abandoned, it first checks that the marker
   * is still there: RGW's DELETE would remove whatever has replaced it.
   */
  async remove(at: Address, etag: string, markedAt: number): Promise<void> {
    this.cache.delete(at.name);
    if (this.now() - markedAt > this.options.staleAfterMs / 2 && (await this.port.get(at.name))?.etag !== etag) return;
    await this.port.delete(at.name, etag);
  }

  /** Sleeps a little longer on every call of one wait, up to 200 ms; false once `busyWaitMs` has passed. */
  async pause(startedAt: number, round: number): Promise<boolean> {
    if (Date.now() - startedAt > this.options.busyWaitMs) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5 * 2 ** round, 200) * (0.5 + Math.random())));
    return true;
  }

  private remember(at: Address, observed: Observed): Observed {
    this.cache.delete(at.name);
    this.cache.set(at.name, observed);
    if (this.cache.size > this.options.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return observed;
  }
}
