// The qlued status dict: the exact shape every job-status answer of the v2/v3 API has.
import type { FromSchema } from 'json-schema-to-ts';

export const statusSchema = {
  $id: 'https://qspool.dev/schemas/status.json',
  title: 'Job status',
  type: 'object',
  properties: {
    job_id: { type: 'string', description: 'The job id, or "None" when the answer concerns no job.' },
    status: {
      type: 'string',
      description: 'The job state; "error" only where get_job_result answers for a cancelled job (qiskit-cold-atom waits for "finished" or "error").',
      enum: ['INITIALIZING', 'QUEUED', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED', 'error'],
    },
    detail: { type: 'string', description: 'The job history, entries separated by "; ".' },
    error_message: { type: 'string', description: '"None" unless the job failed.' },
  },
  required: ['job_id', 'status', 'detail', 'error_message'],
  additionalProperties: false,
} as const;

export type StatusDict = FromSchema<typeof statusSchema>;
