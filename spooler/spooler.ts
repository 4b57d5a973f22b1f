// The spooler daemon for one backend: publish config and heartbeat, claim the oldest job, run it while renewing
// the lease, publish the result. It only ever talks to storage, outbound.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { BackendConfig } from '../schemas/backend-config.ts';
import { InvalidJobError, LeaseLostError, QspoolError } from '../schemas/errors.ts';
import type { ClaimedJob, JobLifecycle } from '../storage/lifecycle.ts';
import { ns, type HeartbeatRecord, type JobRecord } from '../storage/records.ts';
import type { Experiment } from '../schemas/job.ts';
import { publishedConfig, type BackendDefinition, type RunContext } from './backend.ts';
import { executeJob } from './execute.ts';
import { ExperimentThread, ThreadUnavailableError, type BackendLocator } from './experiment-thread.ts';
import type { Signer } from './signing/keys.ts';
import { compiledJobValidator } from '../schemas/validators.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import { RETRY_DEFAULTS } from '../config/index.ts';
import { attemptFailure } from './failures.ts';
import type { AttemptFailure } from '../storage/retries.ts';

/** The lifecycle calls a spooler makes: JobLifecycle, or SqoolerLifecycle on a sqooler-layout provider. */
export type SpoolerLifecycle = Pick<
  JobLifecycle,
  'storage' | 'leaseMs' | 'claim' | 'renew' | 'note' | 'completeAndClaim' | 'fail' | 'failAttempt' | 'acknowledgeCancel' | 'release' | 'requeueExpired'
>;

export interface SpoolerOptions {
  lifecycle: SpoolerLifecycle;
  backend: BackendDefinition;
  providerName: string;
  logger: Logger;
  /**
   * Idle poll interval; storage that can notify (local) wakes the spooler sooner. Expired leases are also looked
   * for this often, which bounds how long a dead spooler's job waits: lease + one poll interval.
   */
  pollMs?: number;
  heartbeatMs?: number;
  /** How long SIGTERM waits for the current job before handing it back to the queue. */
  shutdownGraceMs?: number;
  maxInstructions?: number;
  maxHilbertDimension?: number;
  /** Work bounds published in the config (defaults: config/ WORK_BOUND_DEFAULTS); the time limit is enforced here. */
  maxSamples?: number;
  maxResultBytes?: number;
  timeLimitS?: number;
  /**
   * Run experiments in a worker thread that loads the backend from here (production). Without it they run on this
   * thread, where a synchronous experiment longer than the lease starves renewals and loses the job.
   */
  isolate?: BackendLocator;
  /** Signs the published config and every result (detached JWS, see spooler/signing/). */
  signer?: Signer;
  /** Which failed attempts run again and when, published as the config's `retry` (default: config/ RETRY_DEFAULTS). */
  retry?: RetryPolicy;
}

/** The job being run, shared with its renewal timer; `active` turns false once the job is settled. */
interface ActiveJob {
  claim: ClaimedJob;
  active: boolean;
  /** Aborted with the JobAborted reason; stops work that cannot call checkpoint (an external runtime). */
  aborted: AbortController;
  /**
   * When the write that last set the lease's expiry was asked for (performance.now(): monotonic, unlike the wall clock
   * an NTP step moves), so the lease holds at least until then + lease.
   */
  heldSince: number;
  /** Abandons the job shortly before that lease runs out unrenewed (see holdLease). */
  lapse?: NodeJS.Timeout;
  /** Renewals asked for and not answered yet. */
  renewing: number;
}

/** A job claimed, and when the claim was asked for (performance.now(); its lease runs from no earlier than that). */
interface Claimed {
  claim: ClaimedJob;
  askedAt: number;
}

/**
 * The part of the lease a job is abandoned with when no renewal got through: the spooler stops the job then, before
 * another spooler can take the lease over (a thread stops at once, a runtime is sent SIGTERM).
 */
const LAPSE_MARGIN = 0.1;

/** Exponential backoff with jitter after `failures` failures in a row, so spoolers do not retry in lockstep. */
function backoff(pollMs: number, failures: number): number {
  return Math.min(30_000, pollMs * 2 ** failures) * (0.5 + Math.random() / 2);
}

class JobAborted extends Error {
  constructor(readonly reason: 'cancelled' | 'lease-lost' | 'shutdown' | 'time-limit') {
    super(reason);
  }
}

export class Spooler {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly config: BackendConfig;
  private readonly lifecycle: SpoolerLifecycle;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly shutdownGraceMs: number;
  private stopping = false;
  private abortReason: JobAborted['reason'] | undefined;
  private current: ActiveJob | undefined;
  private wake: (() => void) | undefined;
  /** Storage changed since the current claim started: a job may have arrived after its listing, so do not sleep. */
  private notified = false;
  private loop: Promise<void> | undefined;
  private lastHeartbeat = 0;
  private failures = 0;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> = Promise.resolve();
  private maintenanceFailures = 0;
  private readonly thread: ExperimentThread | undefined;
  /** The last experiment thread could not load the backend: the claim loop waits for one that can. */
  private threadUnavailable = false;

  constructor(private readonly options: SpoolerOptions) {
    this.lifecycle = options.lifecycle;
    this.pollMs = options.pollMs ?? 200;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
    this.config = {
      ...publishedConfig(options.backend, {
        maxInstructions: options.maxInstructions ?? 10_000,
        maxHilbertDimension: options.maxHilbertDimension ?? 4_194_304,
        ...(options.maxSamples ? { maxSamples: options.maxSamples } : {}),
        ...(options.maxResultBytes ? { maxResultBytes: options.maxResultBytes } : {}),
        ...(options.timeLimitS ? { timeLimitS: options.timeLimitS } : {}),
      }),
      ...(options.signer ? { sign: true, kid: options.signer.kid } : {}),
      retry: options.retry ?? RETRY_DEFAULTS,
    };
    this.log = options.logger.child({ spooler: this.id, backend: this.config.display_name });
    this.thread = options.isolate && new ExperimentThread(options.isolate);
  }

  get backendName(): string {
    return this.config.display_name;
  }

  /** Publishes the config and starts the claim loop; resolves once the config is visible to the server. */
  async start(): Promise<void> {
    compiledJobValidator(this.config.job_schema);
    // A thread that cannot load the backend fails the start, before the backend looks operational to the server.
    await this.thread?.warm();
    await this.options.signer?.publish(this.lifecycle.storage, this.config);
    await this.lifecycle.storage.put(ns.configs, this.backendName, this.config);
    await this.heartbeat();
    const unwatch = this.lifecycle.storage.watch?.(ns.queued(this.backendName), () => {
      this.notified = true;
      this.wake?.();
    });
    this.scheduleMaintenance(this.pollMs);
    this.loop = this.run().finally(() => unwatch?.());
    // The key id is what an operator names in QSPOOL_TRUSTED_SIGNING_KEYS.
    this.log.info({ event: 'spooler.started', signingKey: this.options.signer?.kid ?? null }, 'spooler started');
  }

  /** Stops claiming; the current job finishes within the grace period or goes back to the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    clearTimeout(this.maintenanceTimer);
    const timer = setTimeout(() => this.abort('shutdown'), this.shutdownGraceMs);
    try {
      await this.loop;
      await this.maintaining;
    } finally {
      clearTimeout(timer);
      await this.thread?.close();
    }
    await this.lifecycle.storage.delete(ns.heartbeats(this.backendName), this.id).catch(() => undefined);
    this.log.info({ event: 'spooler.stopped' }, 'spooler stopped');
  }

  /** Once stopping: stops the current job now and hands it back, instead of granting it the grace period. */
  hurry(): void {
    if (this.stopping) this.abort('shutdown');
  }

  private async run(): Promise<void> {
    // The job claimed together with the previous job's completion, if any.
    let next: Claimed | undefined;
    while (!this.stopping) {
      try {
        this.notified = false;
        // No job is claimed while a new experiment thread cannot load the backend: the queue waits for this spooler
        // (or another) to be able to run it, while this one backs off. (A thread that merely is loading, after a
        // time limit stopped the last one, does not hold up the claim.)
        if (this.threadUnavailable) {
          await this.thread!.warm();
          this.threadUnavailable = false;
          // Loading can take a second: a stop asked for meanwhile claims nothing more.
          if (this.stopping) break;
        }
        const askedAt = performance.now();
        const claimed = next ?? (await this.lifecycle.claim(this.backendName, this.id).then((claim) => claim && { claim, askedAt }));
        next = undefined;
        if (claimed) next = await this.process(claimed);
        // Only once the job is through: a job that could not be settled (storage down) must not restart the backoff.
        this.failures = 0;
        // A notification during the claim woke nobody (no idle yet): without this check the job it announced
        // would wait a whole poll interval.
        if (!claimed && !this.notified) await this.idle(this.pollMs);
      } catch (error) {
        // Storage trouble: back off exponentially with jitter and try again by ourselves.
        if (error instanceof ThreadUnavailableError) this.threadUnavailable = true;
        this.failures += 1;
        const delay = backoff(this.pollMs, this.failures);
        this.log.warn({ err: error, retryInMs: Math.round(delay) }, 'spooler loop failed; backing off');
        // A stop asked for during the failed step found no idle to wake: it must not wait out the backoff (up to 30 s).
        if (!this.stopping) await this.idle(delay);
      }
    }
    // Stopped right after taking a job with the last completion: hand it back (its lease covers a failure here).
    if (next) await this.lifecycle.release(next.claim).catch((error: unknown) => this.log.warn({ err: error }, 'could not release the next job'));
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /**
   * Heartbeat (once per heartbeat interval) and reaping of expired leases (once per poll interval) run beside the
   * claim loop, so a spooler busy with a long job still takes back a dead spooler's job within lease + one poll.
   */
  private scheduleMaintenance(delayMs: number): void {
    this.maintenanceTimer = setTimeout(() => {
      this.maintaining = this.maintain()
        .then(
          () => (this.maintenanceFailures = 0),
          (error: unknown) => {
            this.maintenanceFailures += 1;
            this.log.warn({ err: error }, 'heartbeat or lease reaping failed; backing off');
          },
        )
        .then(() => {
          if (!this.stopping) this.scheduleMaintenance(this.maintenanceFailures ? backoff(this.pollMs, this.maintenanceFailures) : this.pollMs);
        });
    }, delayMs);
  }

  private async maintain(): Promise<void> {
    if (Date.now() - this.lastHeartbeat >= this.heartbeatMs) await this.heartbeat();
    const requeued = await this.lifecycle.requeueExpired(this.backendName, this.config.retry, (jobId) =>
      this.log.info({ event: 'job.reclaiming', jobId }, 'taking back a job whose lease expired'));
    if (requeued.length > 0) this.log.warn({ event: 'jobs.requeued', jobs: requeued }, 'took back jobs with expired leases');
  }

  /** Abandons the current job: stops at the next checkpoint, or at once when experiments run in a thread. */
  private abort(reason: JobAborted['reason']): void {
    // Losing the lease overrides any other reason: nothing may be published then.
    if (reason === 'lease-lost') this.abortReason = reason;
    else this.abortReason ??= reason;
    this.thread?.abort(new JobAborted(this.abortReason));
    this.current?.aborted.abort(new JobAborted(this.abortReason));
  }

  private async heartbeat(): Promise<void> {
    this.lastHeartbeat = Date.now();
    const record: HeartbeatRecord = {
      spooler: this.id,
      backend: this.backendName,
      host: hostname(),
      pid: process.pid,
      at: new Date().toISOString(),
      currentJob: this.current?.claim.record.id ?? null,
    };
    await this.lifecycle.storage.put(ns.heartbeats(this.backendName), this.id, record);
  }

  /** Runs one job to its end; resolves with the next job when one was claimed together with this one's completion. */
  private async process({ claim, askedAt }: Claimed): Promise<Claimed | undefined> {
    const log = this.log.child({ jobId: claim.record.id, attempt: claim.record.attempts });
    const started = Date.now();
    const job: ActiveJob = { claim, active: true, aborted: new AbortController(), heldSince: askedAt, renewing: 0 };
    this.current = job;
    this.abortReason = undefined;
    this.holdLease(job, askedAt, log);
    const renewal = setInterval(() => void this.renew(job, log), Math.max(50, this.lifecycle.leaseMs / 3));
    // The thread (or runtime process) is stopped at once; work on this thread stops at its next checkpoint.
    const deadline = setTimeout(() => this.abort('time-limit'), this.timeLimitS * 1000);
    try {
      const result = await executeJob({
        backend: this.runner(),
        config: this.config,
        providerName: this.options.providerName,
        jobId: claim.record.id,
        payload: claim.record.payload,
        context: {
          jobId: claim.record.id,
          maxHilbertDimension: this.config.max_hilbert_dimension ?? 4_194_304,
          checkpoint: () => {
            if (this.abortReason) throw new JobAborted(this.abortReason);
          },
          signal: job.aborted.signal,
          note: async (line, meta) => {
            job.claim = await this.whileHeld(job, log, 'record a line on the job', () => this.lifecycle.note(job.claim, line, meta));
          },
        },
      });
      // The work is done within its limit: publishing the result may take longer when the store is in trouble.
      clearTimeout(deadline);
      const signature = this.options.signer?.sign(result);
      const done = this.options.backend.runJob ? 'Runtime done.' : 'Simulation done.';
      const completed = await this.complete(job, { result, line: done, ...(signature ? { meta: { signature } } : {}) }, log);
      this.stopRenewing(job, renewal);
      log.info({ event: 'job.done', ms: Date.now() - started }, 'job done');
      return completed;
    } catch (error) {
      this.stopRenewing(job, renewal);
      await this.settle(job, error, log);
      return undefined;
    } finally {
      clearTimeout(deadline);
      this.current = undefined;
    }
  }

  /** The job is settled (or being settled): its renewals and lapse timer stop, and a late renewal leaves it alone. */
  private stopRenewing(job: ActiveJob, renewal: NodeJS.Timeout): void {
    clearInterval(renewal);
    clearTimeout(job.lapse);
    job.active = false;
  }

  /** Publishes the result and takes the next job (retried as whileHeld says). */
  private complete(job: ActiveJob, completion: { result: unknown; line: string; meta?: Record<string, unknown> }, log: Logger): Promise<Claimed | undefined> {
    return this.whileHeld(job, log, 'publish the result', async () => {
      const askedAt = performance.now();
      const { next } = await this.lifecycle.completeAndClaim(job.claim, completion, this.stopping ? undefined : { holder: this.id });
      return next && { claim: next, askedAt };
    });
  }

  /**
   * A write to the running job. A store that is unavailable is asked again, with backoff, while the lease holds
   * (renewals go on meanwhile): given up, the job would be left to its lease's expiry and run again, on a device too,
   * though it ran (or is running) well. An abort (lease lost or lapsed, time limit, shutdown past the grace period)
   * ends the retries with its reason. So does one lease's time of refusals of this write alone (a result too large for
   * the store to take in time, while renewals get through): the job is then given up as before, to run again under
   * its retry policy, rather than held forever.
   */
  private whileHeld<T>(job: ActiveJob, log: Logger, what: string, write: () => Promise<T>): Promise<T> {
    const since = performance.now();
    return this.retryUnavailable(log, `could not ${what}; retrying while the lease holds`, write, {
      signal: job.aborted.signal,
      worthIt: () => performance.now() - since <= this.lifecycle.leaseMs,
    });
  }

  /**
   * Runs `write` until it succeeds, asking again with backoff while storage answers unavailable (503) and `worthIt`
   * says another try (after that delay) is; any other failure, or an abort of `signal`, ends it.
   */
  private async retryUnavailable<T>(
    log: Logger,
    message: string,
    write: () => Promise<T>,
    { signal, worthIt }: { signal?: AbortSignal; worthIt: (delay: number) => boolean },
  ): Promise<T> {
    for (let failures = 1; ; failures += 1) {
      try {
        return await write();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const delay = backoff(this.pollMs, failures);
        if (!(error instanceof QspoolError && error.status === 503) || !worthIt(delay)) throw error;
        log.warn({ err: error, retryInMs: Math.round(delay) }, message);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay);
          signal?.addEventListener('abort', done, { once: true });
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          }
        });
        if (signal?.aborted) throw signal.reason;
      }
    }
  }

  /**
   * Arms the job's lapse timer for a lease written after `askedAt`. Renewals that keep failing (this spooler cut off
   * from the store) would otherwise let the job run on after its lease expired, while another spooler reaps the
   * lease and runs the job too: it is abandoned instead, as a lost lease, shortly before the lease can run out, by
   * this process's clock. The reaped attempt then counts as a lease expiry under the retry policy. (Clock skew between
   * this host and the reaper's is not covered: the reaper compares the expiry this host wrote with its own clock.)
   */
  private holdLease(job: ActiveJob, askedAt: number, log: Logger): void {
    // A slow renewal answered after a later one must not shorten the lease the later one wrote.
    if (askedAt < job.heldSince) return;
    job.heldSince = askedAt;
    clearTimeout(job.lapse);
    const leaseMs = this.lifecycle.leaseMs;
    const lapseAt = (part: number): NodeJS.Timeout =>
      setTimeout(() => {
        if (!job.active) return;
        // A renewal merely slow (a loaded store) may still land: it is waited for until the lease itself runs out.
        if (job.renewing > 0 && part < 1) {
          job.lapse = lapseAt(1);
          return;
        }
        log.warn({ event: 'job.lease_lapsed', leaseMs }, 'no lease renewal got through; abandoning the job before another spooler takes it');
        this.abort('lease-lost');
      }, askedAt + leaseMs * part - performance.now());
    job.lapse = lapseAt(1 - LAPSE_MARGIN);
  }

  get timeLimitS(): number {
    return this.config.limits!.time_limit_s;
  }

  /** The backend as executeJob should call it: its experiments sent to the thread when there is one. */
  private runner(): BackendDefinition {
    const thread = this.thread;
    if (!thread) return this.options.backend;
    const runExperiment = (name: string, experiment: Experiment, context: RunContext) =>
      thread.run({ name, experiment, jobId: context.jobId, maxHilbertDimension: context.maxHilbertDimension });
    return { ...this.options.backend, runExperiment };
  }

  private async settle(job: ActiveJob, error: unknown, log: Logger): Promise<void> {
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
      const record = await this.recording(job, log, () => this.failAttempt(claim, { kind: 'timeout', message: `time limit of ${this.timeLimitS} s exceeded` }));
      log.info({ event: 'job.time_limit', limitS: this.timeLimitS, state: record.state }, 'job stopped at its time limit');
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
    return this.retryUnavailable(log, 'could not record how the job ended; retrying while its lease lasts', write, {
      worthIt: (delay) => delay <= job.heldSince + this.lifecycle.leaseMs * (1 - LAPSE_MARGIN) - performance.now(),
    });
  }

  /** A failed attempt under the backend's retry policy; a lifecycle without retries (sqooler's layout) ends the job ERROR. */
  private async failAttempt(claim: ClaimedJob, failure: AttemptFailure): Promise<JobRecord> {
    const { failAttempt } = this.lifecycle as Partial<Pick<JobLifecycle, 'failAttempt'>>;
    return failAttempt ? failAttempt.call(this.lifecycle, claim, failure, this.config.retry!) : this.lifecycle.fail(claim, failure.message);
  }

  private async renew(job: ActiveJob, log: Logger): Promise<void> {
    if (!job.active) return;
    const askedAt = performance.now();
    job.renewing += 1;
    try {
      const renewed = await this.lifecycle.renew(job.claim);
      if (!job.active) return;
      job.claim = renewed;
      this.holdLease(job, askedAt, log);
      if (renewed.record.cancelRequested) this.abort('cancelled');
    } catch (error) {
      // A renewal that finishes after its job was settled must not touch the next job.
      if (!job.active) return;
      if (error instanceof LeaseLostError) this.abort('lease-lost');
      else log.warn({ err: error }, 'lease renewal failed; will retry');
    } finally {
      job.renewing -= 1;
    }
  }
}
