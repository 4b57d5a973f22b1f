// The spooler daemon for one backend: publish config and heartbeat, claim the oldest job, run it while renewing
// the lease, publish the result. It only ever talks to storage, outbound.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { BackendConfig } from '../schemas/backend-config.ts';
import { InvalidJobError, LeaseLostError, QspoolError } from '../schemas/errors.ts';
import type { ClaimedJob, JobLifecycle } from '../storage/lifecycle.ts';
import { ns, type HeartbeatRecord } from '../storage/records.ts';
import { publishedConfig, type BackendDefinition } from './backend.ts';
import { executeJob } from './execute.ts';
import { compiledJobValidator } from '../schemas/validators.ts';

export interface SpoolerOptions {
  lifecycle: JobLifecycle;
  backend: BackendDefinition;
  providerName: string;
  logger: Logger;
  /** Idle poll interval; storage that can notify (local) wakes the spooler sooner. */
  pollMs?: number;
  heartbeatMs?: number;
  /** How long SIGTERM waits for the current job before handing it back to the queue. */
  shutdownGraceMs?: number;
  maxInstructions?: number;
  maxHilbertDimension?: number;
}

/** The job being run, shared with its renewal timer; `active` turns false once the job is settled. */
interface ActiveJob {
  claim: ClaimedJob;
  active: boolean;
}

class JobAborted extends Error {
  constructor(readonly reason: 'cancelled' | 'lease-lost' | 'shutdown') {
    super(reason);
  }
}

export class Spooler {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  readonly config: BackendConfig;
  private readonly lifecycle: JobLifecycle;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly shutdownGraceMs: number;
  private stopping = false;
  private abortReason: JobAborted['reason'] | undefined;
  private current: ActiveJob | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastMaintenance = 0;
  private failures = 0;

  constructor(private readonly options: SpoolerOptions) {
    this.lifecycle = options.lifecycle;
    this.pollMs = options.pollMs ?? 200;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
    this.config = publishedConfig(options.backend, {
      maxInstructions: options.maxInstructions ?? 10_000,
      maxHilbertDimension: options.maxHilbertDimension ?? 4_194_304,
    });
    this.log = options.logger.child({ spooler: this.id, backend: this.config.display_name });
  }

  get backendName(): string {
    return this.config.display_name;
  }

  /** Publishes the config and starts the claim loop; resolves once the config is visible to the server. */
  async start(): Promise<void> {
    compiledJobValidator(this.config.job_schema);
    await this.lifecycle.storage.put(ns.configs, this.backendName, this.config);
    await this.heartbeat();
    const unwatch = this.lifecycle.storage.watch?.(ns.queued(this.backendName), () => this.wake?.());
    this.loop = this.run().finally(() => unwatch?.());
    this.log.info({ event: 'spooler.started' }, 'spooler started');
  }

  /** Stops claiming; the current job finishes within the grace period or goes back to the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const timer = setTimeout(() => (this.abortReason ??= 'shutdown'), this.shutdownGraceMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(timer);
    }
    await this.lifecycle.storage.delete(ns.heartbeats(this.backendName), this.id).catch(() => undefined);
    this.log.info({ event: 'spooler.stopped' }, 'spooler stopped');
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.maintain();
        const claim = await this.lifecycle.claim(this.backendName, this.id);
        this.failures = 0;
        if (claim) await this.process(claim);
        else await this.idle(this.pollMs);
      } catch (error) {
        // Storage trouble: back off exponentially with jitter and try again by ourselves.
        this.failures += 1;
        const delay = Math.min(30_000, this.pollMs * 2 ** this.failures) * (0.5 + Math.random() / 2);
        this.log.warn({ err: error, retryInMs: Math.round(delay) }, 'spooler loop failed; backing off');
        await this.idle(delay);
      }
    }
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

  /** Heartbeat and reaping of expired leases, at most once per heartbeat interval. */
  private async maintain(): Promise<void> {
    if (Date.now() - this.lastMaintenance < this.heartbeatMs) return;
    this.lastMaintenance = Date.now();
    await this.heartbeat();
    const requeued = await this.lifecycle.requeueExpired(this.backendName);
    if (requeued.length > 0) this.log.warn({ event: 'jobs.requeued', jobs: requeued }, 'took back jobs with expired leases');
  }

  private async heartbeat(): Promise<void> {
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

  private async process(claim: ClaimedJob): Promise<void> {
    const log = this.log.child({ jobId: claim.record.id, attempt: claim.record.attempts });
    const started = Date.now();
    const job: ActiveJob = { claim, active: true };
    this.current = job;
    this.abortReason = undefined;
    const renewal = setInterval(() => void this.renew(job, log), Math.max(50, this.lifecycle.leaseMs / 3));
    try {
      const result = await executeJob({
        backend: this.options.backend,
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
        },
      });
      clearInterval(renewal);
      job.active = false;
      await this.lifecycle.complete(job.claim, result, 'Simulation done.');
      log.info({ event: 'job.done', ms: Date.now() - started }, 'job done');
    } catch (error) {
      clearInterval(renewal);
      job.active = false;
      await this.settle(job.claim, error, log);
    } finally {
      this.current = undefined;
    }
  }

  private async settle(claim: ClaimedJob, error: unknown, log: Logger): Promise<void> {
    if (error instanceof LeaseLostError || (error instanceof JobAborted && error.reason === 'lease-lost')) {
      log.warn({ event: 'job.lease_lost' }, 'lost the lease; dropping the job without publishing');
      return;
    }
    if (error instanceof JobAborted && error.reason === 'cancelled') {
      await this.lifecycle.acknowledgeCancel(claim);
      log.info({ event: 'job.cancelled' }, 'job cancelled while running');
      return;
    }
    if (error instanceof JobAborted) {
      await this.lifecycle.release(claim);
      log.info({ event: 'job.released' }, 'handed the job back to the queue on shutdown');
      return;
    }
    if (error instanceof QspoolError && error.status === 503) throw error;
    const message = error instanceof InvalidJobError ? error.message : `Execution failed: ${(error as Error).message}`;
    await this.lifecycle.fail(claim, message);
    log.info({ event: 'job.error', message }, 'job failed');
  }

  private async renew(job: ActiveJob, log: Logger): Promise<void> {
    if (!job.active) return;
    try {
      const renewed = await this.lifecycle.renew(job.claim);
      if (!job.active) return;
      job.claim = renewed;
      if (renewed.record.cancelRequested) this.abortReason ??= 'cancelled';
    } catch (error) {
      if (error instanceof LeaseLostError) this.abortReason = 'lease-lost';
      else log.warn({ err: error }, 'lease renewal failed; will retry');
    }
  }
}
