// The spooler daemon for one backend: publish config and heartbeat, claim the oldest job, run it while renewing
// the lease, publish the result. It only ever talks to storage, outbound.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { BackendConfig } from '../schemas/backend-config.ts';
import { ns, type HeartbeatRecord } from '../storage/records.ts';
import type { Experiment } from '../schemas/job.ts';
import { publishedConfig, type BackendDefinition, type RunContext } from './backend.ts';
import { executeJob } from './execute.ts';
import { ExperimentThread, ThreadUnavailableError } from './experiment-thread.ts';
import { compiledJobValidator } from '../schemas/validators.ts';
import { RETRY_DEFAULTS } from '../config/index.ts';
import { type AbortReason, type ActiveJob, type Claimed, JobAborted } from './active-job.ts';
import { JobSettlement } from './job-settlement.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import type { SpoolerLifecycle, SpoolerOptions } from './spooler-options.ts';
import { backoff, retryUnavailable } from './storage-retry.ts';

export type { SpoolerOptions } from './spooler-options.ts';

export class Spooler {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly config: BackendConfig;
  private readonly lifecycle: SpoolerLifecycle;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly shutdownGraceMs: number;
  private stopping = false;
  private abortReason: AbortReason | undefined;
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
  private readonly lease: LeaseKeeper;
  private readonly settlement: JobSettlement;

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
    this.lease = new LeaseKeeper(this.lifecycle, (reason) => this.abort(reason));
    this.settlement = new JobSettlement(this.lifecycle, this.config, this.thread, this.pollMs);
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
  private abort(reason: AbortReason): void {
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
    this.lease.hold(job, askedAt, log);
    const renewal = setInterval(() => void this.lease.renew(job, log), Math.max(50, this.lifecycle.leaseMs / 3));
    let deadline: NodeJS.Timeout | undefined;
    try {
      // The clock starts once the backend is loaded: the thread that replaced one a time limit stopped may still be
      // loading it (a second or more), which is no part of this job's run.
      await this.thread?.warm();
      // The thread (or runtime process) is stopped at once; work on this thread stops at its next checkpoint.
      deadline = setTimeout(() => this.abort('time-limit'), this.timeLimitS * 1000);
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
      this.lease.stop(job, renewal);
      log.info({ event: 'job.done', ms: Date.now() - started }, 'job done');
      return completed;
    } catch (error) {
      this.lease.stop(job, renewal);
      await this.settlement.settle(job, error, log);
      return undefined;
    } finally {
      clearTimeout(deadline);
      this.current = undefined;
    }
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
    return retryUnavailable(log, `could not ${what}; retrying while the lease holds`, write, {
      pollMs: this.pollMs,
      signal: job.aborted.signal,
      worthIt: () => performance.now() - since <= this.lifecycle.leaseMs,
    });
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
}
