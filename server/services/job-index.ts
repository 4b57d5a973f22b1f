// Job listings from the id and owner indexes the lifecycle writes at enqueue (`index/jobs/<id>`,
// `index/owner/<user>/<id>`): a user's list reads only their own entries, in id (= creation) order, so a cursor
// that is "the last key returned" never skips or repeats a job, however many jobs arrive while someone pages. The
// indexes are on the primary storage for the jobs of every provider; each job's status is read where the job is.
// Jobs imported under the ids qlued gave them are filed under a key that begins with their creation time too
// (storage/sqooler/index-entry.ts). Jobs on a registered provider that cannot be read just now are left out of a page
// and owed by its cursor (list-cursor.ts).
import { isDisplayName } from '../../schemas/backend-config.ts';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { isJobId, jobIdTime } from '../../storage/keys.ts';
import { idOfIndexKey } from '../../storage/sqooler/index-entry.ts';
import { type JobIndexEntry, type JobState, type StatusRecord, ns } from '../../storage/records.ts';
import { decodeCursor, encodeCursor, type ListPosition } from './list-cursor.ts';
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
  /** Registered providers whose jobs this page could not read (and the cursor still owes), by name. */
  unreachable: string[];
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

/** An index entry that passed the filters read from the entry alone, with its job if it passes the rest. */
interface Met {
  provider: string;
  job: ListedJob | undefined;
}

/** One request's reading: providers that failed in it are left alone for the rest of it, so what the cursor owes is exact. */
interface Reading {
  namespace: string;
  filters: JobFilters;
  /** Providers that could not be read. */
  down: Set<string>;
  jobs: ListedJob[];
  limit: number;
  scanned: number;
  /** Entries met whose provider answered / could not be read. */
  answered: number;
  unread: number;
}

/** Where a stretch of the index was left: the last key dealt with, and why the scan stopped there. */
interface Stop {
  at: string;
  why: 'end' | 'full' | 'pending' | 'budget';
}

export class JobIndex {
  constructor(private readonly sites: SiteLookup) {}

  private get storage() {
    return this.sites.primary.storage;
  }

  /**
   * A page of jobs, oldest first. A registered provider that cannot be read leaves its jobs out and is named in
   * `unreachable`; the page answers 503 only when every entry it met is such a job. Paging rule: the cursor moves on
   * past the provider's jobs (so one lab down never stalls the listing) but owes them: it keeps, per provider, the
   * key after which its jobs were left out, and a later page that finds the provider answering lists them first,
   * before going on (older jobs then come after newer ones, the only break in creation order). Until then every page
   * keeps a next_cursor, even at the end of the index, so following it once the provider is back delivers them; a
   * job is never listed twice, as a provider that fails once is left out for the rest of the request.
   */
  async list(filters: JobFilters, limit: number, cursor?: string): Promise<JobPage> {
    const namespace = filters.owner === null ? ns.jobIndex : ns.ownerIndex(filters.owner);
    const start = filters.createdAfter === undefined ? '' : idTime(filters.createdAfter);
    const position = cursor === undefined ? { after: '', owed: new Map<string, string>() } : decodeCursor(cursor, filters);
    const end = filters.createdBefore === undefined ? undefined : idTime(filters.createdBefore);
    const { owed } = position;
    const reading: Reading = { namespace, filters, down: new Set(), jobs: [], limit, scanned: 0, answered: 0, unread: 0 };
    /** `after` null: the end of the listing, nothing owed. */
    const page = (after: string | null): JobPage => {
      const unreachable = [...reading.down].sort();
      if (reading.jobs.length === 0 && reading.unread > 0 && reading.answered === 0) {
        const names = `${unreachable.length === 1 ? 'provider' : 'providers'} ${unreachable.join(', ')}`;
        throw new StorageUnavailableError(`Your jobs on storage ${names} cannot be read right now`, undefined, { forCallers: true });
      }
      return { jobs: reading.jobs, nextCursor: after === null ? null : encodeCursor({ after, owed }, filters), unreachable };
    };
    if (await this.catchUp(reading, position)) return page(position.after);
    const from = position.after > start ? position.after : start;
    const stop = await this.scan(reading, from, (key) => end === undefined || key < end, () => true, (provider, before) => {
      if (!owed.has(provider)) owed.set(provider, before);
    });
    return page(stop.why === 'end' && owed.size === 0 ? null : stop.at);
  }

  /**
   * Lists the jobs the cursor owes of providers that answer again, up to its position; the others stay owed and are
   * left out for the rest of the request. True when the page is settled before the catching up is done.
   */
  private async catchUp(reading: Reading, position: ListPosition): Promise<boolean> {
    const { owed } = position;
    const catching = new Set<string>();
    await Promise.all(
      [...owed.keys()].map(async (provider) => {
        const answer = await this.answers(provider);
        if (answer === 'gone') owed.delete(provider);
        else if (answer) catching.add(provider);
        else reading.down.add(provider);
      }),
    );
    if (catching.size === 0) return false;
    const from = [...catching].map((provider) => owed.get(provider)!).sort()[0]!;
    const stop = await this.scan(
      reading,
      from,
      (key) => key <= position.after,
      (provider, key) => catching.has(provider) && key > owed.get(provider)!,
      (provider, before) => {
        // Its first job left out is where it is owed from again; its later ones come after that.
        if (catching.delete(provider) && before > owed.get(provider)!) owed.set(provider, before);
      },
    );
    for (const provider of catching) {
      if (stop.why === 'end') owed.delete(provider);
      else if (stop.at > owed.get(provider)!) owed.set(provider, stop.at);
    }
    return stop.why !== 'end';
  }

  /** Whether a registered provider answers now; 'gone' once it is no longer registered (its jobs went with it). */
  private async answers(provider: string): Promise<boolean | 'gone'> {
    try {
      const site = await this.sites.find(provider);
      if (!site) return 'gone';
      await site.storage.list(ns.configs, { limit: 1 });
      return true;
    } catch (error) {
      if (error instanceof StorageUnavailableError) return false;
      throw error;
    }
  }

  /**
   * Adds the jobs of the keys after `from` that are `inside` and `wanted` to the page, in key order, until the page is
   * full, the budget is spent or a job is still being enqueued; a job whose provider cannot be read is handed to
   * `unreadable` with the key before it.
   */
  private async scan(
    reading: Reading,
    from: string,
    inside: (key: string) => boolean,
    wanted: (provider: string, key: string) => boolean,
    unreadable: (provider: string, before: string) => void,
  ): Promise<Stop> {
    const { namespace, filters, jobs } = reading;
    for (let after = from; ; ) {
      if (reading.scanned >= SCAN_BUDGET) return { at: after, why: 'budget' };
      const keys = await this.storage.list(namespace, { limit: CHUNK, ...(after ? { after } : {}) });
      const inRange = keys.filter(inside);
      const found = await Promise.all(inRange.map((key) => this.match(namespace, key, filters, reading.down, wanted)));
      for (const [i, met] of found.entries()) {
        const before = i > 0 ? inRange[i - 1]! : after;
        if (met === PENDING) return { at: before, why: 'pending' };
        if (!met) continue;
        if (reading.down.has(met.provider)) {
          reading.unread += 1;
          unreadable(met.provider, before);
          continue;
        }
        reading.answered += 1;
        if (met.job) jobs.push(met.job);
        if (jobs.length === reading.limit) return { at: inRange[i]!, why: 'full' };
      }
      reading.scanned += keys.length;
      // The end of the index, or of the stretch asked for: nothing more to page through.
      if (keys.length < CHUNK || inRange.length < keys.length) return { at: inRange.at(-1) ?? after, why: 'end' };
      after = keys[keys.length - 1]!;
    }
  }

  /**
   * The entry and status of a listed key's job if it passes the filters; PENDING while it is still being enqueued.
   * With `down`, a registered provider that cannot be read is added to it instead of failing the whole read.
   */
  private async match(
    namespace: string,
    key: string,
    filters: JobFilters,
    down?: Set<string>,
    wanted: (provider: string, key: string) => boolean = () => true,
  ): Promise<Met | typeof PENDING | undefined> {
    const entry = (await this.storage.get<JobIndexEntry>(namespace, key))?.value;
    if (!entry) return undefined;
    const id = idOfIndexKey(key);
    // Entries written before providers were told apart have none: they are the primary's.
    const provider = entry.provider ?? this.sites.primaryName;
    const { backend } = filters;
    if (backend !== undefined && (entry.backend !== backend.display || provider !== backend.provider)) return undefined;
    const tags = entry.meta?.tags;
    if (filters.tag !== undefined && !(Array.isArray(tags) && tags.includes(filters.tag))) return undefined;
    if (!wanted(provider, key)) return undefined;
    if (down?.has(provider)) return { provider, job: undefined };
    let status: StatusRecord | undefined;
    try {
      // A provider removed from the registry took its jobs along: its entries point nowhere, like a purged job's.
      const site = await this.sites.find(entry.provider);
      // Through the lifecycle: on a provider without transactions a status can lag its job after a crash, and the
      // lifecycle repairs it as it reads (a job DONE must not be listed QUEUED).
      status = site && (await site.lifecycle.getStatus(entry.backend, id));
    } catch (error) {
      if (!down || provider === this.sites.primaryName || !(error instanceof StorageUnavailableError)) throw error;
      down.add(provider);
      return { provider, job: undefined };
    }
    if (!status) return Date.now() - jobIdTime(key) < SETTLE_MS ? PENDING : { provider, job: undefined };
    if (filters.states && !filters.states.includes(status.status)) return { provider, job: undefined };
    return { provider, job: { id, entry, status } };
  }

  /** Whether an index entry names a job on one of the `down` providers (read from the entry alone). */
  private async isOnDown(namespace: string, key: string, down: Set<string>): Promise<boolean> {
    const entry = (await this.storage.get<JobIndexEntry>(namespace, key))?.value;
    return entry?.provider !== undefined && down.has(entry.provider);
  }

  /**
   * Whether a job whose status says QUEUED is in its queue as a job a spooler can take. A document a spooler set aside
   * as damaged (storage/damaged.ts) ends its job ERROR, but one set aside before that was so, or by a process that
   * died before the job's stand-in was written, still says QUEUED, and with transactions a status is taken at its word:
   * it will never run, and must not take its owner's queue room. One or two more reads per queued job, at recounts only.
   */
  private async inQueue(job: ListedJob): Promise<boolean> {
    const site = await this.sites.find(job.entry.provider);
    const found = site && (await site.lifecycle.find(job.entry.backend, job.id));
    return found?.value.state === 'QUEUED';
  }

  /**
   * Queued jobs of one owner, counted up to `stopAt`. Only entries at least as new as the oldest job queued on any
   * backend of any provider can still be queued, so this reads the owner's recent entries, not their whole history.
   * A job on a registered provider that cannot be read counts as queued: one lab down must not fail its owner's
   * submissions elsewhere, and counting what cannot be seen as queued never lets the queue past the limit. Such a
   * provider's queue heads are unknown, so while one is down the owner's older entries are read too (the entry only,
   * no status), and its jobs among them count as queued, however old.
   */
  async countQueued(owner: string, stopAt: number): Promise<number> {
    const down = new Set<string>();
    const heads = (
      await this.sites.each(async (site) => {
        const backends = (await site.storage.list(ns.configs)).filter(isDisplayName);
        // A queue's first job id, past any stray key that is none (another lab's store may hold anything).
        const firsts = await Promise.all(backends.map((backend) => site.storage.list(ns.queued(backend), { limit: HEAD_PAGE })));
        return firsts.flatMap((keys) => keys.find(isJobId) ?? []);
      }, { includeInactive: true, unreachable: down })
    ).flat();
    if (heads.length === 0 && down.size === 0) return 0;
    // One character short of the oldest queued id: a key that sorts just before it, so the listing includes it.
    const head = heads.length === 0 ? undefined : heads.sort()[0]!.slice(0, -1);
    const beforeHeads = (key: string) => head === undefined || key <= head;
    let after = down.size > 0 ? '' : head!;
    let count = 0;
    for (;;) {
      const keys = await this.storage.list(ns.ownerIndex(owner), { limit: CHUNK, ...(after ? { after } : {}) });
      const counted = await Promise.all(
        keys.map(async (key) => {
          if (beforeHeads(key)) return this.isOnDown(ns.ownerIndex(owner), key, down);
          const met = await this.match(ns.ownerIndex(owner), key, { owner, states: ['QUEUED'] }, down);
          // A job still being enqueued is about to be queued: it counts.
          if (met === PENDING || (met && down.has(met.provider))) return true;
          return met?.job !== undefined && (await this.inQueue(met.job));
        }),
      );
      count += counted.filter(Boolean).length;
      if (count >= stopAt || keys.length < CHUNK) return count;
      after = keys[keys.length - 1]!;
    }
  }
}
