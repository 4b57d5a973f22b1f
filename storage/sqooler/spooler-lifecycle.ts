// qspool's own spooler on a sqooler-layout provider: the lifecycle calls the spooler makes (claim, renew, note,
// complete, fail, release, take back expired leases), done with sqooler's documents, so the server, qlued and
// qiskit-cold-atom see jobs run by it exactly as jobs run by a sqooler spooler (update_in_database: result, then the
// move to finished or deleted, then the status dict).
//
// The claim is atomic where sqooler's is not: a lease document is created (create-only) in a `qspool` folder sqooler
// never reads, then the job is moved from the queue to the running folder by the store's exclusive move (local
// rename, Dropbox move_v2, MongoDB insert under a unique `_id`); of concurrent claimants exactly one moves it. A
// sqooler spooler's claim is a plain move that competes on the same terms: it cannot take a job qspool moved (its
// move fails and, sqooler being sqooler, it stops), and qspool cannot take one it moved. A claimant that dies leaves
// its lease, which expires: the job goes back to the queue, or to the deleted folder with an ERROR status once it used
// up its attempts. sqooler's stores have no compare-and-swap, so the lease is checked, then written: a takeover
// narrower than one storage round trip can let two spoolers run a job; the first to move it ends it.
import { randomBytes } from 'node:crypto';
import { ConflictError, LeaseLostError } from '../../schemas/errors.ts';
import type { ClaimedJob } from '../lifecycle-types.ts';
import { jobIdTime } from '../keys.ts';
import { LeaseWitness } from '../lease-witness.ts';
import type { JobRecord, JobState } from '../records.ts';
import type { RetryPolicy } from '../../schemas/retry-policy.ts';
import { type DocumentAddress, type SqoolerStatus, initialStatus } from './layout.ts';
import type { SqoolerKey } from './signatures.ts';
import type { JobKey, Place } from './paths.ts';
import { SqoolerSpoolerStorage } from './spooler-storage.ts';
import type { SqoolerView } from './view.ts';

/** `token` fences the claim; `attempts` counts it among the job's claims. */
interface LeaseDocument {
  holder: string;
  token: string;
  expiresAt: number;
  attempts: number;
}

export interface SqoolerLifecycleOptions {
  leaseMs?: number;
  maxAttempts?: number;
  now?: () => number;
  /** Signing keys by backend: configs and results of these backends are signed as sqooler signs them. */
  keys?: ReadonlyMap<string, SqoolerKey>;
  /** The reaper's own monotonic clock, as in JobLifecycle (lease-witness.ts). */
  reaperClock?: () => number;
}

const keyOf = (record: JobRecord): JobKey => ({ display: record.backend, id: record.id, owner: record.owner });

export class SqoolerLifecycle {
  readonly storage: SqoolerSpoolerStorage;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  private readonly now: () => number;
  private readonly witness: LeaseWitness | undefined;

  constructor(
    private readonly view: SqoolerView,
    options: SqoolerLifecycleOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.now = options.now ?? Date.now;
    this.storage = new SqoolerSpoolerStorage(view, this.now, options.keys);
    this.witness = options.reaperClock && new LeaseWitness(this.leaseMs, options.reaperClock);
  }

  private get documents() {
    return this.view.documents;
  }

  private get paths() {
    return this.view.paths;
  }

  private read<T>(at: DocumentAddress): Promise<T | undefined> {
    return this.documents.get(at.path, at.name) as Promise<T | undefined>;
  }

  private move(key: JobKey, from: Place, to: Place): Promise<boolean> {
    return this.documents.move(this.paths.job(from, key), this.paths.job(to, key));
  }

  private async forget(at: DocumentAddress): Promise<void> {
    await this.documents.delete(at.path, at.name);
  }

  /** The oldest job of the backend's queue that nobody else takes first (qspool ids sort by creation time). */
  async claim(backend: string, holder: string): Promise<ClaimedJob | undefined> {
    for (const key of await this.paths.queued(this.documents, backend)) {
      const claimed = await this.tryClaim(key, holder);
      if (claimed) return claimed;
    }
    return undefined;
  }

  private async tryClaim(key: JobKey, holder: string): Promise<ClaimedJob | undefined> {
    const before = (await this.read<{ attempts: number }>(this.paths.attempts(key)))?.attempts ?? 0;
    const lease: LeaseDocument = { holder, token: randomBytes(8).toString('hex'), expiresAt: this.now() + this.leaseMs, attempts: before + 1 };
    const at = this.paths.lease(key);
    try {
      await this.documents.upload(at.path, at.name, lease);
    } catch (error) {
      // Another claimant is between its lease and its move, or died there (its lease expires and is cleared).
      if (error instanceof ConflictError) return undefined;
      throw error;
    }
    if (!(await this.move(key, 'queued', 'running'))) {
      await this.forget(at);
      return undefined;
    }
    const [payload, status] = await Promise.all([this.read<unknown>(this.paths.job('running', key)), this.view.status(key)]);
    const createdAt = new Date(jobIdTime(key.id)).toISOString();
    const record: JobRecord = {
      id: key.id,
      backend: key.display,
      owner: key.owner,
      state: 'RUNNING',
      payload,
      createdAt,
      timestamps: { QUEUED: createdAt, RUNNING: new Date(this.now()).toISOString() },
      attempts: lease.attempts,
      seq: 2,
      detail: (status ?? initialStatus(this.paths.jobId(key))).detail.split('; '),
      lease: { holder, token: lease.attempts, expiresAt: lease.expiresAt },
    };
    return { record, version: lease.token };
  }

  /** The job's key while the claim's lease is the one stored; LeaseLostError otherwise. */
  private async held(claim: ClaimedJob): Promise<{ key: JobKey; lease: LeaseDocument }> {
    const key = keyOf(claim.record);
    const lease = await this.read<LeaseDocument>(this.paths.lease(key));
    if (lease?.token !== claim.version) throw new LeaseLostError(claim.record.id);
    return { key, lease };
  }

  async renew(claim: ClaimedJob): Promise<ClaimedJob> {
    const { key, lease } = await this.held(claim);
    const expiresAt = this.now() + this.leaseMs;
    const at = this.paths.lease(key);
    await this.documents.replace(at.path, at.name, { ...lease, expiresAt });
    return { ...claim, record: { ...claim.record, lease: { ...claim.record.lease!, expiresAt } } };
  }

  /** sqooler writes no status while a job runs: the line joins the status's detail when the job ends. */
  async note(claim: ClaimedJob, line: string, meta?: Record<string, unknown>): Promise<ClaimedJob> {
    const record = { ...claim.record, detail: [...claim.record.detail, line], ...(meta ? { meta: { ...claim.record.meta, ...meta } } : {}) };
    return { ...claim, record };
  }

  /**
   * update_in_database for a DONE job: the result, the move to finished, the status; then a next claim. The result is
   * written whole over any earlier one: a result already there was left by an attempt that died before its move (or
   * by a holder whose lease was just taken), a run of this same job; the job's move decides which attempt ends it.
   */
  async completeAndClaim(
    claim: ClaimedJob,
    completion: { result: unknown; line?: string; meta?: Record<string, unknown> },
    next?: { holder: string },
  ): Promise<{ record: JobRecord; next?: ClaimedJob }> {
    const { key } = await this.held(claim);
    const at = this.paths.result(key);
    // sqooler's result names the job by the id its documents use (on Dropbox the long one).
    const result = { ...(completion.result as Record<string, unknown>), job_id: this.paths.jobId(key) };
    await this.documents.replace(at.path, at.name, this.storage.resultDocument(key.display, result));
    if (!(await this.move(key, 'running', 'finished'))) throw new LeaseLostError(key.id);
    const record = await this.settle(claim, key, 'DONE', completion.line ?? 'Done.', 'None');
    const claimed = next && (await this.claim(key.display, next.holder));
    return claimed ? { record, next: claimed } : { record };
  }

  /** update_in_database for an ERROR job: the move to deleted, then the status. */
  async fail(claim: ClaimedJob, message: string): Promise<JobRecord> {
    const { key } = await this.held(claim);
    if (!(await this.move(key, 'running', 'deleted'))) throw new LeaseLostError(key.id);
    return this.settle(claim, key, 'ERROR', message, message);
  }

  /**
   * A failed attempt (a crash of the backend, its time limit): sqooler's layout has no place for a job waiting to be
   * retried, so it ends in ERROR as a sqooler spooler's failure does; the retry policy is not applied here.
   */
  failAttempt(claim: ClaimedJob, failure: { message: string }): Promise<JobRecord> {
    return this.fail(claim, failure.message);
  }

  /** The server refuses cancels on this layout, so no claim here is ever flagged; a flagged one would end in ERROR. */
  acknowledgeCancel(claim: ClaimedJob): Promise<JobRecord> {
    return this.fail(claim, 'Cancelled while running.');
  }

  /**
   * Back to the queue without counting the attempt (shutdown): the attempts document keeps the earlier count. sqooler's
   * status dict records no such step, so there is no line to write.
   */
  async release(claim: ClaimedJob): Promise<void> {
    const { key } = await this.held(claim);
    if (await this.move(key, 'running', 'queued')) await this.forget(this.paths.lease(key));
  }

  /** Writes sqooler's status dict for the job's end and drops the lease and attempt count. */
  private async settle(claim: ClaimedJob, key: JobKey, status: 'DONE' | 'ERROR', line: string, errorMessage: string): Promise<JobRecord> {
    const detail = [...claim.record.detail, line];
    await this.writeStatus(key, { job_id: this.paths.jobId(key), status, detail: detail.join('; '), error_message: errorMessage });
    await this.forget(this.paths.lease(key));
    await this.forget(this.paths.attempts(key));
    const state: JobState = status;
    const at = new Date(this.now()).toISOString();
    return { ...claim.record, state, detail, timestamps: { ...claim.record.timestamps, [state]: at }, seq: claim.record.seq + 1, ...(status === 'ERROR' ? { errorMessage } : { resultKey: key.id }) };
  }

  private writeStatus(key: JobKey, status: SqoolerStatus): Promise<void> {
    const at = this.paths.status(key);
    return this.documents.replace(at.path, at.name, status);
  }

  /**
   * Takes back the backend's jobs whose lease expired; resolves with their ids. sqooler's layout counts attempts
   * against `maxAttempts` instead of a backend's retry policy. `onExpired` hears of each job just before the move
   * that takes it back, as in JobLifecycle.requeueExpired.
   */
  async requeueExpired(backend: string, _policy?: RetryPolicy, onExpired?: (id: string) => void): Promise<string[]> {
    const sweep = async () => {
      const moved: string[] = [];
      for (const key of await this.paths.leased(this.documents, backend)) {
        const lease = await this.read<LeaseDocument>(this.paths.lease(key));
        if (!lease) continue;
        const witnessed = this.witness?.unchangedForALease(backend, key.id, lease) ?? true;
        if (lease.expiresAt <= this.now() && witnessed && (await this.takeBack(key, lease, onExpired))) moved.push(key.id);
      }
      return moved;
    };
    return this.witness ? this.witness.sweep(backend, sweep) : sweep();
  }

  private async takeBack(key: JobKey, lease: LeaseDocument, onExpired?: (id: string) => void): Promise<boolean> {
    const at = this.paths.lease(key);
    const giveUp = lease.attempts >= this.maxAttempts;
    onExpired?.(key.id);
    if (!(await this.move(key, 'running', giveUp ? 'deleted' : 'queued'))) {
      // Not running: its claimant died between lease and move, or another spooler took it back first. A lease still
      // unchanged is stale; a new one belongs to a new claim.
      if ((await this.read<LeaseDocument>(at))?.token === lease.token) await this.forget(at);
      return false;
    }
    // A result the dead attempt wrote before its move is no result of the job: a sqooler spooler taking the job
    // next refuses to upload over it (FileExistsError), and an ERROR job has none.
    await this.forget(this.paths.result(key));
    if (giveUp) {
      const status = (await this.view.status(key)) ?? initialStatus(this.paths.jobId(key));
      const message = `Gave up after ${lease.attempts} attempts: each spooler that took the job stopped renewing its lease`;
      await this.writeStatus(key, { ...status, status: 'ERROR', detail: `${status.detail}; ${message}`, error_message: message });
      await this.forget(this.paths.attempts(key));
    } else {
      const attempts = this.paths.attempts(key);
      await this.documents.replace(attempts.path, attempts.name, { attempts: lease.attempts });
    }
    await this.forget(at);
    return true;
  }
}
