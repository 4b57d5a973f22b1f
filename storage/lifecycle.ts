// The job lifecycle, written once for every provider: the only code that moves jobs between states.
// A job's state is the namespace that holds it; moves are exclusive, so every transition has exactly one
// winner, and a spooler whose lease was taken over cannot complete the job (fencing by document version).
// On a provider with transactions every transition is one transaction holding the job's move, its status, its event
// and its schedule entry (job-transitions.ts, atomic-transitions.ts, schedule.ts); elsewhere the same steps run in an
// order that readers and the next publisher repair after a crash (stepwise-transitions.ts, stepwise-publisher.ts,
// stepwise-schedule.ts, getStatus).
import type { StorageProvider, StoredDocument, Transaction } from './contract.ts';
import { heldRecord, statusOf, writeProjections } from './atomic-transitions.ts';
import { reschedule, schedule } from './schedule.ts';
import { ConflictError, InvalidKeyError, NotDeadLetteredError, NotFoundError } from '../schemas/errors.ts';
import { assertKey, isJobId, newJobId } from './keys.ts';
import { isRaceLoss, StepwisePublisher } from './stepwise-publisher.ts';
import { JobTransitions } from './job-transitions.ts';
import { StepwiseTransitions } from './stepwise-transitions.ts';
import { StepwiseSchedule } from './stepwise-schedule.ts';
import {
  type JobIndexEntry,
  type JobRecord,
  type JobState,
  type StatusRecord,
  FINAL_STATES,
  ns,
  placeOf,
  stateNamespace,
} from './records.ts';
import { type AttemptFailure, revived } from './retries.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import { isJobRecord, isSetAside, isStatusRecord, readIndexed, readRecordIn, setAsideIn, standInIn, type SetAsideListener } from './damaged.ts';
import { removeJob } from './job-removal.ts';
import { LeaseWitness } from './lease-witness.ts';

export interface EnqueueRequest {
  backend: string;
  owner: string;
  payload: unknown;
  meta?: Record<string, unknown>;
  /** An id chosen in advance (idempotent submission records it before enqueueing); a fresh one otherwise. */
  id?: string;
  /** The owner's fair-share weight (storage/schedule.ts); 1 when absent. */
  weight?: number;
}

/** What an administrator's purge or requeue insists on finding when it acts. */
export interface RemovalOptions {
  /** The job must be a dead letter (the dead-letter operations): another admin may have requeued it since it was shown. */
  deadLettered?: boolean;
}

/** A claimed job as its spooler sees it; `version` is the fencing check for every later write. */
export interface ClaimedJob {
  record: JobRecord;
  version: string;
}

export interface LifecycleOptions {
  /** How long a claim lasts without renewal. */
  leaseMs?: number;
  /** Claims after which a job whose lease expired is dead-lettered, when the reaper is given no retry policy. */
  maxAttempts?: number;
  now?: () => number;
  /**
   * Where the id and owner indexes go, and the provider name their entries carry. The server keeps the indexes of
   * every provider's jobs on its own storage, so a job is found by id and a user's jobs are listed in one place
   * whichever lab holds them; without this option they sit beside the jobs.
   */
  index?: { storage: StorageProvider; provider: string };
  /**
   * Whether transitions resolve only once durable (default) or once committed, on providers with transactions. A
   * spooler's transitions are acknowledged to nobody (readers see them at commit either way), so spoolers go on at
   * commit and the store's next flush makes them durable; a power cut in between re-runs the job, as it would if it
   * struck mid-run. Submissions always wait: their 2xx promises durability.
   */
  awaitDurability?: boolean;
  /** How long a job waits at the head of its priority band to gain one level (storage/schedule.ts). */
  agingMs?: number;
  /** Told of each damaged document a claim or the lease reaper set aside (damaged.ts). */
  onSetAside?: SetAsideListener;
  /**
   * The reaper's own monotonic clock (spoolers give `performance.now`). With it, a lease counts as expired only once
   * this process has also seen it unchanged for a whole lease (lease-witness.ts), so clock skew between hosts cannot
   * make a healthy job run twice. Without it (tests with a fake clock), the expiry the holder wrote decides alone.
   */
  reaperClock?: () => number;
}

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
  }

  /**
   * Stores a new job in the queue; once this resolves the job is durable (I1). The id and owner indexes are
   * written first: a crash in between leaves an entry that points nowhere (readers skip it), never a job that
   * cannot be found by id or is missing from its owner's list.
   */
  async enqueue(request: EnqueueRequest): Promise<JobRecord> {
    assertKey(request.backend);
    if (request.id !== undefined && !isJobId(request.id)) throw new InvalidKeyError(`Invalid job id ${JSON.stringify(request.id)}`);
    const at = new Date(this.now()).toISOString();
    const record: JobRecord = {
      id: request.id ?? newJobId(this.now()),
      backend: request.backend,
      owner: request.owner,
      state: 'QUEUED',
      payload: request.payload,
      createdAt: at,
      timestamps: { QUEUED: at },
      attempts: 0,
      seq: 1,
      detail: ['Got your json.', 'Passed json sanity check.', 'Waiting in the queue.'],
      ...(request.meta ? { meta: request.meta } : {}),
      ...(request.weight === undefined || request.weight === 1 ? {} : { weight: request.weight }),
    };
    const entry: JobIndexEntry = {
      backend: record.backend,
      owner: record.owner,
      ...(this.indexProvider === undefined ? {} : { provider: this.indexProvider }),
      createdAt: at,
      ...(request.meta ? { meta: request.meta } : {}),
    };
    const indexInto = (tx: Transaction) => {
      tx.put(ns.jobIndex, record.id, entry);
      tx.put(ns.ownerIndex(record.owner), record.id, entry);
    };
    const queueInto = (tx: Transaction) => {
      record.schedule = schedule(tx, record);
      tx.put(ns.queued(record.backend), record.id, record, { ifAbsent: true });
      writeProjections(tx, record, this.transitions.wallClock());
    };
    if (this.storage.transaction && this.indexStorage === this.storage) {
      await this.storage.transaction((tx) => {
        indexInto(tx);
        queueInto(tx);
      });
      return record;
    }
    if (this.indexStorage.transaction) await this.indexStorage.transaction(indexInto);
    else {
      await Promise.all([
        this.indexStorage.put(ns.jobIndex, record.id, entry),
        this.indexStorage.put(ns.ownerIndex(record.owner), record.id, entry),
      ]);
    }
    if (this.storage.transaction) await this.storage.transaction(queueInto);
    else {
      // The record before its entry: an entry always names a job that was written (stepwise-schedule.ts).
      record.schedule = await this.schedule.place(record);
      await this.storage.put(ns.queued(record.backend), record.id, record, { ifAbsent: true });
      await Promise.all([this.schedule.enter(record), this.publishStatus(record)]);
    }
    return record;
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
  async find(backend: string, id: string): Promise<StoredDocument<JobRecord> | undefined> {
    if (!isJobId(id)) return undefined;
    const status = await this.readStatus(backend, id);
    const order: JobState[] = ['QUEUED', 'RUNNING', 'DONE', 'ERROR'];
    if (status) order.unshift(status.status);
    const seen = new Set<string>();
    for (const state of order) {
      const namespace = stateNamespace(state, backend);
      if (seen.has(namespace)) continue;
      seen.add(namespace);
      const found = await this.storage.get<JobRecord>(namespace, id);
      if (found) return found;
    }
    return (await this.storage.get<JobRecord>(ns.dead(backend), id)) ?? this.standIn(backend, id);
  }

  /**
   * A job whose document was set aside as damaged without its stand-in (a process that died between the two steps,
   * or a document set aside before stand-ins existed): written now, and read back where it was written (by this
   * process or by another that raced it there).
   */
  private async standIn(backend: string, id: string): Promise<StoredDocument<JobRecord> | undefined> {
    if (!(await isSetAside(this.storage, backend, id))) return undefined;
    const at = this.transitions.wallClock();
    if (this.storage.transaction) {
      const indexed = await readIndexed(this.indexStorage, id);
      await this.transact((tx) => standInIn(tx, backend, id, at, indexed));
    } else await this.stepwise.standIn(backend, id);
    return this.storage.get<JobRecord>(stateNamespace('ERROR', backend), id);
  }

  /**
   * The job's status projection. It is written just after each move, so a process that dies in between leaves it a
   * step behind (a job DONE while its status says RUNNING, for good): a status that is not final is checked against
   * the namespace it names and, if the job has moved on, republished from the job record. This costs one extra
   * read while a job is queued or running.
   */
  async getStatus(backend: string, id: string): Promise<StatusRecord | undefined> {
    if (!isJobId(id)) return undefined;
    const stored = await this.storage.get<unknown>(ns.status(backend), id);
    if (stored && !isStatusRecord(stored.value, id)) return this.statusFromRecord(backend, id);
    const status = stored?.value as StatusRecord | undefined;
    // With transactions the status is written with every move: it cannot lag behind.
    if (!status || this.storage.transaction || FINAL_STATES.includes(status.status)) return status;
    if (await this.storage.get(stateNamespace(status.status, backend), id)) return status;
    // Found nowhere: a purge that stopped between removing the job and its status (a crash), or a job that moved
    // between two reads of one look, which a second look finds. A purged job's status names nothing: none is
    // answered, so lists and queue quotas leave it out instead of showing a queued job that cannot be opened.
    const found = (await this.find(backend, id)) ?? (await this.find(backend, id));
    if (!found) return undefined;
    if (found.value.seq <= status.seq) return status;
    await this.publishStatus(found.value);
    return this.readStatus(backend, id);
  }

  /** The status projection; undefined when there is none or it is damaged (readers then go by the record). */
  private async readStatus(backend: string, id: string): Promise<StatusRecord | undefined> {
    if (!isJobId(id)) return undefined;
    const value = (await this.storage.get<unknown>(ns.status(backend), id))?.value;
    return isStatusRecord(value, id) ? value : undefined;
  }

  /** A damaged status document's job as its record says it is. */
  private async statusFromRecord(backend: string, id: string): Promise<StatusRecord | undefined> {
    const found = await this.find(backend, id);
    const state = (found?.value as { state?: JobState } | undefined)?.state;
    return found && state && isJobRecord(found.value, id, backend, state) ? statusOf(found.value) : undefined;
  }

  /** The result of a DONE job, or undefined. */
  async getResult(record: JobRecord): Promise<unknown> {
    if (record.state !== 'DONE' || !record.resultKey) return undefined;
    return (await this.storage.get(ns.results(record.backend), record.resultKey))?.value;
  }

  /**
   * Removes every trace of a job that is not running; with `deadLettered`, only of a dead letter (NotDeadLetteredError
   * otherwise), checked at the version removed, so a job another admin requeued meanwhile is left alone.
   */
  async purge(backend: string, id: string, options: RemovalOptions = {}): Promise<void> {
    // The job is removed at the version it was found at: a job that moved meanwhile (cancelled, requeued, claimed)
    // is looked up again, so a purge never reports success over a job that lives on elsewhere.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const found = await this.find(backend, id);
      if (!found) throw new NotFoundError(`Job ${id} not found`);
      if (options.deadLettered && !found.value.deadLetter) throw new NotDeadLetteredError(id, found.value.state);
      if (found.value.state === 'RUNNING') throw new ConflictError(`Job ${id} is running; cancel it first`, 'job_running');
      if (await removeJob(this.storage, this.indexStorage, found)) {
        // With transactions the removal gave the queued job's time back itself.
        if (!this.storage.transaction && found.value.state === 'QUEUED') await this.schedule.giveBack(found.value);
        return;
      }
    }
    throw new ConflictError(`Job ${id} kept changing while it was being deleted; try again`, 'job_busy');
  }

  /**
   * Puts a finished job (DONE, ERROR, CANCELLED) back in the queue: an administrator's retry. The attempt counter is
   * kept, so lease tokens (and the result keys made from them) never repeat and a spooler from an earlier life of
   * the job stays fenced out. The old result is removed after the move: a crash in between leaves an orphaned
   * result, never a job outside its state namespaces. The job keeps its id, so it runs before later submissions.
   * With `deadLettered`, only a dead letter is requeued (NotDeadLetteredError otherwise), checked at the version
   * moved: a dead letter another admin requeued meanwhile, which may have run since, is not run again.
   */
  async requeue(backend: string, id: string, options: RemovalOptions = {}): Promise<JobRecord> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const found = await this.find(backend, id);
      if (!found) throw new NotFoundError(`Job ${id} not found`);
      if (options.deadLettered && !found.value.deadLetter) throw new NotDeadLetteredError(id, found.value.state);
      const { state } = found.value;
      if (!FINAL_STATES.includes(state)) throw new ConflictError(`Job ${id} is ${state}; only finished jobs can be requeued`, 'job_not_finished');
      if (found.value.setAside) {
        throw new ConflictError(`Job ${id} cannot run again: its stored document was damaged and is set aside for an operator`, 'job_damaged');
      }
      const { lease: _lease, cancelRequested: _cancel, errorMessage: _error, resultKey, ...rest } = revived(found.value);
      const from = placeOf(found.value);
      const was = found.value.deadLetter ? 'dead-lettered' : state;
      // The timeline starts over: timestamps of the previous run would read as this run's. So do the attempts.
      const record = this.transitions.advance({ ...rest, timestamps: {} }, 'QUEUED', `Requeued by an administrator (was ${was}).`);
      if (this.storage.transaction) {
        const requeued = await this.storage
          .transaction((tx) => {
            tx.move(from, ns.queued(backend), id, { value: record, expectedVersion: found.version });
            reschedule(tx, record);
            writeProjections(tx, record, this.transitions.wallClock());
            if (resultKey) tx.delete(ns.results(backend), resultKey);
            return true;
          })
          .catch((error: unknown) => {
            if (isRaceLoss(error)) return false;
            throw error;
          });
        if (requeued) return record;
        continue;
      }
      if (await this.stepwise.requeue(from, found.value, record, found.version, resultKey)) return record;
    }
    throw new ConflictError(`Job ${id} kept changing state; try again`);
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
