// The work a job may ask of a backend, as its spooler publishes it (BackendConfig.limits), and the checks the server
// runs at submission from that document alone: the server never loads device code, so a backend it has never seen
// (another lab's spooler, an external runtime) is bounded by exactly what it publishes.
import type { FromSchema } from 'json-schema-to-ts';
import { textInstructionsSchema } from './text-instructions.ts';
import type { ValidationIssue } from './validators.ts';

/** How a job's state-space size follows from its instructions (what the simulators allocate). */
const hilbertSpaceSchema = {
  type: 'object',
  properties: {
    /** Dimension of every wire before any load. */
    wire_dimension: { type: 'integer', minimum: 1 },
    /** `[load, [w], [n]]` makes wire w a spin n/2, of dimension n + 1 (the last load per wire counts). */
    load_instruction: { type: 'string' },
    /** product: all wires at once (multi-wire simulators); largest: one wire at a time (a load resets the state). */
    combine: { type: 'string', enum: ['product', 'largest'] },
  },
  required: ['wire_dimension', 'combine'],
  additionalProperties: false,
} as const;

/**
 * A gate that builds a full-space Hamiltonian, by the parameters that switch on each kind of term: a diagonal part,
 * a spin ladder (Lx) on each listed wire, an exchange (L+L− + h.c.) on each neighbouring pair of listed wires.
 */
const hamiltonianGateSchema = {
  type: 'object',
  properties: {
    diagonal: { type: 'array', items: { type: 'integer', minimum: 0 } },
    ladder: { type: 'array', items: { type: 'integer', minimum: 0 } },
    exchange: { type: 'array', items: { type: 'integer', minimum: 0 } },
  },
  additionalProperties: false,
} as const;

export const workLimitsSchema = {
  type: 'object',
  description: 'Work bounds checked at submission (and by the spooler): total samples, result size, run time, state size.',
  properties: {
    /** Σ shots over the job's experiments. */
    max_samples: { type: 'integer', minimum: 1 },
    /** Estimated result size in bytes (see estimatedResultBytes). */
    max_result_bytes: { type: 'integer', minimum: 1 },
    /** Instructions per experiment once compiled; a text form (the qubit's) counts as `text_instructions` says. */
    max_instructions: { type: 'integer', minimum: 1 },
    text_instructions: textInstructionsSchema,
    /** Wall-clock bound on one job's run; the spooler stops the job and ends it ERROR. */
    time_limit_s: { type: 'integer', minimum: 1 },
    hilbert_space: hilbertSpaceSchema,
    /** Bound on the stored non-zeros of one Hamiltonian the gates below build. */
    max_hamiltonian_nonzeros: { type: 'integer', minimum: 1 },
    hamiltonian_gates: { type: 'object', additionalProperties: hamiltonianGateSchema },
  },
  required: ['max_samples', 'max_result_bytes', 'time_limit_s'],
  additionalProperties: false,
} as const;

export type WorkLimits = FromSchema<typeof workLimitsSchema>;
export type HilbertSpaceModel = FromSchema<typeof hilbertSpaceSchema>;
export type HamiltonianGate = FromSchema<typeof hamiltonianGateSchema>;

/** A broken work bound: `rule` is the config field that states it. */
export interface WorkIssue extends ValidationIssue {
  rule: 'max_samples' | 'max_result_bytes' | 'max_hilbert_dimension' | 'max_hamiltonian_nonzeros';
  limit: number;
  value: number;
}

type Instruction = [string, number[], number[]];
export interface ExperimentShape {
  instructions: Instruction[];
  shots: number;
  num_wires: number;
}

/** Bytes per outcome in `memory`: an atom count of up to three digits and its separator ("500 "). */
export const BYTES_PER_OUTCOME = 4;
/** Bytes per shot around its outcomes: the quotes and comma of its string, less the separator its last outcome lacks. */
export const BYTES_PER_SHOT = 2;

/**
 * Outcomes one shot reports: one per `measure`, and a wire may be measured again and again (9,999 measures of one
 * wire make every shot 20 kB), but never fewer than the wires. Text forms (the qubit's) imply one measure per wire.
 */
export function outcomesPerShot(experiment: ExperimentShape): number {
  if (!Array.isArray(experiment.instructions)) return experiment.num_wires;
  // another lab's job schema may shape its instructions otherwise: only a qlued `["measure", …]` counts
  const measures = experiment.instructions.reduce((count, instruction: unknown) => (Array.isArray(instruction) && instruction[0] === 'measure' ? count + 1 : count), 0);
  return Math.max(experiment.num_wires, measures);
}

/** The result's size, from shots × outcomes per shot of each experiment: at most what `memory` alone takes in JSON. */
export function estimatedResultBytes(experiments: ExperimentShape[]): number {
  return experiments.reduce((sum, e) => sum + e.shots * (outcomesPerShot(e) * BYTES_PER_OUTCOME + BYTES_PER_SHOT), 0);
}

function wireDimensions(experiment: ExperimentShape, model: HilbertSpaceModel): { dims: number[]; largest: number } {
  const dims = new Array<number>(experiment.num_wires).fill(model.wire_dimension);
  let largest = model.wire_dimension;
  for (const [name, wires, params] of experiment.instructions) {
    if (name !== model.load_instruction || wires[0] === undefined || wires[0] >= dims.length) continue;
    dims[wires[0]] = params[0]! + 1;
    largest = Math.max(largest, params[0]! + 1);
  }
  return { dims, largest };
}

/** The amplitudes the simulator holds for the experiment: all wires' product, or the largest wire (see `combine`). */
export function stateDimension(experiment: ExperimentShape, model: HilbertSpaceModel): number {
  const { dims, largest } = wireDimensions(experiment, model);
  return model.combine === 'product' ? dims.reduce((p, d) => p * d, 1) : largest;
}

/** Upper bound on the non-zeros of a gate's Hamiltonian: exact off the diagonal, the diagonal counted in full. */
function hamiltonianNonZeros(instruction: Instruction, gate: HamiltonianGate, dims: number[]): number {
  const [, listed, params] = instruction;
  const dim = dims.reduce((p, d) => p * d, 1);
  const on = (indices: readonly number[] | undefined) => (indices ?? []).some((i) => (params[i] ?? 0) !== 0);
  const wires = [...new Set(listed)].filter((w) => w < dims.length).sort((a, b) => a - b);
  let count = on(gate.diagonal) ? dim : 0;
  if (on(gate.ladder)) for (const w of wires) count += (dim * 2 * (dims[w]! - 1)) / dims[w]!;
  if (on(gate.exchange)) {
    for (let k = 1; k < wires.length; k += 1) {
      const [a, b] = [dims[wires[k - 1]!]!, dims[wires[k]!]!];
      count += (dim * 2 * (a - 1) * (b - 1)) / (a * b);
    }
  }
  return count;
}

/**
 * The work bounds a schema-valid job breaks. `maxHilbertDimension` is the config's own bound on amplitudes. Whole-job
 * bounds (samples, result size) come first: one of them refuses the job without looking at its experiments.
 */
export function workIssues(limits: WorkLimits, maxHilbertDimension: number | undefined, job: Record<string, unknown>): WorkIssue[] {
  const experiments = Object.entries(job).map(([name, e]) => [name, e as ExperimentShape] as const);
  const samples = experiments.reduce((sum, [, e]) => sum + e.shots, 0);
  if (samples > limits.max_samples) {
    const message = `job: ${samples} samples (shots over all experiments) exceed max_samples ${limits.max_samples}`;
    return [{ path: '/', message, rule: 'max_samples', limit: limits.max_samples, value: samples }];
  }
  const bytes = estimatedResultBytes(experiments.map(([, e]) => e));
  if (bytes > limits.max_result_bytes) {
    const message = `job: an estimated result of ${bytes} bytes (shots × (outcomes per shot × ${BYTES_PER_OUTCOME} + ${BYTES_PER_SHOT})) exceeds max_result_bytes ${limits.max_result_bytes}`;
    return [{ path: '/', message, rule: 'max_result_bytes', limit: limits.max_result_bytes, value: bytes }];
  }
  const issues: WorkIssue[] = [];
  const model = limits.hilbert_space;
  for (const [name, experiment] of experiments) {
    // Text-form experiments (qubit) have no instruction list to size; their backends publish no model.
    if (!model || !Array.isArray(experiment.instructions)) continue;
    const { dims } = wireDimensions(experiment, model);
    const size = stateDimension(experiment, model);
    if (maxHilbertDimension !== undefined && size > maxHilbertDimension) {
      const message = `${name}: Hilbert space of ${size.toExponential(2)} amplitudes exceeds the limit of ${maxHilbertDimension}`;
      issues.push({ path: `/${name}`, message, rule: 'max_hilbert_dimension', limit: maxHilbertDimension, value: size });
      continue;
    }
    const bound = limits.max_hamiltonian_nonzeros;
    experiment.instructions.forEach((instruction, index) => {
      const gate = limits.hamiltonian_gates?.[instruction[0]];
      if (!gate || bound === undefined) return;
      const count = hamiltonianNonZeros(instruction, gate, dims);
      if (count <= bound) return;
      const message = `${name}, instruction ${index} (${instruction[0]}): Hamiltonian with up to ${count.toExponential(2)} non-zero entries exceeds max_hamiltonian_nonzeros ${bound}`;
      issues.push({ path: `/${name}/instructions/${index}`, message, rule: 'max_hamiltonian_nonzeros', limit: bound, value: count });
    });
  }
  return issues;
}
