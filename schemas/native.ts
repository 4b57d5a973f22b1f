// Wire formats of the native API's job and backend endpoints (/api/v1/backends, /api/v1/jobs) and of its error
// body. The server validates requests with these objects and the OpenAPI document embeds the same objects.
import type { FromSchema } from 'json-schema-to-ts';
import { USERNAME_PATTERN } from './accounts.ts';
import { backendConfigSchema } from './backend-config.ts';
import { notifySchema } from './notifications.ts';
import { QLUED_JOB_ID_PATTERN } from './qlued-job-id.ts';

export const JOB_STATES = ['QUEUED', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED'] as const;
export const MAX_PRIORITY = 9;
export const MAX_TAGS = 16;
/** What a job keeps of its external runtime's stderr: the end, where a crash says why. */
export const RUNTIME_STDERR_TAIL_BYTES = 4096;
const TAG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$';
const STATE_LIST_PATTERN = `^(${JOB_STATES.join('|')})(,(${JOB_STATES.join('|')}))*$`;

const jobId = { type: 'string', pattern: '^[0-9a-f]{24}$' } as const;
/** A listed job: qspool's id, or the one qlued gave a job imported from its Dropbox. */
const listedJobId = { type: 'string', anyOf: [jobId, { pattern: QLUED_JOB_ID_PATTERN }] } as const;
/** The `{id}` of the routes by job id: any id a job can be listed under. */
export const jobIdPathSchema = { ...listedJobId, description: 'A job id as listed (qspool\'s, or qlued\'s for an imported job); anything else answers 404.' } as const;
const tags = {
  type: 'array',
  items: { type: 'string', pattern: TAG_PATTERN },
  maxItems: MAX_TAGS,
  uniqueItems: true,
  description: `Up to ${MAX_TAGS} labels of 1–32 characters, for filtering the job list.`,
} as const;
const priority = {
  type: 'integer',
  minimum: 0,
  maximum: MAX_PRIORITY,
  description: 'Higher first (0–9, at most the user\'s max_priority); see the README\'s Scheduling section for aging and fair share.',
} as const;
const timestamp = { type: 'string', description: 'ISO 8601 date-time.' } as const;
const nullableTimestamp = { type: ['string', 'null'], description: 'ISO 8601 date-time, or null.' } as const;

export const jobSubmissionSchema = {
  title: 'Job submission',
  type: 'object',
  properties: {
    payload: {
      type: 'object',
      description: 'The job: experiments keyed experiment_0 … experiment_N, checked against the backend\'s job_schema.',
    },
    tags,
    priority,
    notify: notifySchema,
  },
  required: ['payload'],
  additionalProperties: false,
} as const;

export const jobSummarySchema = {
  title: 'Job summary',
  type: 'object',
  properties: {
    id: listedJobId,
    backend: { type: 'string', description: 'The display name of the job\'s backend.' },
    backend_name: {
      type: ['string', 'null'],
      description:
        'The name the job was submitted to, as a backend\'s `name`: the display name on the server\'s own storage, the full name ' +
        '(`<provider>_<display>_simulator|hardware`) on a registered provider. null only for a registered provider\'s job ' +
        'submitted before qspool kept it; `provider` and `backend` still name it.',
    },
    provider: { type: 'string', description: 'The registered storage provider the job is on; absent for the server\'s own storage.' },
    owner: { type: 'string' },
    status: { type: 'string', enum: JOB_STATES },
    created_at: timestamp,
    updated_at: timestamp,
    tags: { type: 'array', items: { type: 'string' } },
    priority: { type: 'integer' },
  },
  required: ['id', 'backend', 'backend_name', 'owner', 'status', 'created_at', 'updated_at', 'tags', 'priority'],
  additionalProperties: false,
} as const;

/** The last external-runtime run of a job (spooler/runtime/), for its owner; the command line stays with the lab. */
const jobRuntimeSchema = {
  type: ['object', 'null'],
  description: 'The job\'s last run by an external runtime (lab hardware control); null for jobs no runtime has run.',
  properties: {
    id: { type: 'string', description: 'The runtime configuration that ran the job: backend and a digest of its command.' },
    exit_code: { type: ['integer', 'null'], description: 'null when the runtime was ended by a signal or could not start.' },
    signal: { type: ['string', 'null'], description: 'The signal that ended it (e.g. SIGTERM after a timeout), or null.' },
    timed_out: { type: 'boolean' },
    stderr_tail: { type: 'string', description: `The last ${RUNTIME_STDERR_TAIL_BYTES} bytes (at most) of what the runtime wrote to stderr.` },
    started_at: timestamp,
    ended_at: timestamp,
  },
  required: ['id', 'exit_code', 'signal', 'timed_out', 'stderr_tail', 'started_at', 'ended_at'],
  additionalProperties: false,
} as const;

export const jobDetailSchema = {
  title: 'Job',
  type: 'object',
  properties: {
    ...jobSummarySchema.properties,
    timestamps: {
      type: 'object',
      description: 'When the job entered each state it has been in.',
      properties: { queued: timestamp, running: timestamp, done: timestamp, error: timestamp, cancelled: timestamp },
      additionalProperties: false,
    },
    attempts: { type: 'integer', minimum: 0, description: 'Claims by spoolers so far.' },
    queue_position: {
      type: ['integer', 'null'],
      minimum: 1,
      description: '1 for the next job a spooler takes; null unless queued.',
    },
    cancel_requested: { type: 'boolean' },
    history: { type: 'array', items: { type: 'string' } },
    error_message: { type: ['string', 'null'] },
    runtime: jobRuntimeSchema,
  },
  required: [...jobSummarySchema.required, 'timestamps', 'attempts', 'queue_position', 'cancel_requested', 'history', 'error_message', 'runtime'],
  additionalProperties: false,
} as const;

/** GET /api/v1/jobs/{id}/signature: whether a job's result verifies against its backend's published key. */
export const signatureReportSchema = {
  type: 'object',
  properties: {
    job_id: { type: 'string' },
    backend: { type: 'string' },
    status: { type: 'string' },
    signed: { type: 'boolean', description: 'A signature is stored with the result.' },
    valid: { type: 'boolean' },
    kid: { type: ['string', 'null'], description: 'The key id in the signature header.' },
    alg: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'], description: 'Why the signature is not valid; null when it is.' },
    jws: { type: ['string', 'null'], description: 'The detached compact JWS (`header..signature`) as stored.' },
    key: { type: ['object', 'null'], description: 'The public key (JWK) that verified it.' },
  },
  required: ['job_id', 'backend', 'status', 'signed', 'valid', 'kid', 'alg', 'reason', 'jws', 'key'],
  additionalProperties: false,
} as const;

/** Names of registered storage providers an answer had to leave out (what is missing is in `description`). */
export function unreachableProviders<D extends string>(description: D) {
  return { type: 'array', items: { type: 'string' }, description } as const;
}

export const jobListSchema = {
  title: 'Job list',
  type: 'object',
  properties: {
    jobs: { type: 'array', items: jobSummarySchema },
    next_cursor: {
      type: ['string', 'null'],
      description:
        'Pass as `cursor` for the next page; null when there is nothing more. A page may be short (even empty) and still have a next cursor. ' +
        'While jobs of an unreachable provider are left out, it is never null: following it once the provider answers lists them.',
    },
    unreachable_providers: unreachableProviders(
      'Storage providers whose jobs could not be read just now, by name (as a job\'s `provider`): their jobs are missing from this page ' +
        'and come on a later page of this listing once they answer, ahead of the jobs after them. Empty when every job could be read.',
    ),
  },
  required: ['jobs', 'next_cursor', 'unreachable_providers'],
  additionalProperties: false,
} as const;

export const jobListQuerySchema = {
  title: 'Job list query',
  type: 'object',
  properties: {
    backend: { type: 'string', pattern: '^[a-z0-9_]{1,100}$', description: 'Only jobs of this backend.' },
    status: { type: 'string', pattern: STATE_LIST_PATTERN, description: 'Comma-separated states, e.g. QUEUED,RUNNING.' },
    tag: { type: 'string', pattern: TAG_PATTERN, description: 'Only jobs carrying this tag.' },
    owner: { type: 'string', pattern: USERNAME_PATTERN, description: 'Admins only: the jobs of this user.' },
    created_after: { type: 'string', format: 'date-time', description: 'Only jobs created at or after this time.' },
    created_before: { type: 'string', format: 'date-time', description: 'Only jobs created before this time.' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 2000, description: 'The next_cursor of the previous page.' },
  },
  additionalProperties: false,
} as const;

export const backendSummarySchema = {
  title: 'Backend summary',
  type: 'object',
  properties: {
    name: { type: 'string', description: 'The name used in /api/v1 URLs: the display name on the server\'s own storage, the full name on a registered provider.' },
    full_name: { type: 'string', description: 'The qiskit name, e.g. alqor_singlequdit_simulator.' },
    description: { type: 'string' },
    version: { type: 'string' },
    simulator: { type: 'boolean' },
    operational: { type: 'boolean' },
    last_heartbeat: nullableTimestamp,
  },
  required: ['name', 'full_name', 'description', 'version', 'simulator', 'operational', 'last_heartbeat'],
  additionalProperties: false,
} as const;

export const backendListSchema = {
  title: 'Backend list',
  type: 'object',
  properties: {
    backends: { type: 'array', items: backendSummarySchema },
    unreachable_providers: unreachableProviders(
      'Registered storage providers whose backends could not be read just now, by name (as in a backend\'s full name): their backends ' +
        'are missing from this list until they answer. Empty when every provider could be read.',
    ),
  },
  required: ['backends', 'unreachable_providers'],
  additionalProperties: false,
} as const;

export const backendDetailSchema = {
  title: 'Backend',
  type: 'object',
  properties: {
    name: backendSummarySchema.properties.name,
    full_name: backendSummarySchema.properties.full_name,
    config: backendConfigSchema,
    status: {
      type: 'object',
      properties: {
        operational: { type: 'boolean', description: 'A spooler checked the queue recently.' },
        pending_jobs: { type: 'integer', minimum: 0, description: 'Queue depth.' },
        last_heartbeat: nullableTimestamp,
        status_msg: { type: 'string' },
      },
      required: ['operational', 'pending_jobs', 'last_heartbeat', 'status_msg'],
      additionalProperties: false,
    },
  },
  required: ['name', 'full_name', 'config', 'status'],
  additionalProperties: false,
} as const;

export const errorBodySchema = {
  title: 'Error',
  description: 'Every error of the native API.',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'Stable, machine-readable, e.g. invalid_job, not_found, rate_limited.' },
        message: { type: 'string' },
        details: { description: 'Structured detail (field problems, validation issues, limits), or null.' },
      },
      required: ['code', 'message', 'details'],
      additionalProperties: false,
    },
  },
  required: ['error'],
  additionalProperties: false,
} as const;

export type JobSubmission = FromSchema<typeof jobSubmissionSchema>;
export type JobSummary = FromSchema<typeof jobSummarySchema>;
export type JobDetail = FromSchema<typeof jobDetailSchema>;
export type JobList = FromSchema<typeof jobListSchema>;
export type JobListQuery = FromSchema<typeof jobListQuerySchema>;
export type BackendSummary = FromSchema<typeof backendSummarySchema>;
export type BackendList = FromSchema<typeof backendListSchema>;
export type BackendDetail = FromSchema<typeof backendDetailSchema>;
