// Wire formats of the dead-letter admin endpoints (/api/v1/admin/dead-letters): jobs whose retryable failures used up
// their attempts (storage/retries.ts), with every failed attempt, for admins to inspect, requeue or purge.
import type { FromSchema } from 'json-schema-to-ts';
import { jobDetailSchema } from './native.ts';

/** How an attempt can fail; which kinds a backend retries is its published `retry` policy. */
export const FAILURE_KINDS = ['exit-code', 'timeout', 'lease-expired', 'error'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

const timestamp = { type: 'string', description: 'ISO 8601 date-time.' } as const;

const failedAttemptSchema = {
  type: 'object',
  properties: {
    attempt: { type: 'integer', minimum: 1 },
    at: timestamp,
    kind: { type: 'string', enum: FAILURE_KINDS },
    message: { type: 'string' },
    exit_code: { type: ['integer', 'null'], description: 'The external runtime\'s exit code, for exit-code failures.' },
  },
  required: ['attempt', 'at', 'kind', 'message', 'exit_code'],
  additionalProperties: false,
} as const;

export const deadLetterSchema = {
  title: 'Dead letter',
  description: 'A job that used up its attempts: its status is ERROR, and it stays apart from cancelled and failed jobs.',
  type: 'object',
  properties: {
    job: jobDetailSchema,
    dead_lettered_at: timestamp,
    reason: { type: 'string', enum: FAILURE_KINDS, description: 'How the last attempt failed.' },
    failures: { type: 'array', items: failedAttemptSchema, description: 'Every failed attempt, oldest first.' },
  },
  required: ['job', 'dead_lettered_at', 'reason', 'failures'],
  additionalProperties: false,
} as const;

export const deadLetterListSchema = {
  title: 'Dead letters',
  type: 'object',
  properties: {
    dead_letters: { type: 'array', items: deadLetterSchema },
    next_after: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null at the end.' },
  },
  required: ['dead_letters', 'next_after'],
  additionalProperties: false,
} as const;

export const deadLetterQuerySchema = {
  title: 'Dead letter query',
  type: 'object',
  properties: {
    backend: { type: 'string', pattern: '^[a-z0-9]+(_[a-z0-9]+){0,2}$', description: 'Only this backend\'s dead letters (its name as /backends lists it).' },
    after: { type: 'string', pattern: '^[0-9a-f]{24}$', description: 'The last job id of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
  additionalProperties: false,
} as const;

export type DeadLetterView = FromSchema<typeof deadLetterSchema>;
export type DeadLetterList = FromSchema<typeof deadLetterListSchema>;
export type DeadLetterQuery = FromSchema<typeof deadLetterQuerySchema>;
