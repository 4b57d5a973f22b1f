// What happens to a job whose attempt failed: run again after a backoff, when its backend's retry policy calls the
// failure passing and attempts remain; dead-lettered, when the failure is retryable but the attempts are used up;
// ended ERROR otherwise. Every failed attempt is kept on the record (`failures`) and named in its history.
import type { RetryPolicy } from '../schemas/retry-policy.ts';
import type { FailedAttempt, FailureKind, JobRecord } from './records.ts';

/** One attempt's failure as the spooler (or the lease reaper) saw it. */
export interface AttemptFailure {
  kind: FailureKind;
  message: string;
  /** The external runtime's exit code, for `exit-code` failures. */
  exitCode?: number;
}

/** A failure worth another attempt under the policy; plain execution errors are the job's own and never are. */
function isRetryable(policy: RetryPolicy, failure: AttemptFailure): boolean {
  switch (failure.kind) {
    case 'exit-code':
      return failure.exitCode !== undefined && policy.exit_codes.includes(failure.exitCode);
    case 'timeout':
      return policy.timeouts;
    case 'lease-expired':
      return policy.lease_expiry;
    case 'error':
      return false;
  }
}

/** The wait before the attempt after `failed` failed ones: base × factor^(failed − 1), capped. */
export function backoffMs(policy: RetryPolicy, failed: number): number {
  return Math.min(policy.max_delay_ms, Math.round(policy.base_delay_ms * policy.factor ** Math.max(0, failed - 1)));
}

/** Attempts this job has used since it was queued by its user or last requeued by an administrator. */
export function attemptsUsed(record: JobRecord): number {
  return record.attempts - (record.attemptOffset ?? 0);
}

export type Advance = (record: Omit<JobRecord, 'lease'>, state: JobRecord['state'], line: string, changes?: Partial<JobRecord>) => JobRecord;

/**
 * The running job after its attempt failed at `now`: QUEUED with a not-before time, ERROR with a dead letter, or
 * plain ERROR. `advance` is the lifecycle's record step (JobTransitions.advance).
 */
export function afterFailedAttempt(running: JobRecord, failure: AttemptFailure, policy: RetryPolicy, now: number, advance: Advance): JobRecord {
  const { lease: _lease, notBefore: _notBefore, ...rest } = running;
  const at = new Date(now).toISOString();
  const entry: FailedAttempt = {
    attempt: running.attempts,
    at,
    kind: failure.kind,
    message: failure.message,
    ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }),
  };
  const failures = [...(running.failures ?? []), entry];
  const used = attemptsUsed(running);
  if (!isRetryable(policy, failure)) {
    return advance(rest, 'ERROR', failure.message, { errorMessage: failure.message, failures });
  }
  if (used < policy.max_attempts) {
    const delay = backoffMs(policy, used);
    const line = `Attempt ${running.attempts} failed (${failure.kind}): ${failure.message}; retrying in ${delay / 1000} s (attempt ${used + 1} of ${policy.max_attempts}).`;
    return advance(rest, 'QUEUED', line, { failures, ...(delay > 0 ? { notBefore: now + delay } : {}) });
  }
  const message = `Dead-lettered after ${used} attempts; the last failed (${failure.kind}): ${failure.message}`;
  return advance(rest, 'ERROR', message, { errorMessage: message, failures, deadLetter: { at, reason: failure.kind } });
}

/** A record on its way back to the queue from the dead letters (an administrator's requeue): a fresh set of attempts. */
export function revived(record: JobRecord): JobRecord {
  const { deadLetter: _dead, notBefore: _notBefore, ...rest } = record;
  return { ...rest, attemptOffset: record.attempts };
}

/** Whether a queued record may be claimed at `now`. */
export function isDue(record: JobRecord, now: number): boolean {
  return record.notBefore === undefined || record.notBefore <= now;
}
