// The qlued job format every backend accepts: experiments named experiment_<n>, each a list of instructions
// `[name, wires, params]`. Per-backend schemas (backend-job-schema.ts) narrow this with gate sets and limits.
import type { FromSchema } from 'json-schema-to-ts';

export const instructionSchema = {
  $id: 'https://qspool.dev/schemas/instruction.json',
  title: 'Instruction',
  description: 'One gate, measurement, load or barrier: [name, wires, params].',
  type: 'array',
  items: [
    { type: 'string', minLength: 1, maxLength: 64 },
    { type: 'array', items: { type: 'integer', minimum: 0 } },
    { type: 'array', items: { type: 'number' } },
  ],
  minItems: 3,
  additionalItems: false,
} as const;

export const experimentSchema = {
  $id: 'https://qspool.dev/schemas/experiment.json',
  title: 'Experiment',
  type: 'object',
  properties: {
    instructions: { type: 'array', items: instructionSchema },
    shots: { type: 'integer', minimum: 1 },
    num_wires: { type: 'integer', minimum: 1 },
    wire_order: { type: 'string', enum: ['interleaved', 'sequential'] },
    // null is no seed, as in sqooler's `seed: Optional[int] = None`.
    seed: { type: ['integer', 'null'] },
  },
  required: ['instructions', 'shots', 'num_wires', 'wire_order'],
  additionalProperties: false,
} as const;

export const EXPERIMENT_NAME = '^experiment_(0|[1-9][0-9]{0,5})$';

export const jobSchema = {
  $id: 'https://qspool.dev/schemas/job.json',
  title: 'Job',
  description: 'Experiments keyed experiment_0 … experiment_N.',
  type: 'object',
  propertyNames: { pattern: EXPERIMENT_NAME },
  additionalProperties: experimentSchema,
  minProperties: 1,
} as const;

export type Instruction = FromSchema<typeof instructionSchema>;
export type Experiment = FromSchema<typeof experimentSchema>;
export type Job = Record<string, Experiment>;
