// The qlued/qiskit result document. `status` is "finished" for DONE jobs: qiskit-cold-atom polls for that string.
import type { FromSchema } from 'json-schema-to-ts';

const instructionRecord = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    wires: { type: 'array', items: { type: 'integer' } },
    params: { type: 'array', items: { type: 'number' } },
  },
  required: ['name', 'wires', 'params'],
  additionalProperties: false,
} as const;

export const experimentResultSchema = {
  type: 'object',
  properties: {
    header: {
      type: 'object',
      properties: { name: { type: 'string' }, 'extra metadata': { type: 'string' } },
      required: ['name'],
    },
    shots: { type: 'integer', minimum: 0 },
    success: { type: 'boolean' },
    data: {
      type: 'object',
      properties: {
        memory: { type: 'array', items: { type: 'string', pattern: '^(\\d+( \\d+)*)?$' } },
        instructions: { anyOf: [{ type: 'null' }, { type: 'array', items: instructionRecord }] },
      },
      required: ['memory', 'instructions'],
      additionalProperties: false,
    },
  },
  required: ['header', 'shots', 'success', 'data'],
  additionalProperties: false,
} as const;

export const resultSchema = {
  $id: 'https://qspool.dev/schemas/result.json',
  title: 'Result',
  type: 'object',
  properties: {
    backend_name: { type: ['string', 'null'] },
    display_name: { type: 'string' },
    backend_version: { type: 'string' },
    job_id: { type: 'string' },
    qobj_id: { type: ['string', 'null'] },
    success: { type: 'boolean' },
    status: { type: 'string' },
    header: { type: 'object' },
    results: { type: 'array', items: experimentResultSchema },
  },
  required: ['backend_name', 'display_name', 'backend_version', 'job_id', 'qobj_id', 'success', 'status', 'header', 'results'],
  additionalProperties: false,
} as const;

export type Result = FromSchema<typeof resultSchema>;
export type ExperimentResult = FromSchema<typeof experimentResultSchema>;
