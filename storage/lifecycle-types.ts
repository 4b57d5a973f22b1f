// What callers hand the job lifecycle (lifecycle.ts) and what it hands back: submissions, an administrator's
// conditions, a spooler's claim, and the lifecycle's own settings.
import type { StorageProvider, Transaction } from './contract.ts';
import type { SetAsideListener } from './damaged.ts';
import type { JobRecord } from './records.ts';
import type { JobTransitions } from './job-transitions.ts';
import type { StepwisePublisher } from './stepwise-publisher.ts';
import type { StepwiseSchedule } from './stepwise-schedule.ts';
import type { StepwiseTransitions } from './stepwise-transitions.ts';

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

/** What the lifecycle's modules (submission, lookup, administration) share with JobLifecycle, which builds it. */
export interface LifecycleParts {
  storage: StorageProvider;
  /** Where the id and owner indexes live (LifecycleOptions.index). */
  indexStorage: StorageProvider;
  /** The provider name index entries carry, when the indexes live on another store. */
  indexProvider: string | undefined;
  now: () => number;
  transitions: JobTransitions;
  stepwise: StepwiseTransitions;
  schedule: StepwiseSchedule;
  publisher: StepwisePublisher;
  /** One transition as one transaction, resolved when durable or when committed (LifecycleOptions.awaitDurability). */
  transact<T>(work: (tx: Transaction) => T): Promise<T>;
}
