// Job transitions on providers without transactions (S3, Dropbox, MongoDB): each is an exclusive move fenced by the
// record's version, then the transition's event and status (stepwise-publisher.ts), in the order that readers and the
// next publisher repair after a crash. lifecycle.ts calls these wherever the provider offers no transaction; the
// running record's own updates (renewals, notes) are single-document writes and go through here on every provider.
import type { StorageProvider } from './contract.ts';
import { LeaseLostError } from '../schemas/errors.ts';
import type { JobTransitions } from './job-transitions.ts';
import type { ClaimedJob } from './lifecycle.ts';
import { type JobRecord, type JobState, ns, placeOf, stateNamespace } from './records.ts';
import { type AttemptFailure, isDue } from './retries.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import { isRaceLoss, type StepwisePublisher } from './stepwise-publisher.ts';

/**
 * Keys a claim lists: first one (the oldest job is usually ours), then pages of 16 once a race was lost (other
 * spoolers are taking the oldest ones).
 */
const FIRST_CLAIM_PAGE = 1;
const CLAIM_PAGE = 16;

/** What one attempt to cancel found: done, a race lost (try again), or a job neither queued nor running. */
export type CancelAttempt = JobState | 'raced' | 'elsewhere';

export class StepwiseTransitions {
  constructor(
    private readonly storage: StorageProvider,
    private readonly transitions: JobTransitions,
    private readonly publisher: StepwisePublisher,
    private readonly now: () => number,
  ) {}

  /** The oldest due job of the queue, for exactly one caller; later keys when the first are lost to others. */
  async claim(backend: string, holder: string): Promise<ClaimedJob | undefined> {
    let after: string | undefined;
    for (let limit = FIRST_CLAIM_PAGE; ; limit = CLAIM_PAGE) {
      const keys = await this.storage.list(ns.queued(backend), { limit, ...(after ? { after } : {}) });
      for (const key of keys) {
        const claimed = await this.tryClaim(backend, key, holder);
        if (claimed) return claimed;
      }
      if (keys.length < limit) return undefined;
      after = keys[keys.length - 1];
    }
  }

  private async tryClaim(backend: string, id: string, holder: string): Promise<ClaimedJob | undefined> {
    const current = await this.storage.get<JobRecord>(ns.queued(backend), id);
    // A retried job waiting out its backoff is passed over: the claim goes on to the next key.
    if (!current || !isDue(current.value, this.now())) return undefined;
    const record = this.transitions.claimed(current.value, holder);
    try {
      const version = await this.storage.move(ns.queued(backend), ns.running(backend), id, {
        value: record,
        expectedVersion: current.version,
      });
      await this.publisher.publish(record, current.value);
      return { record, version };
    } catch (error) {
      if (isRaceLoss(error)) return undefined;
      throw error;
    }
  }

  /** The result first, then DONE; a holder that lost its lease takes its result back out. */
  async complete(claim: ClaimedJob, resultKey: string, result: unknown, line: string, changes: Partial<JobRecord>): Promise<JobRecord> {
    const { backend } = claim.record;
    await this.storage.put(ns.results(backend), resultKey, result);
    try {
      return await this.finish(claim, 'DONE', line, changes);
    } catch (error) {
      if (error instanceof LeaseLostError) await this.storage.delete(ns.results(backend), resultKey);
      throw error;
    }
  }

  /** Moves the held job out of `running` into `state`'s namespace. */
  async finish(claim: ClaimedJob, state: JobState, line: string, changes: Partial<JobRecord>): Promise<JobRecord> {
    const { backend, id } = claim.record;
    let moved: JobRecord | undefined;
    let from: JobRecord | undefined;
    await this.moveFenced(claim, ns.running(backend), stateNamespace(state, backend), id, (latest) => {
      const { lease: _lease, ...rest } = latest;
      from = latest;
      moved = this.transitions.advance(rest, state, line, changes);
      return moved;
    });
    await this.publisher.publish(moved!, from);
    return moved!;
  }

  async failAttempt(claim: ClaimedJob, failure: AttemptFailure, policy: RetryPolicy): Promise<JobRecord> {
    const held = await this.current(claim);
    if (held.record.cancelRequested) return this.finish(held, 'CANCELLED', 'Cancelled while running.', {});
    const { backend, id } = claim.record;
    let moved = this.transitions.failedAttempt(held.record, failure, policy);
    await this.moveFenced(held, ns.running(backend), placeOf(moved), id, (latest) => (moved = this.transitions.failedAttempt(latest, failure, policy)));
    await this.publisher.publish(moved, held.record);
    return moved;
  }

  async release(claim: ClaimedJob): Promise<void> {
    for (let held = claim; ; held = await this.current(held)) {
      if (held.record.cancelRequested) {
        await this.finish(held, 'CANCELLED', 'Cancelled while running.', {});
        return;
      }
      const record = this.transitions.released(held.record);
      try {
        await this.storage.move(ns.running(record.backend), ns.queued(record.backend), record.id, { value: record, expectedVersion: held.version });
      } catch (error) {
        if (isRaceLoss(error)) continue;
        throw error;
      }
      await this.publisher.publish(record, held.record);
      return;
    }
  }

  /** Takes back one job whose lease expired; false when it had not expired or another process took it first. */
  async reclaim(backend: string, id: string, policy: RetryPolicy): Promise<boolean> {
    const current = await this.storage.get<JobRecord>(ns.running(backend), id);
    if (!current || !this.transitions.expired(current.value)) return false;
    const record = this.transitions.reclaimed(current.value, policy);
    try {
      await this.storage.move(ns.running(backend), placeOf(record), id, {
        value: record,
        expectedVersion: current.version,
      });
    } catch (error) {
      if (isRaceLoss(error)) return false;
      throw error;
    }
    await this.publisher.publish(record, current.value);
    return true;
  }

  /** One attempt to cancel: a queued job leaves the queue at once, a running one is flagged for its spooler. */
  async cancel(backend: string, id: string): Promise<CancelAttempt> {
    const queued = await this.storage.get<JobRecord>(ns.queued(backend), id);
    if (queued) {
      const record = this.transitions.cancelledBeforeRun(queued.value);
      try {
        await this.storage.move(ns.queued(backend), ns.deleted(backend), id, {
          value: record,
          expectedVersion: queued.version,
        });
        await this.publisher.publish(record, queued.value);
        return 'CANCELLED';
      } catch (error) {
        if (!isRaceLoss(error)) throw error;
        return 'raced';
      }
    }
    const running = await this.storage.get<JobRecord>(ns.running(backend), id);
    if (!running) return 'elsewhere';
    if (running.value.cancelRequested) return 'RUNNING';
    try {
      await this.storage.replace(ns.running(backend), id, this.transitions.cancelRequested(running.value), running.version);
      return 'RUNNING';
    } catch (error) {
      if (!isRaceLoss(error)) throw error;
      return 'raced';
    }
  }

  /** An administrator's requeue of a finished job: false when the job changed meanwhile. */
  async requeue(from: string, record: JobRecord, expectedVersion: string, resultKey: string | undefined): Promise<boolean> {
    try {
      await this.storage.move(from, ns.queued(record.backend), record.id, { value: record, expectedVersion });
    } catch (error) {
      if (isRaceLoss(error)) return false;
      throw error;
    }
    await this.publisher.publish(record);
    if (resultKey) await this.storage.delete(ns.results(record.backend), resultKey);
    return true;
  }

  /** Re-reads the running record when only its cancel flag changed, so a cancel request never breaks the fence. */
  async current(claim: ClaimedJob): Promise<ClaimedJob> {
    const latest = await this.storage.get<JobRecord>(ns.running(claim.record.backend), claim.record.id);
    const mine = claim.record.lease!;
    const theirs = latest?.value.lease;
    if (!latest || !theirs || theirs.holder !== mine.holder || theirs.token !== mine.token) {
      throw new LeaseLostError(claim.record.id);
    }
    return { record: latest.value, version: latest.version };
  }

  /** Rewrites the held running record (one document, so on every provider), re-reading it after a cancel flag. */
  async updateRunning(claim: ClaimedJob, change: (record: JobRecord) => JobRecord): Promise<ClaimedJob> {
    for (let held = claim; ; held = await this.current(held)) {
      const record = change(held.record);
      try {
        const version = await this.storage.replace(ns.running(record.backend), record.id, record, held.version);
        return { record, version };
      } catch (error) {
        if (!isRaceLoss(error)) throw error;
      }
    }
  }

  private async moveFenced(
    claim: ClaimedJob,
    from: string,
    to: string,
    id: string,
    next: (latest: JobRecord) => JobRecord,
  ): Promise<void> {
    for (let held = claim; ; held = await this.current(held)) {
      try {
        await this.storage.move(from, to, id, { value: next(held.record), expectedVersion: held.version });
        return;
      } catch (error) {
        if (!isRaceLoss(error)) throw error;
      }
    }
  }
}
