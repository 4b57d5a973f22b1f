// Builds a backend's job JSON Schema from its instruction specs: gate names, coupling maps, parameter ranges,
// shot and experiment limits. The spooler publishes it in its config; the server and the spooler validate with it.

export interface ParameterSpec {
  name: string;
  min: number;
  max: number;
  integer?: boolean;
}

export interface InstructionSpec {
  name: string;
  parameters: ParameterSpec[];
  /** Allowed wire tuples, or 'any' for any non-empty set of distinct wires (barrier). */
  coupling_map: number[][] | 'any';
}

export type WireOrder = 'interleaved' | 'sequential';

export interface JobLimits {
  max_experiments: number;
  max_shots: number;
  num_wires: number;
  wire_order: WireOrder;
  /** Orders a job may name when more than the config's one is accepted (see BackendDefinition.wireOrders). */
  accepted_wire_orders?: WireOrder[];
  /** Upper bound on instructions per experiment (a resource limit, not a physics rule). */
  max_instructions: number;
}

function wiresSchema(spec: InstructionSpec, numWires: number) {
  if (spec.coupling_map === 'any') {
    return {
      type: 'array',
      items: { type: 'integer', minimum: 0, maximum: numWires - 1 },
      minItems: 1,
      uniqueItems: true,
    };
  }
  return { type: 'array', enum: spec.coupling_map };
}

function parametersSchema(spec: InstructionSpec) {
  if (spec.parameters.length === 0) return { type: 'array', maxItems: 0 };
  return {
    type: 'array',
    items: spec.parameters.map((p) => ({
      type: p.integer ? 'integer' : 'number',
      minimum: p.min,
      maximum: p.max,
      title: p.name,
    })),
    minItems: spec.parameters.length,
    maxItems: spec.parameters.length,
  };
}

/**
 * A regular expression for the decimal numbers 0 … n−1 without leading zeros: experiments are numbered below
 * max_experiments (sqooler refuses `experiment_1001` on a 1000-experiment backend by its number, not the count).
 */
export function numbersBelow(n: number): string {
  const max = String(n - 1);
  if (/^9+$/.test(max)) return max.length === 1 ? '[0-9]' : `0|[1-9][0-9]{0,${max.length - 1}}`;
  const alternatives = ['0'];
  if (max.length > 1) alternatives.push(max.length === 2 ? '[1-9]' : `[1-9][0-9]{0,${max.length - 2}}`);
  for (let i = 0; i < max.length; i += 1) {
    const digit = Number(max[i]);
    const lowest = i === 0 ? 1 : 0;
    if (digit <= lowest) continue;
    const rest = max.length - i - 1;
    alternatives.push(`${max.slice(0, i)}[${lowest}-${digit - 1}]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  if (max !== '0') alternatives.push(max);
  return alternatives.join('|');
}

export function buildJobSchema(instructions: InstructionSpec[], limits: JobLimits): Record<string, unknown> {
  const names = instructions.map((spec) => spec.name);
  const instruction = {
    type: 'array',
    items: [{ type: 'string', enum: names }, { type: 'array' }, { type: 'array' }],
    minItems: 3,
    maxItems: 3,
    allOf: instructions.map((spec) => ({
      if: { items: [{ const: spec.name }] },
      then: { items: [{ const: spec.name }, wiresSchema(spec, limits.num_wires), parametersSchema(spec)] },
    })),
  };
  const experiment = {
    type: 'object',
    properties: {
      instructions: { type: 'array', items: instruction, maxItems: limits.max_instructions },
      shots: { type: 'integer', minimum: 1, maximum: limits.max_shots },
      num_wires: { type: 'integer', minimum: 1, maximum: limits.num_wires },
      wire_order: limits.accepted_wire_orders
        ? { type: 'string', enum: limits.accepted_wire_orders }
        : { type: 'string', const: limits.wire_order },
      seed: { type: ['integer', 'null'], minimum: 0, maximum: 2 ** 53 - 1 },
    },
    required: ['instructions', 'shots', 'num_wires', 'wire_order'],
    additionalProperties: false,
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    // The title is what a refusal quotes as the rule.
    propertyNames: {
      pattern: `^experiment_(${numbersBelow(limits.max_experiments)})$`,
      title: `experiment_0 … experiment_${limits.max_experiments - 1} (max_experiments ${limits.max_experiments})`,
    },
    additionalProperties: experiment,
    minProperties: 1,
    maxProperties: limits.max_experiments,
  };
}
