// The job a spooler is running, as its renewals, lapse timer and settlement share it, and why it may be abandoned.
import type { ClaimedJob } from '../storage/lifecycle-types.ts';

/** The job being run, shared with its renewal timer; `active` turns false once the job is settled. */
export interface ActiveJob {
  claim: ClaimedJob;
  active: boolean;
  /** Aborted with the JobAborted reason; stops work that cannot call checkpoint (an external runtime). */
  aborted: AbortController;
  /**
   * When the write that last set the lease's expiry was asked for (performance.now(): monotonic, unlike the wall clock
   * an NTP step moves), so the lease holds at least until then + lease.
   */
  heldSince: number;
  /** Abandons the job shortly before that lease runs out unrenewed (LeaseKeeper.hold). */
  lapse?: NodeJS.Timeout;
  /** Renewals asked for and not answered yet. */
  renewing: number;
}

/** A job claimed, and when the claim was asked for (performance.now(); its lease runs from no earlier than that). */
export interface Claimed {
  claim: ClaimedJob;
  askedAt: number;
}

/**
 * The part of the lease a job is abandoned with when no renewal got through: the spooler stops the job then, before
 * another spooler can take the lease over (a thread stops at once, a runtime is sent SIGTERM).
 */
export const LAPSE_MARGIN = 0.1;

export class JobAborted extends Error {
  constructor(readonly reason: 'cancelled' | 'lease-lost' | 'shutdown' | 'time-limit') {
    super(reason);
  }
}

export type AbortReason = JobAborted['reason'];
