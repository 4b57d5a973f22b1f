// The per-user quota of queued jobs, without counting the user's queue on every submission. Counting reads index
// entries and statuses (up to the limit) and was most of a submission's cost under load, so a count is reused for a
// moment and every job this server enqueues since is added to it. Jobs that left the queue meanwhile only make the
// reused figure too high, so a submission it would refuse is first checked against a fresh count: the answer at
// the limit is exact, and below it a stale count can only be stricter. Another server's submissions are seen at the
// next count, which keeps the quota the soft bound it always was under concurrent submissions.
import { QuotaExceededError } from '../../schemas/errors.ts';
import type { JobIndex } from './job-index.ts';

/** How long a count is reused. */
const RECOUNT_AFTER_MS = 2000;

interface Count {
  at: number;
  /** Shared by concurrent submissions, so a burst counts once. */
  counted: Promise<number>;
  enqueuedSince: number;
}

export class QueueQuota {
  private readonly counts = new Map<string, Count>();

  constructor(
    private readonly index: JobIndex,
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws QuotaExceededError when the user already has `limit` queued jobs. */
  async assertRoom(owner: string): Promise<void> {
    const known = this.counts.get(owner);
    const reusable = known && this.now() - known.at < RECOUNT_AFTER_MS ? known : undefined;
    if (reusable && (await reusable.counted) + reusable.enqueuedSince < this.limit) return;
    const fresh = this.recount(owner);
    if ((await fresh.counted) >= this.limit) {
      throw new QuotaExceededError(`You have ${this.limit} queued jobs, the most allowed; wait for some to run or cancel them`, { limit: this.limit });
    }
  }

  /** A job of the user was enqueued by this server. */
  enqueued(owner: string): void {
    const known = this.counts.get(owner);
    if (known) known.enqueuedSince += 1;
  }

  private recount(owner: string): Count {
    const count: Count = { at: this.now(), counted: this.index.countQueued(owner, this.limit), enqueuedSince: 0 };
    this.forgetStale();
    this.counts.set(owner, count);
    // A failed count (storage outage) is not reused.
    count.counted.catch(() => this.counts.get(owner) === count && this.counts.delete(owner));
    return count;
  }

  /** Keeps the map to the users who submitted recently. */
  private forgetStale(): void {
    const cutoff = this.now() - RECOUNT_AFTER_MS;
    for (const [owner, count] of this.counts) if (count.at < cutoff) this.counts.delete(owner);
  }
}
