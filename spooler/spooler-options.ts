// What a spooler is built from: the lifecycle calls it makes and its settings.
import type { Logger } from '../config/logger.ts';
import type { JobLifecycle } from '../storage/lifecycle.ts';
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import type { BackendDefinition } from './backend.ts';
import type { BackendLocator } from './experiment-thread.ts';
import type { Signer } from './signing/keys.ts';

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
