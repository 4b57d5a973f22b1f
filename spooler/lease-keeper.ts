// Keeping a running job's lease: renewals, and the lapse timer that abandons the job when none got through in time.
import type { Logger } from '../config/logger.ts';
import { LeaseLostError } from '../schemas/errors.ts';
import { type AbortReason, type ActiveJob, LAPSE_MARGIN } from './active-job.ts';
import type { SpoolerLifecycle } from './spooler-options.ts';

export class LeaseKeeper {
  constructor(
    private readonly lifecycle: Pick<SpoolerLifecycle, 'leaseMs' | 'renew'>,
    /** Abandons the current job (Spooler.abort). */
    private readonly abort: (reason: AbortReason) => void,
  ) {}

  /**
   * Arms the job's lapse timer for a lease written after `askedAt`. Renewals that keep failing (this spooler cut off
   * from the store) would otherwise let the job run on after its lease expired, while another spooler reaps the
   * lease and runs the job too: it is abandoned instead, as a lost lease, shortly before the lease can run out, by
   * this process's clock. The reaped attempt then counts as a lease expiry under the retry policy. (Clock skew between
   * this host and the reaper's is not covered: the reaper compares the expiry this host wrote with its own clock.)
   */
  hold(job: ActiveJob, askedAt: number, log: Logger): void {
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

  /** Extends the job's lease; a cancel requested meanwhile or a lease taken over aborts the job. */
  async renew(job: ActiveJob, log: Logger): Promise<void> {
    if (!job.active) return;
    const askedAt = performance.now();
    job.renewing += 1;
    try {
      const renewed = await this.lifecycle.renew(job.claim);
      if (!job.active) return;
      job.claim = renewed;
      this.hold(job, askedAt, log);
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

  /** The job is settled (or being settled): its renewals and lapse timer stop, and a late renewal leaves it alone. */
  stop(job: ActiveJob, renewal: NodeJS.Timeout): void {
    clearInterval(renewal);
    clearTimeout(job.lapse);
    job.active = false;
  }
}
