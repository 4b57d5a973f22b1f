// A backend's retry policy, published by its spooler in the backend config (`retry`): which failed attempts run
// again, how long a retried job waits, and after how many attempts it is dead-lettered. Invalid jobs (schema or
// work-bound failures) are never retried, whatever the policy says: they would fail the same way every time.
import type { FromSchema } from 'json-schema-to-ts';

export const retryPolicySchema = {
  type: 'object',
  description: 'Retries of failed attempts with exponential backoff; a job out of attempts is dead-lettered.',
  properties: {
    /** Attempts in all, the first one included; a retryable failure of the last one dead-letters the job. */
    max_attempts: { type: 'integer', minimum: 1, maximum: 100 },
    /** The wait before the second attempt; attempt n + 1 waits base_delay_ms × factor^(n − 1), at most max_delay_ms. */
    base_delay_ms: { type: 'integer', minimum: 0 },
    factor: { type: 'number', minimum: 1, maximum: 100 },
    max_delay_ms: { type: 'integer', minimum: 0 },
    /** External-runtime exit codes that mean a passing fault (a device error), not a broken job. */
    exit_codes: { type: 'array', items: { type: 'integer' }, uniqueItems: true, maxItems: 256 },
    /** Whether a run stopped at its time limit (or a runtime killed at its timeout) is retried. */
    timeouts: { type: 'boolean' },
    /** Whether a job whose spooler died (its lease expired) is retried. */
    lease_expiry: { type: 'boolean' },
  },
  required: ['max_attempts', 'base_delay_ms', 'factor', 'max_delay_ms', 'exit_codes', 'timeouts', 'lease_expiry'],
  additionalProperties: false,
} as const;

export type RetryPolicy = FromSchema<typeof retryPolicySchema>;
