// The per-user quota of queued jobs, held across server replicas. Counting a user's queue reads index entries and
// statuses (up to the limit) and was most of a submission's cost under load, so a count is kept on the shared store
// (`limits/quota/<user>`) with the submission slots granted since, and a replica leases a few slots at a time with
// compare-and-swap, then admits submissions from its lease without touching the store. Between counts, the count plus
// the slots granted since can only overstate the queue (jobs leave it, and every admission takes a slot), so a count
// is renewed only where that matters: every RECOUNT_AFTER_MS while less than a quarter of the limit is left, and at
// once before a submission is refused, so jobs that left the queue make room immediately. A user far from the limit
// costs no counting at all, however long their queue (a count reads every queued job's index entry and status).
// A job an administrator requeues re-enters the queue without a submission: it is added to the count at once
// (`reentered`), or the submissions admitted on the count before it would take its owner past the limit. Jobs that
// return to the queue from running (a retry, a lease lost, a spooler stopping) were counted when submitted.
//
// Bounds: a recount sees every job whose index entry is written (the lifecycle writes it first). Slots another
// replica was granted in the last KEEP_GRANTS_MS survive a recount, as it may not have used them yet (a replica uses
// a slot within SLOT_TTL_MS of its grant or drops it); the counting replica's own grants are dropped, as it holds
// none unused when it counts. So the quota is exact at the limit, except for submissions admitted but not yet
// indexed at the moment of a recount (concurrent submissions of one user, over milliseconds). Errors otherwise run
// strict: another replica's used grants count twice for up to KEEP_GRANTS_MS after a recount, and its unused leased
// slots (at most a quarter of the room left, one near the limit) are unavailable to the others until then. Times are
// each replica's own clock: a replica whose clock is ahead by more than KEEP_GRANTS_MS drops the others' grants at its
// recounts, so their slots leased but not yet indexed may be admitted twice (one per replica near the limit).
import { randomBytes } from 'node:crypto';
import { QuotaExceededError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { QUOTA_NAMESPACE } from '../../storage/namespaces.ts';
import { changeShared } from '../limits/shared-document.ts';
import type { JobIndex } from './job-index.ts';

/** How long a count is reused once less than a quarter of the limit is left. */
const RECOUNT_AFTER_MS = 2000;
/** A leased slot not used by then is dropped. */
const SLOT_TTL_MS = 250;
/** Grants younger than this survive a recount. */
const KEEP_GRANTS_MS = 1000;
/** Slots leased at once at most (far from the limit: one storage write per this many submissions). */
const MAX_LEASE = 50;
/** Local leases kept before the used-up ones are swept. */
const MAX_USERS = 1000;

export interface QuotaDocument {
  /** Queued jobs counted at `countedAt` (ms, the counting replica's clock). */
  count: number;
  countedAt: number;
  /** Slots granted since the count, older than KEEP_GRANTS_MS. */
  settled: number;
  /** Younger grants: [ms, slots, replica]. */
  recent: [number, number, string][];
}

interface Lease {
  slots: number;
  expires: number;
  fetching?: Promise<void>;
}

const granted = (doc: QuotaDocument) => doc.settled + doc.recent.reduce((sum, [, slots]) => sum + slots, 0);

export class QueueQuota {
  private readonly leases = new Map<string, Lease>();
  /** Names this replica's grants in the shared documents. */
  private readonly replica = randomBytes(6).toString('hex');

  constructor(
    private readonly storage: StorageProvider,
    private readonly index: JobIndex,
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot for one submission of `owner`, or throws QuotaExceededError when they have `limit` queued jobs. */
  async assertRoom(owner: string): Promise<void> {
    for (;;) {
      const lease = this.leases.get(owner) ?? { slots: 0, expires: 0 };
      this.leases.set(owner, lease);
      if (lease.slots >= 1 && lease.expires > this.now()) {
        lease.slots -= 1;
        return;
      }
      lease.fetching ??= this.fetch(owner, lease).finally(() => {
        lease.fetching = undefined;
        if (this.leases.size > MAX_USERS) this.forgetIdle();
      });
      await lease.fetching;
    }
  }

  /** Leases slots from the shared document, recounting the queue first when the count is old or shows no room. */
  private async fetch(owner: string, lease: Lease): Promise<void> {
    let fresh: { count: number; at: number } | undefined;
    /** The stored count's time when this replica decided to count (none stored: undefined). */
    let basis: number | undefined;
    for (;;) {
      const outcome = await changeShared<QuotaDocument, number | 'recount'>(this.storage, QUOTA_NAMESPACE, owner, (stored) => {
        const at = this.now();
        let doc = stored && { ...stored, recent: stored.recent.filter(([when]) => when > at - KEEP_GRANTS_MS) };
        if (doc) doc.settled += granted(stored!) - granted(doc);
        // This count replaces the stored one unless another replica counted after this one decided to: theirs is as
        // fresh. Which count is newer is never judged by comparing two replicas' clocks: one behind could not replace a
        // count made by one ahead, and refused a user whose jobs had left the queue until its clock caught up.
        const recounted = fresh !== undefined && (!doc || doc.countedAt === basis);
        if (recounted) {
          const recent = (doc?.recent ?? []).filter(([when, , by]) => by !== this.replica && when > fresh!.at - KEEP_GRANTS_MS);
          doc = { count: fresh!.count, countedAt: fresh!.at, settled: 0, recent };
        }
        const room = doc ? this.limit - doc.count - granted(doc) : 0;
        const old = !doc || (at - doc.countedAt >= RECOUNT_AFTER_MS && room < this.limit / 4);
        if (!fresh && (old || room < 1)) {
          basis = stored?.countedAt;
          return { result: 'recount' };
        }
        if (room < 1) return { write: recounted ? doc : undefined, result: 0 };
        const slots = Math.min(MAX_LEASE, Math.max(1, Math.floor(room / 4)));
        return { write: { ...doc!, recent: [...doc!.recent, [at, slots, this.replica]] }, result: slots };
      });
      if (outcome !== 'recount') {
        if (outcome === 0) {
          throw new QuotaExceededError(`You have ${this.limit} queued jobs, the most allowed; wait for some to run or cancel them`, { limit: this.limit });
        }
        lease.slots = outcome;
        lease.expires = this.now() + SLOT_TTL_MS;
        return;
      }
      const at = this.now();
      fresh = { count: await this.index.countQueued(owner, this.limit), at };
    }
  }

  /**
   * Counts a job of `owner` back in the queue without a submission (an administrator's requeue) as one admitted. No
   * count yet: the first submission counts the queue, this job included.
   */
  async reentered(owner: string): Promise<void> {
    await changeShared<QuotaDocument, void>(this.storage, QUOTA_NAMESPACE, owner, (stored) => ({
      ...(stored ? { write: { ...stored, settled: stored.settled + 1 } } : {}),
      result: undefined,
    }));
  }

  /** Drops the leases of users who stopped submitting. */
  private forgetIdle(): void {
    const at = this.now();
    for (const [owner, lease] of this.leases) if (!lease.fetching && (lease.slots < 1 || lease.expires <= at)) this.leases.delete(owner);
  }
}
