// How each job transition changes a record, and the transitions written inside one transaction (providers with
// transactions). Pure with respect to storage: the lifecycle (lifecycle.ts) decides when and where they run.
import type { StoredDocument, Transaction } from './contract.ts';
import { writeProjections } from './atomic-transitions.ts';
import { assertKey } from './keys.ts';
import type { ClaimedJob } from './lifecycle-types.ts';
import { type JobRecord, type JobState, ns, placeOf, stateNamespace } from './records.ts';
import { giveBack, jobIdOf, nextEntry, scheduleNs, taken, unschedule } from './schedule.ts';
import { promoteDue, requeueIn, undefer } from './deferral.ts';
import { type AttemptFailure, afterFailedAttempt, attemptsUsed, isDue } from './retries.ts';
import { readRecordIn, setAsideIn, type SetAsideListener } from './damaged.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';

export interface TransitionSettings {
  now: () => number;
  leaseMs: number;
  agingMs: number;
  onSetAside?: SetAsideListener;
}

/** Damaged documents one claim sets aside at most before it gives up for this turn (the next claim goes on). */
const SET_ASIDE_PER_CLAIM = 16;

/** The history line of a job handed back by a spooler that stops. */
const RELEASED_ON_STOP = 'Released by a stopping spooler.';

export class JobTransitions {
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly agingMs: number;
  readonly onSetAside: SetAsideListener | undefined;

  constructor(settings: TransitionSettings) {
    this.now = settings.now;
    this.leaseMs = settings.leaseMs;
    this.agingMs = settings.agingMs;
    this.onSetAside = settings.onSetAside;
  }

  claimIn(tx: Transaction, backend: string, holder: string): ClaimedJob | undefined {
    for (let setAside = 0; setAside < SET_ASIDE_PER_CLAIM; setAside += 1) {
      const head = this.queueHead(tx, backend);
      if (!head) return undefined;
      promoteDue(tx, backend, this.now());
      // Jobs queued before scheduling existed (or by a stepwise writer) have no entry: they go first, oldest first.
      // A head waiting out a retry's backoff has no entry either, and is not taken before its time.
      const fallback = isDue(head.value, this.now()) ? head : undefined;
      const current = head.value.schedule === undefined ? fallback : (this.scheduledNext(tx, backend) ?? fallback);
      if (!current) return undefined;
      const { id } = current.value;
      // Moves are atomic here, so a queued copy of a running job is damage: set aside, it never runs a second time.
      if (tx.get(ns.running(backend), id)) {
        setAsideIn(tx, ns.queued(backend), id, backend, this.wallClock(), this.onSetAside);
        continue;
      }
      const record = this.claimed(current.value, holder);
      const version = tx.move(ns.queued(backend), ns.running(backend), id, { value: record });
      writeProjections(tx, record, this.wallClock());
      return { record, version };
    }
    return undefined;
  }

  /** The queue's first record, damaged documents before it set aside. */
  private queueHead(tx: Transaction, backend: string): StoredDocument<JobRecord> | undefined {
    for (let setAside = 0; setAside < SET_ASIDE_PER_CLAIM; setAside += 1) {
      const [oldest] = tx.list(ns.queued(backend), { limit: 1 });
      if (oldest === undefined) return undefined;
      const head = readRecordIn(tx, ns.queued(backend), oldest, backend, 'QUEUED');
      if (head !== 'damaged') return head;
      setAsideIn(tx, ns.queued(backend), oldest, backend, this.wallClock(), this.onSetAside);
    }
    return undefined;
  }

  /** The queued job the schedule gives out next, its entry removed; entries of jobs gone from the queue are dropped. */
  private scheduledNext(tx: Transaction, backend: string): StoredDocument<JobRecord> | undefined {
    for (;;) {
      const key = nextEntry(tx, backend, this.now(), this.agingMs);
      if (key === undefined) return undefined;
      const job = readRecordIn(tx, ns.queued(backend), jobIdOf(key), backend, 'QUEUED');
      if (job === 'damaged') setAsideIn(tx, ns.queued(backend), jobIdOf(key), backend, this.wallClock(), this.onSetAside);
      else if (job?.value.schedule === key) {
        taken(tx, backend, key);
        return job;
      }
      tx.delete(scheduleNs.entries(backend), key);
    }
  }

  claimed(queued: JobRecord, holder: string): JobRecord {
    const { notBefore: _waited, ...rest } = queued;
    const attempt = rest.attempts + 1;
    return this.advance(rest, 'RUNNING', `Claimed by ${holder} (attempt ${attempt}).`, {
      attempts: attempt,
      lease: { holder, token: attempt, expiresAt: this.now() + this.leaseMs },
    });
  }

  expired(record: JobRecord): boolean {
    return !record.lease || record.lease.expiresAt <= this.now();
  }

  /** A claimed job handed back to the queue by its spooler (stopping, say, as `line` tells): the attempt does not count. */
  released(running: JobRecord, line = RELEASED_ON_STOP): JobRecord {
    const { lease: _lease, ...rest } = running;
    return this.advance(rest, 'QUEUED', line, { attempts: rest.attempts - 1 });
  }

  /** A queued job cancelled: before its first attempt, or waiting for the next after a failed one (retries.ts). */
  cancelledBeforeRun(queued: JobRecord): JobRecord {
    const used = attemptsUsed(queued);
    return this.advance(queued, 'CANCELLED', used > 0 ? `Cancelled while waiting to retry (before attempt ${used + 1}).` : 'Cancelled before it ran.');
  }

  /** A running job flagged for its spooler, which stops at its next check. */
  cancelRequested(running: JobRecord): JobRecord {
    return { ...running, cancelRequested: true, detail: [...running.detail, 'Cancel requested.'] };
  }

  /** A job whose attempt failed: retried after its backoff, dead-lettered, or ended (storage/retries.ts). */
  failedAttempt(running: JobRecord, failure: AttemptFailure, policy: RetryPolicy): JobRecord {
    return afterFailedAttempt(running, failure, policy, this.now(), (record, state, line, changes) => this.advance(record, state, line, changes));
  }

  /**
   * A job whose lease expired: its spooler died or hung, a failure its backend's policy may retry; unless a cancel was
   * requested meanwhile, which the dead spooler can no longer carry out: the job ends CANCELLED and never runs again.
   */
  reclaimed(running: JobRecord, policy: RetryPolicy): JobRecord {
    const message = `the lease of attempt ${running.attempts} expired: its spooler stopped renewing it`;
    if (running.cancelRequested) {
      const { lease: _lease, cancelRequested: _cancel, ...rest } = running;
      return this.advance(rest, 'CANCELLED', `Cancelled: ${message}.`);
    }
    return this.failedAttempt(running, { kind: 'lease-expired', message }, policy);
  }

  /** Cancels inside a transaction; undefined when the job is neither queued nor running. */
  cancelIn(tx: Transaction, backend: string, id: string): JobState | undefined {
    assertKey(id);
    const queued = tx.get<JobRecord>(ns.queued(backend), id);
    if (queued) {
      const record = this.cancelledBeforeRun(queued.value);
      tx.move(ns.queued(backend), ns.deleted(backend), id, { value: record, expectedVersion: queued.version });
      unschedule(tx, queued.value);
      giveBack(tx, queued.value);
      undefer(tx, queued.value);
      writeProjections(tx, record, this.wallClock());
      return 'CANCELLED';
    }
    const running = tx.get<JobRecord>(ns.running(backend), id);
    if (!running) return undefined;
    if (!running.value.cancelRequested) {
      tx.replace(ns.running(backend), id, this.cancelRequested(running.value), running.version);
    }
    return 'RUNNING';
  }

  advance(
    record: Omit<JobRecord, 'lease'> & { lease?: JobRecord['lease'] },
    state: JobState,
    line: string,
    changes: Partial<JobRecord> = {},
  ): JobRecord {
    const at = new Date(this.now()).toISOString();
    return {
      ...record,
      ...changes,
      ...(changes.meta ? { meta: { ...record.meta, ...changes.meta } } : {}),
      state,
      seq: record.seq + 1,
      detail: [...record.detail, line],
      timestamps: { ...record.timestamps, [state]: at },
    };
  }

  finishIn(tx: Transaction, held: ClaimedJob, state: JobState, line: string, changes: Partial<JobRecord>): JobRecord {
    const { lease: _lease, ...rest } = held.record;
    const record = this.advance(rest, state, line, changes);
    tx.move(ns.running(rest.backend), stateNamespace(state, rest.backend), rest.id, { value: record, expectedVersion: held.version });
    writeProjections(tx, record, this.wallClock());
    return record;
  }

  /** A running job leaves by a failed attempt (or a lost lease) for the queue, the dead letters or `deleted`. */
  failIn(tx: Transaction, runningVersion: string, record: JobRecord): JobRecord {
    // Before the move, which stores the record as it is then: a job queued before scheduling existed gets its place
    // here, and without it on its record a claim would find it at the queue's head, not due, and take nothing.
    if (record.state === 'QUEUED') requeueIn(tx, record, this.now());
    tx.move(ns.running(record.backend), placeOf(record), record.id, { value: record, expectedVersion: runningVersion });
    writeProjections(tx, record, this.wallClock());
    return record;
  }

  /** The lifecycle's clock as an ISO time, for events whose record has no time for their state. */
  wallClock(): string {
    return new Date(this.now()).toISOString();
  }
}
