// POST /api/v1/backends/{name}/estimate: what a job would cost, answered without queueing it (server/services/estimate.ts).
import type { FromSchema } from 'json-schema-to-ts';

const seconds = (description: string) => ({ type: ['number', 'null'], minimum: 0, description }) as const;

export const jobEstimateSchema = {
  title: 'Job estimate',
  type: 'object',
  properties: {
    backend: { type: 'string', description: 'The backend as named in the request URL.' },
    size: {
      type: 'object',
      description: 'The job\'s size, as the run-time model reads it.',
      properties: {
        experiments: { type: 'integer', minimum: 0 },
        instructions: { type: 'integer', minimum: 0 },
        shots: { type: 'integer', minimum: 0, description: 'Over all experiments.' },
        hilbert_dimension: {
          type: 'integer',
          minimum: 1,
          description: 'The largest state over the experiments, by the backend\'s published state-size model (config.limits.hilbert_space); 1 without one.',
        },
      },
      required: ['experiments', 'instructions', 'shots', 'hilbert_dimension'],
      additionalProperties: false,
    },
    run_time_s: seconds(
      'Expected run time (from the job entering RUNNING to DONE). null when the backend has no finished jobs to learn from.',
    ),
    run_time_basis: {
      type: 'string',
      enum: ['fit', 'mean', 'none'],
      description:
        'fit: least squares of run time against the job\'s size (instructions × dimension², shots × (wires + log2 dimension)) over the backend\'s ' +
        'recent finished jobs; mean: fewer than 4 such jobs, their mean run time; none: no history.',
    },
    history_jobs: { type: 'integer', minimum: 0, description: 'The recent finished jobs (at most 50) behind the figures.' },
    queue_wait_s: seconds(
      'Expected wait before a spooler takes the job: the jobs queued ahead at the recent mean run time plus what the running jobs have left, ' +
        'shared among the live spoolers. 0 for an idle backend; null when it is busy and has no history.',
    ),
    queued_ahead: {
      type: 'integer',
      minimum: 0,
      description:
        'Queued jobs a spooler would take before this one (counted up to 10,000): those of higher priority and, at its priority, ' +
        'the ones fair share between users puts first. Aging may still lift an older lower-priority job ahead.',
    },
    running: { type: 'integer', minimum: 0, description: 'Jobs running now.' },
    spoolers: { type: 'integer', minimum: 0, description: 'Spoolers with a recent heartbeat.' },
    time_limit_s: { type: ['integer', 'null'], description: 'The backend stops a job that runs longer (config.limits); null if it publishes none.' },
    result_bytes: {
      type: 'integer',
      minimum: 0,
      description: 'Estimated size of the result\'s memory: shots × (4 bytes per outcome, one per measure and at least one per wire, + 2 bytes), the figure checked against max_result_bytes.',
    },
  },
  required: ['backend', 'size', 'run_time_s', 'run_time_basis', 'history_jobs', 'queue_wait_s', 'queued_ahead', 'running', 'spoolers', 'time_limit_s', 'result_bytes'],
  additionalProperties: false,
} as const;

export type JobEstimateView = FromSchema<typeof jobEstimateSchema>;
