// Job transitions on providers without transactions (S3, Dropbox, MongoDB): each is an exclusive move fenced by the
// record's version, then the transition's event and status (stepwise-publisher.ts), in the order that readers and the
// next publisher repair after a crash. The lifecycle (lifecycle.ts, job-lookup.ts, job-administration.ts) calls these
// wherever the provider offers no transaction; the running record's own updates (renewals, notes) are single-document
// writes and go through here on every provider.
import type { StorageProvider, StoredDocument } from './contract.ts';
import { LeaseLostError } from '../schemas/errors.ts';
import type { JobTransitions } from './job-transitions.ts';
import type { ClaimedJob } from './lifecycle-types.ts';
import { type JobRecord, type JobState, ns, placeOf, stateNamespace } from './records.ts';
import { type AttemptFailure, isDue } from './retries.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import { isRaceLoss, type StepwisePublisher } from './stepwise-publisher.ts';
import type { StepwiseSchedule } from './stepwise-schedule.ts';
import { bandOfKey, entryKeyOf, jobIdOf } from './schedule.ts';
import { isJobRecord, setAside, standIn, type SetAsideStep } from './damaged.ts';

/** What one attempt to cancel found: done, a race lost (try again), or a job neither queued nor running. */
export type CancelAttempt = JobState | 'raced' | 'elsewhere';

export class StepwiseTransitions {
  constructor(
    private readonly storage: StorageProvider,
    /** Where the job index lives (the stand-in of a damaged job takes its submission's facts from it). */
    private readonly indexStorage: StorageProvider,
    private readonly transitions: JobTransitions,
    private readonly publisher: StepwisePublisher,
    private readonly schedule: StepwiseSchedule,
    private readonly now: () => number,
  ) {}

  /** Sets a damaged document aside and puts its job's stand-in in its place (damaged.ts). */
  readonly setAside: SetAsideStep = async (from, found, key, backend) => {
    if (!(await setAside(this.storage, from, found, key, backend, this.transitions.onSetAside))) return false;
    await this.standIn(backend, key);
    return true;
  };

  /** Writes the stand-in of a job whose document lies among the damaged ones, if it needs one. */
  standIn(backend: string, id: string): Promise<void> {
    return standIn(this.storage, this.indexStorage, (record) => this.publisher.publish(record), backend, id, this.transitions.wallClock());
  }

  /**
   * The job the schedule gives out next, for exactly one caller. Entries whose job another spooler took first, or
   * that wait out a retry's backoff, are passed over; entries whose job left the queue are dropped.
   */
  async claim(backend: string, holder: string): Promise<ClaimedJob | undefined> {
    await this.schedule.repair(backend);
    const passed = new Map<number, string>();
    for (let repaired = false; ; ) {
      const key = await this.schedule.next(backend, passed);
      if (key === undefined) {
        // An empty schedule beside a queue that is not: jobs whose entries a crash lost, or queued before scheduling.
        if (passed.size > 0 || repaired) return undefined;
        repaired = true;
        if ((await this.schedule.repair(backend, true)) === 0) return undefined;
        continue;
      }
      passed.set(bandOfKey(key), key);
      const current = await this.storage.get<JobRecord>(ns.queued(backend), jobIdOf(key));
      if (current && !isJobRecord(current.value, jobIdOf(key), backend, 'QUEUED')) {
        await this.setAside(ns.queued(backend), current, jobIdOf(key), backend);
        await this.schedule.drop(backend, key);
      } else if (!current || entryKeyOf(current.value) !== key) await this.schedule.drop(backend, key);
      else if (isDue(current.value, this.now())) {
        const claimed = await this.tryClaim(current, holder);
        if (claimed) {
          await Promise.all([this.publisher.publish(claimed.record, current.value), this.schedule.taken(backend, key), this.schedule.undefer(current.value)]);
          return claimed;
        }
      }
    }
  }

  private async tryClaim(current: StoredDocument<JobRecord>, holder: string): Promise<ClaimedJob | undefined> {
    const record = this.transitions.claimed(current.value, holder);
    try {
      const version = await this.storage.move(ns.queued(record.backend), ns.running(record.backend), record.id, {
        value: record,
        expectedVersion: current.version,
      });
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

  /**
   * A failed attempt, or CANCELLED when a cancel was requested: checked again on every retry of the move, since a
   * cancel that lands between the read and the move is what makes the move lose (the place depends on the outcome).
   */
  async failAttempt(claim: ClaimedJob, failure: AttemptFailure, policy: RetryPolicy): Promise<JobRecord> {
    for (let held = await this.current(claim); ; held = await this.current(held)) {
      if (held.record.cancelRequested) return this.finish(held, 'CANCELLED', 'Cancelled while running.', {});
      const moved = this.transitions.failedAttempt(held.record, failure, policy);
      try {
        await this.storage.move(ns.running(moved.backend), placeOf(moved), moved.id, { value: moved, expectedVersion: held.version });
      } catch (error) {
        if (isRaceLoss(error)) continue;
        throw error;
      }
      await this.publisher.publish(moved, held.record);
      await this.requeued(moved);
      return moved;
    }
  }

  async release(claim: ClaimedJob, line?: string): Promise<void> {
    for (let held = claim; ; held = await this.current(held)) {
      if (held.record.cancelRequested) {
        await this.finish(held, 'CANCELLED', 'Cancelled while running.', {});
        return;
      }
      const record = this.transitions.released(held.record, line);
      try {
        await this.storage.move(ns.running(record.backend), ns.queued(record.backend), record.id, { value: record, expectedVersion: held.version });
      } catch (error) {
        if (isRaceLoss(error)) continue;
        throw error;
      }
      await this.publisher.publish(record, held.record);
      await this.schedule.enter(record);
      return;
    }
  }

  /** Takes back one job whose lease expired; false when it had not expired or another process took it first. */
  async reclaim(
    backend: string,
    id: string,
    policy: RetryPolicy,
    leaseRanOut: (record: JobRecord) => boolean,
    onExpired?: (id: string) => void,
  ): Promise<boolean> {
    const current = await this.storage.get<JobRecord>(ns.running(backend), id);
    if (current && !isJobRecord(current.value, id, backend, 'RUNNING')) {
      await this.setAside(ns.running(backend), current, id, backend);
      return false;
    }
    if (!current || !leaseRanOut(current.value)) return false;
    onExpired?.(id);
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
    await this.requeued(record);
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
        await Promise.all([this.schedule.leave(queued.value), this.schedule.giveBack(queued.value)]);
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

  /**
   * An administrator's requeue of a finished job (`previous`, at `expectedVersion`): false when the job changed
   * meanwhile. Published from `previous`, so a finish whose process has not published it yet still gets its event.
   */
  async requeue(from: string, previous: JobRecord, record: JobRecord, expectedVersion: string, resultKey: string | undefined): Promise<boolean> {
    try {
      await this.storage.move(from, ns.queued(record.backend), record.id, { value: record, expectedVersion });
    } catch (error) {
      if (isRaceLoss(error)) return false;
      throw error;
    }
    await this.publisher.publish(record, previous);
    await this.schedule.enter(record);
    if (resultKey) await this.storage.delete(ns.results(record.backend), resultKey);
    return true;
  }

  /** A job a failed attempt or an expired lease left queued gets its entry back (it keeps its place). */
  private async requeued(record: JobRecord): Promise<void> {
    if (placeOf(record) === ns.queued(record.backend)) await Promise.all([this.schedule.enter(record), this.schedule.defer(record)]);
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
