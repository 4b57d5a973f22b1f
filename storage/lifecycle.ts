// The job lifecycle, written once for every provider: the only code that moves jobs between states.
// A job's state is the namespace that holds it; moves are exclusive, so every transition has exactly one
// winner, and a spooler whose lease was taken over cannot complete the job (fencing by document version).
// On a provider with transactions every transition is one transaction holding the job's move, its status, its event
// and its schedule entry (job-transitions.ts, atomic-transitions.ts, schedule.ts); elsewhere the same steps run in an
// order that readers and the next publisher repair after a crash (stepwise-transitions.ts, stepwise-publisher.ts,
// stepwise-schedule.ts, JobLookup.getStatus). Submission, reading jobs back and an administrator's purge and requeue
// have files of their own (job-submission.ts, job-lookup.ts, job-administration.ts).
import type { StorageProvider, StoredDocument, Transaction } from './contract.ts';
import { heldRecord, writeProjections } from './atomic-transitions.ts';
import { reschedule } from './schedule.ts';
import { ConflictError, NotFoundError } from '../schemas/errors.ts';
import { isJobId } from './keys.ts';
import { StepwisePublisher } from './stepwise-publisher.ts';
import { JobTransitions } from './job-transitions.ts';
import { StepwiseTransitions } from './stepwise-transitions.ts';
import { StepwiseSchedule } from './stepwise-schedule.ts';
import { type JobIndexEntry, type JobRecord, type JobState, type StatusRecord, FINAL_STATES, ns } from './records.ts';
import type { AttemptFailure } from './retries.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import { readRecordIn, setAsideIn } from './damaged.ts';
import { LeaseWitness } from './lease-witness.ts';
import type { ClaimedJob, EnqueueRequest, LifecycleOptions, LifecycleParts, RemovalOptions } from './lifecycle-types.ts';
import { enqueueJob } from './job-submission.ts';
import { JobLookup } from './job-lookup.ts';
import { JobAdministration } from './job-administration.ts';

export type { ClaimedJob, LifecycleOptions, RemovalOptions } from './lifecycle-types.ts';

export class JobLifecycle {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** What a lost lease means when the reaper knows no backend policy: retried at once, up to maxAttempts. */
  readonly leasePolicy: RetryPolicy;
  private readonly now: () => number;
  private readonly indexStorage: StorageProvider;
  private readonly indexProvider: string | undefined;
  private readonly publisher: StepwisePublisher;
  private readonly durable: boolean;
  private readonly transitions: JobTransitions;
  private readonly stepwise: StepwiseTransitions;
  private readonly schedule: StepwiseSchedule;
  private readonly witness: LeaseWitness | undefined;
  private readonly parts: LifecycleParts;
  private readonly lookup: JobLookup;
  private readonly administration: JobAdministration;

  constructor(
    readonly storage: StorageProvider,
    options: LifecycleOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.leasePolicy = { max_attempts: this.maxAttempts, base_delay_ms: 0, factor: 1, max_delay_ms: 0, exit_codes: [], timeouts: false, lease_expiry: true };
    this.now = options.now ?? Date.now;
    this.indexStorage = options.index?.storage ?? storage;
    this.indexProvider = options.index?.provider;
    this.publisher = new StepwisePublisher(storage, () => this.transitions.wallClock());
    this.durable = options.awaitDurability ?? true;
    const agingMs = options.agingMs ?? 60_000;
    this.transitions = new JobTransitions({ now: this.now, leaseMs: this.leaseMs, agingMs, ...(options.onSetAside ? { onSetAside: options.onSetAside } : {}) });
    this.schedule = new StepwiseSchedule(storage, this.now, agingMs, (...step) => this.stepwise.setAside(...step));
    this.witness = options.reaperClock && new LeaseWitness(this.leaseMs, options.reaperClock);
    this.stepwise = new StepwiseTransitions(storage, this.indexStorage, this.transitions, this.publisher, this.schedule, this.now);
    this.parts = {
      storage,
      indexStorage: this.indexStorage,
      indexProvider: this.indexProvider,
      now: this.now,
      transitions: this.transitions,
      stepwise: this.stepwise,
      schedule: this.schedule,
      publisher: this.publisher,
      transact: (work) => this.transact(work),
    };
    this.lookup = new JobLookup(this.parts);
    this.administration = new JobAdministration(this.parts, this.lookup);
  }

  /**
   * Stores a new job in the queue; once this resolves the job is durable (I1). The id and owner indexes are
   * written first: a crash in between leaves an entry that points nowhere (readers skip it), never a job that
   * cannot be found by id or is missing from its owner's list.
   */
  enqueue(request: EnqueueRequest): Promise<JobRecord> {
    return enqueueJob(this.parts, request);
  }

  /** Where a job lives and whose it is, by id alone; undefined for unknown or malformed ids. */
  async indexEntry(id: string): Promise<JobIndexEntry | undefined> {
    if (!isJobId(id)) return undefined;
    return (await this.indexStorage.get<JobIndexEntry>(ns.jobIndex, id))?.value;
  }

  /** Gives the oldest queued job of the backend to exactly one caller (I2, I3), or undefined if none is queued. */
  async claim(backend: string, holder: string): Promise<ClaimedJob | undefined> {
    if (this.storage.transaction) return this.transact((tx) => this.transitions.claimIn(tx, backend, holder));
    return this.stepwise.claim(backend, holder);
  }

  /**
   * Extends the lease. Resolves with the refreshed claim, whose record says whether a cancel was requested;
   * throws LeaseLostError when another spooler or the reaper has taken the job.
   */
  async renew(claim: ClaimedJob): Promise<ClaimedJob> {
    return this.stepwise.updateRunning(claim, (record) => ({
      ...record,
      lease: { ...record.lease!, expiresAt: this.now() + this.leaseMs },
    }));
  }

  /** Appends a line to the job's history while it runs (e.g. "Compilation done."). */
  async note(claim: ClaimedJob, line: string, meta?: Record<string, unknown>): Promise<ClaimedJob> {
    return this.stepwise.updateRunning(claim, (record) => ({
      ...record,
      detail: [...record.detail, line],
      ...(meta ? { meta: { ...record.meta, ...meta } } : {}),
    }));
  }

  /**
   * Publishes the result and marks the job DONE; only the current lease holder can do this (I6). `meta` (e.g. the
   * result's signature) is merged into the job's meta in the same write that makes it DONE.
   */
  async complete(claim: ClaimedJob, result: unknown, line = 'Done.', meta?: Record<string, unknown>): Promise<JobRecord> {
    return (await this.completeAndClaim(claim, { result, line, ...(meta ? { meta } : {}) })).record;
  }

  /**
   * complete(), then the next claim for `next.holder` when given: on a provider with transactions both are one
   * transaction, so a busy spooler commits (and waits for the store's flush) once per job, the way BullMQ's
   * moveToCompleted hands its worker the next job.
   */
  async completeAndClaim(
    claim: ClaimedJob,
    completion: { result: unknown; line?: string; meta?: Record<string, unknown> },
    next?: { holder: string },
  ): Promise<{ record: JobRecord; next?: ClaimedJob }> {
    const { backend, id, lease } = claim.record;
    const resultKey = `${id}-a${lease!.token}`;
    const changes = { resultKey, ...(completion.meta ? { meta: completion.meta } : {}) };
    const line = completion.line ?? 'Done.';
    if (this.storage.transaction) {
      return this.transact((tx) => {
        tx.put(ns.results(backend), resultKey, completion.result);
        const record = this.transitions.finishIn(tx, heldRecord(tx, claim), 'DONE', line, changes);
        const claimed = next && this.transitions.claimIn(tx, backend, next.holder);
        return claimed ? { record, next: claimed } : { record };
      });
    }
    const record = await this.stepwise.complete(claim, resultKey, completion.result, line, changes);
    const claimed = next && (await this.claim(backend, next.holder));
    return claimed ? { record, next: claimed } : { record };
  }

  /** Ends the job with ERROR, never retried (an invalid job). */
  async fail(claim: ClaimedJob, message: string): Promise<JobRecord> {
    return this.finish(claim, 'ERROR', message, { errorMessage: message });
  }

  /**
   * Records a failed attempt under the backend's retry policy: back to the queue with a not-before time, to the dead
   * letters once the attempts are used up, or ERROR for a failure the policy does not retry (storage/retries.ts). A
   * job whose cancel was requested meanwhile ends CANCELLED instead.
   */
  async failAttempt(claim: ClaimedJob, failure: AttemptFailure, policy: RetryPolicy): Promise<JobRecord> {
    if (this.storage.transaction) {
      return this.transact((tx) => {
        const held = heldRecord(tx, claim);
        if (held.record.cancelRequested) return this.transitions.finishIn(tx, held, 'CANCELLED', 'Cancelled while running.', {});
        return this.transitions.failIn(tx, held.version, this.transitions.failedAttempt(held.record, failure, policy));
      });
    }
    return this.stepwise.failAttempt(claim, failure, policy);
  }

  /** Ends a running job whose cancel was requested. */
  async acknowledgeCancel(claim: ClaimedJob): Promise<JobRecord> {
    return this.finish(claim, 'CANCELLED', 'Cancelled while running.', {});
  }

  /**
   * Hands a claimed job back to the queue without counting the attempt (graceful shutdown). A job whose cancel was
   * requested meanwhile ends CANCELLED instead: back in the queue, nothing would stop it from running again.
   */
  async release(claim: ClaimedJob, line?: string): Promise<void> {
    if (this.storage.transaction) {
      await this.transact((tx) => {
        const held = heldRecord(tx, claim);
        if (held.record.cancelRequested) return this.transitions.finishIn(tx, held, 'CANCELLED', 'Cancelled while running.', {});
        const record = this.transitions.released(held.record, line);
        tx.move(ns.running(record.backend), ns.queued(record.backend), record.id, { value: record, expectedVersion: held.version });
        reschedule(tx, record);
        writeProjections(tx, record, this.transitions.wallClock());
        return record;
      });
      return;
    }
    await this.stepwise.release(claim, line);
  }

  /**
   * Takes back jobs whose lease expired (their spooler died or hung) as failed attempts under `policy` (the backend's
   * own, from its spooler): back to the queue after the backoff, or dead-lettered once the attempts are used up.
   * Returns the ids it moved. `onExpired` hears of each expired job just before the write that takes it back: a
   * caller killed between that write and this method's return (a whole sweep later) has still left its record.
   */
  async requeueExpired(backend: string, policy: RetryPolicy = this.leasePolicy, onExpired?: (id: string) => void): Promise<string[]> {
    const sweep = async () => {
      const moved: string[] = [];
      let after: string | undefined;
      for (;;) {
        const keys = await this.storage.list(ns.running(backend), { limit: 100, ...(after ? { after } : {}) });
        for (const id of keys) if (await this.reclaim(backend, id, policy, onExpired)) moved.push(id);
        if (keys.length < 100) return moved;
        after = keys[keys.length - 1];
      }
    };
    return this.witness ? this.witness.sweep(backend, sweep) : sweep();
  }

  /** Whether a running job's lease has run out: by the clock of its holder and, with a witness, by this process's. */
  private leaseRanOut(record: JobRecord): boolean {
    const witnessed = this.witness?.unchangedForALease(record.backend, record.id, record.lease) ?? true;
    return this.transitions.expired(record) && witnessed;
  }

  private async reclaim(backend: string, id: string, policy: RetryPolicy, onExpired?: (id: string) => void): Promise<boolean> {
    if (this.storage.transaction) {
      return this.transact((tx) => {
        const current = readRecordIn(tx, ns.running(backend), id, backend, 'RUNNING');
        if (current === 'damaged') {
          setAsideIn(tx, ns.running(backend), id, backend, this.transitions.wallClock(), this.transitions.onSetAside);
          return false;
        }
        if (!current || !this.leaseRanOut(current.value)) return false;
        onExpired?.(id);
        this.transitions.failIn(tx, current.version, this.transitions.reclaimed(current.value, policy));
        return true;
      });
    }
    return this.stepwise.reclaim(backend, id, policy, (record) => this.leaseRanOut(record), onExpired);
  }

  /**
   * Cancels a job: a queued job is moved out of the queue at once (so it is never claimed, I7); a running job is
   * flagged and its spooler stops at its next check. Finished jobs answer ConflictError.
   */
  async cancel(backend: string, id: string): Promise<JobState> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      if (this.storage.transaction) {
        const outcome = await this.transact((tx) => this.transitions.cancelIn(tx, backend, id));
        if (outcome) return outcome;
        await this.cancelRefusal(backend, id);
        continue;
      }
      const outcome = await this.stepwise.cancel(backend, id);
      if (outcome === 'raced') continue;
      if (outcome !== 'elsewhere') return outcome;
      await this.cancelRefusal(backend, id);
    }
    throw new ConflictError(`Job ${id} kept changing state; try again`);
  }

  /** Why a job that is neither queued nor running cannot be cancelled (resolves when it has just started running). */
  private async cancelRefusal(backend: string, id: string): Promise<void> {
    const found = await this.find(backend, id);
    if (!found) throw new NotFoundError(`Job ${id} not found`);
    if (FINAL_STATES.includes(found.value.state)) {
      // The state in details too: a repeated cancel (a client's retry) tells "already CANCELLED" from DONE without parsing.
      throw new ConflictError(`Job ${id} has already finished (${found.value.state})`, 'job_finished', { status: found.value.state });
    }
  }

  /** The job record wherever it is, looking where its status says first. */
  find(backend: string, id: string): Promise<StoredDocument<JobRecord> | undefined> {
    return this.lookup.find(backend, id);
  }

  /** The job's status projection, republished from the record when a crash left it a step behind (job-lookup.ts). */
  getStatus(backend: string, id: string): Promise<StatusRecord | undefined> {
    return this.lookup.getStatus(backend, id);
  }

  /** The result of a DONE job, or undefined. */
  getResult(record: JobRecord): Promise<unknown> {
    return this.lookup.getResult(record);
  }

  /** Removes every trace of a job that is not running; with `deadLettered`, only of a dead letter (job-administration.ts). */
  purge(backend: string, id: string, options: RemovalOptions = {}): Promise<void> {
    return this.administration.purge(backend, id, options);
  }

  /** Puts a finished job back in the queue: an administrator's retry (job-administration.ts). */
  requeue(backend: string, id: string, options: RemovalOptions = {}): Promise<JobRecord> {
    return this.administration.requeue(backend, id, options);
  }

  /** Dead-lettered job ids, oldest first, one page at a time. */
  async listDeadLetters(backend: string, options: { after?: string; limit?: number } = {}): Promise<string[]> {
    return this.storage.list(ns.dead(backend), options);
  }

  /** Queued job ids in claim order (oldest first), one page at a time. */
  async listQueued(backend: string, options: { after?: string; limit?: number } = {}): Promise<string[]> {
    return this.storage.list(ns.queued(backend), options);
  }

  private async finish(
    claim: ClaimedJob,
    state: JobState,
    line: string,
    changes: Partial<JobRecord>,
  ): Promise<JobRecord> {
    if (this.storage.transaction) return this.transact((tx) => this.transitions.finishIn(tx, heldRecord(tx, claim), state, line, changes));
    return this.stepwise.finish(claim, state, line, changes);
  }

  /** Records a transition's event and status after its move (providers without transactions; see StepwisePublisher). */
  async publishStatus(record: JobRecord, previous?: JobRecord): Promise<void> {
    await this.publisher.publish(record, previous);
  }

  /** One transition as one transaction, resolved when durable or when committed (see awaitDurability). */
  private transact<T>(work: (tx: Transaction) => T): Promise<T> {
    return this.storage.transaction!(work, { durable: this.durable });
  }

}
