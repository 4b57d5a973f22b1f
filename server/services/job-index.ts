// Job listings from the id and owner indexes the lifecycle writes at enqueue (`index/jobs/<id>`,
// `index/owner/<user>/<id>`): a user's list reads only their own entries, in id (= creation) order, so a cursor
// that is "the last key returned" never skips or repeats a job, however many jobs arrive while someone pages. The
// indexes are on the primary storage for the jobs of every provider; each job's status is read where the job is.
// Jobs imported under the ids qlued gave them are filed under a key that begins with their creation time too
// (storage/sqooler/index-entry.ts).
import { createHash } from 'node:crypto';
import { isDisplayName } from '../../schemas/backend-config.ts';
import { RequestValidationError } from '../../schemas/errors.ts';
import { isJobId, jobIdTime } from '../../storage/keys.ts';
import { idOfIndexKey, isQluedIndexKey } from '../../storage/sqooler/index-entry.ts';
import { type JobIndexEntry, type JobState, type StatusRecord, ns } from '../../storage/records.ts';
import type { SiteLookup } from './providers.ts';

export interface JobFilters {
  /** Whose jobs: one owner's index, or every job (admins without an owner filter). */
  owner: string | null;
  /** One backend: its provider's name and its display name. */
  backend?: { provider: string; display: string };
  states?: JobState[];
  tag?: string;
  /** Milliseconds since the epoch, inclusive. */
  createdAfter?: number;
  /** Milliseconds since the epoch, exclusive. */
  createdBefore?: number;
}

export interface ListedJob {
  id: string;
  entry: JobIndexEntry;
  status: StatusRecord;
}

export interface JobPage {
  jobs: ListedJob[];
  nextCursor: string | null;
}

/** Index entries read per request at most; with selective filters a page may come back short, with a cursor. */
const SCAN_BUDGET = 1000;
const CHUNK = 100;
/** Keys read at a queue's head to find its first job id. */
const HEAD_PAGE = 8;
/**
 * An entry without a status is a job still being enqueued while it is this young (the lifecycle writes the index
 * first); a page ends before it rather than skip it. Older ones point at purged or never-finished jobs.
 */
const SETTLE_MS = 10_000;
const PENDING = 'pending';

const idTime = (ms: number) => Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');

function fingerprint(filters: JobFilters): string {
  const { owner, backend, states, tag, createdAfter, createdBefore } = filters;
  const text = JSON.stringify([owner, backend, states, tag, createdAfter, createdBefore]);
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

/** Opaque to clients: the last index key returned, bound to the filters it was made for. */
function encodeCursor(after: string, filters: JobFilters): string {
  return Buffer.from(`${after}.${fingerprint(filters)}`).toString('base64url');
}

/** `after` is an index key, a 12-hex time prefix (created_after) or empty (the very beginning). */
function decodeCursor(cursor: string, filters: JobFilters): string {
  // The fingerprint follows the last dot: the key of an old qlued id (storage/sqooler/index-entry.ts), which a page
  // can end at too, may hold dots of its own.
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const [after, print] = [text.slice(0, Math.max(0, text.lastIndexOf('.'))), text.slice(text.lastIndexOf('.') + 1)];
  if (!text.includes('.') || !(/^[0-9a-f]{0,24}$/.test(after) || isQluedIndexKey(after)) || print !== fingerprint(filters)) {
    throw new RequestValidationError([{ type: 'cursor', loc: ['query', 'cursor'], msg: 'not a cursor of this listing (filters changed?)' }]);
  }
  return after;
}

export class JobIndex {
  constructor(private readonly sites: SiteLookup) {}

  private get storage() {
    return this.sites.primary.storage;
  }

  async list(filters: JobFilters, limit: number, cursor?: string): Promise<JobPage> {
    const namespace = filters.owner === null ? ns.jobIndex : ns.ownerIndex(filters.owner);
    const start = filters.createdAfter === undefined ? '' : idTime(filters.createdAfter);
    const fromCursor = cursor === undefined ? '' : decodeCursor(cursor, filters);
    let after = fromCursor > start ? fromCursor : start;
    const end = filters.createdBefore === undefined ? undefined : idTime(filters.createdBefore);
    const jobs: ListedJob[] = [];
    for (let scanned = 0; scanned < SCAN_BUDGET; ) {
      const keys = await this.storage.list(namespace, { limit: CHUNK, ...(after ? { after } : {}) });
      const inRange = end === undefined ? keys : keys.filter((key) => key < end);
      const found = await Promise.all(inRange.map((key) => this.match(namespace, key, filters)));
      for (const [i, job] of found.entries()) {
        if (job === PENDING) return { jobs, nextCursor: encodeCursor(i > 0 ? inRange[i - 1]! : after, filters) };
        if (job) jobs.push(job);
        if (jobs.length === limit) return { jobs, nextCursor: encodeCursor(inRange[i]!, filters) };
      }
      // The end of the index, or of the requested time range: nothing more to page through.
      if (keys.length < CHUNK || inRange.length < keys.length) return { jobs, nextCursor: null };
      scanned += keys.length;
      after = keys[keys.length - 1]!;
    }
    return { jobs, nextCursor: encodeCursor(after, filters) };
  }

  /** The entry and status of a listed key's job if it passes the filters; PENDING while it is still being enqueued. */
  private async match(namespace: string, key: string, filters: JobFilters): Promise<ListedJob | typeof PENDING | undefined> {
    const entry = (await this.storage.get<JobIndexEntry>(namespace, key))?.value;
    if (!entry) return undefined;
    const id = idOfIndexKey(key);
    // Entries written before providers were told apart have none: they are the primary's.
    const provider = entry.provider ?? this.sites.primaryName;
    const { backend } = filters;
    if (backend !== undefined && (entry.backend !== backend.display || provider !== backend.provider)) return undefined;
    const tags = entry.meta?.tags;
    if (filters.tag !== undefined && !(Array.isArray(tags) && tags.includes(filters.tag))) return undefined;
    // A provider removed from the registry took its jobs along: its entries point nowhere, like a purged job's.
    const site = await this.sites.find(entry.provider);
    // Through the lifecycle: on a provider without transactions a status can lag its job after a crash, and the
    // lifecycle repairs it as it reads (a job DONE must not be listed QUEUED).
    const status = site && (await site.lifecycle.getStatus(entry.backend, id));
    if (!status) return Date.now() - jobIdTime(key) < SETTLE_MS ? PENDING : undefined;
    if (filters.states && !filters.states.includes(status.status)) return undefined;
    return { id, entry, status };
  }

  /**
   * Queued jobs of one owner, counted up to `stopAt`. Only entries at least as new as the oldest job queued on any
   * backend of any provider can still be queued, so this reads the owner's recent entries, not their whole history.
   */
  async countQueued(owner: string, stopAt: number): Promise<number> {
    const heads = (
      await this.sites.each(async (site) => {
        const backends = (await site.storage.list(ns.configs)).filter(isDisplayName);
        // A queue's first job id, past any stray key that is none (another lab's store may hold anything).
        const firsts = await Promise.all(backends.map((backend) => site.storage.list(ns.queued(backend), { limit: HEAD_PAGE })));
        return firsts.flatMap((keys) => keys.find(isJobId) ?? []);
      }, { includeInactive: true })
    ).flat();
    if (heads.length === 0) return 0;
    // One character short of the oldest queued id: a key that sorts just before it, so the listing includes it.
    let after = heads.sort()[0]!.slice(0, -1);
    let count = 0;
    for (;;) {
      const keys = await this.storage.list(ns.ownerIndex(owner), { limit: CHUNK, after });
      const states = await Promise.all(keys.map((key) => this.match(ns.ownerIndex(owner), key, { owner, states: ['QUEUED'] })));
      // A job still being enqueued is about to be queued: it counts.
      count += states.filter(Boolean).length;
      if (count >= stopAt || keys.length < CHUNK) return count;
      after = keys[keys.length - 1]!;
    }
  }
}
