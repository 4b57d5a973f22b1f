// How a job that did not complete is settled: dropped when its lease is lost, ended CANCELLED, ERROR or as a failed
// attempt under the retry policy, or handed back to the queue; written while the lease it last held lasts.
import type { Logger } from '../config/logger.ts';
import type { BackendConfig } from '../schemas/backend-config.ts';
import { InvalidJobError, LeaseLostError, QspoolError } from '../schemas/errors.ts';
import type { ClaimedJob, JobLifecycle } from '../storage/lifecycle.ts';
import type { JobRecord } from '../storage/records.ts';
import type { AttemptFailure } from '../storage/retries.ts';
import { type ActiveJob, JobAborted, LAPSE_MARGIN } from './active-job.ts';
import { ThreadUnavailableError, type ExperimentThread } from './experiment-thread.ts';
import { attemptFailure } from './failures.ts';
import type { SpoolerLifecycle } from './spooler-options.ts';
import { retryUnavailable } from './storage-retry.ts';

export class JobSettlement {
  constructor(
    private readonly lifecycle: SpoolerLifecycle,
    private readonly config: BackendConfig,
    private readonly thread: ExperimentThread | undefined,
    private readonly pollMs: number,
  ) {}

  /** Records how a job that did not complete ended, as its error says; rethrows what the claim loop must back off from. */
  async settle(job: ActiveJob, error: unknown, log: Logger): Promise<void> {
    const claim = job.claim;
    if (error instanceof LeaseLostError || (error instanceof JobAborted && error.reason === 'lease-lost')) {
      log.warn({ event: 'job.lease_lost' }, 'lost the lease; dropping the job without publishing');
      return;
    }
    if (error instanceof JobAborted && error.reason === 'cancelled') {
      await this.recording(job, log, () => this.lifecycle.acknowledgeCancel(claim));
      log.info({ event: 'job.cancelled' }, 'job cancelled while running');
      return;
    }
    if (error instanceof JobAborted && error.reason === 'time-limit') {
      const limitS = this.config.limits!.time_limit_s;
      const record = await this.recording(job, log, () => this.failAttempt(claim, { kind: 'timeout', message: `time limit of ${limitS} s exceeded` }));
      log.info({ event: 'job.time_limit', limitS, state: record.state }, 'job stopped at its time limit');
      // The stopped thread is gone: load the backend into a new one now, not when the next job is claimed.
      void this.thread?.warm();
      return;
    }
    if (error instanceof JobAborted) {
      await this.lifecycle.release(claim);
      log.info({ event: 'job.released' }, 'handed the job back to the queue on shutdown');
      return;
    }
    if (error instanceof ThreadUnavailableError) {
      // This spooler cannot run any job now: failing them would empty the queue into ERROR. The job goes back, and
      // the claim loop backs off until a new thread loads the backend.
      await this.lifecycle.release(claim, 'Handed back: the spooler could not load its backend to run it.');
      log.error({ event: 'job.released', err: error }, 'the experiment thread cannot run jobs; handed the job back to the queue');
      throw error;
    }
    if (error instanceof QspoolError && error.status === 503) {
      // Nothing can be recorded now; the lease runs out and the job runs again once storage is back.
      log.warn({ event: 'job.abandoned', err: error }, 'storage unavailable while settling the job; giving it up');
      throw error;
    }
    if (error instanceof InvalidJobError) {
      // Invalid input fails the same way every time: never retried.
      await this.recording(job, log, () => this.lifecycle.fail(claim, error.message));
      log.info({ event: 'job.error', message: error.message }, 'job failed');
      return;
    }
    const failure = attemptFailure(error);
    const record = await this.recording(job, log, () => this.failAttempt(claim, failure));
    const event = record.state === 'QUEUED' ? 'job.retry' : record.deadLetter ? 'job.dead_letter' : 'job.error';
    log.info({ event, failure, notBefore: record.notBefore }, record.state === 'QUEUED' ? 'attempt failed; job will be retried' : 'job failed');
  }

  /**
   * Records how a job ended (failed, cancelled). Its renewals have stopped, but the lease it last wrote still holds for
   * a while: a store that is unavailable is asked again, with backoff, until shortly before that lease could lapse.
   * Given up at once, the job would wait for its lease's expiry and then run again as a lease expiry, however its
   * retry policy treats the failure (a runtime's exit code it does not retry, a time limit).
   */
  private recording<T>(job: ActiveJob, log: Logger, write: () => Promise<T>): Promise<T> {
    return retryUnavailable(log, 'could not record how the job ended; retrying while its lease lasts', write, {
      pollMs: this.pollMs,
      worthIt: (delay) => delay <= job.heldSince + this.lifecycle.leaseMs * (1 - LAPSE_MARGIN) - performance.now(),
    });
  }

  /** A failed attempt under the backend's retry policy; a lifecycle without retries (sqooler's layout) ends the job ERROR. */
  private async failAttempt(claim: ClaimedJob, failure: AttemptFailure): Promise<JobRecord> {
    const { failAttempt } = this.lifecycle as Partial<Pick<JobLifecycle, 'failAttempt'>>;
    return failAttempt ? failAttempt.call(this.lifecycle, claim, failure, this.config.retry!) : this.lifecycle.fail(claim, failure.message);
  }
}
