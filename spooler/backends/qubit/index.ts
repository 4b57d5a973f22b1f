// The qubit device: one qubit driven by rotations, given as qlued instructions or as text "X(90), Y(180)"
// (degrees). Mode `simulation` runs a state-vector simulation; `echo` answers a well-formed result without running;
// `verbatim` hands the compiled job to the external runtime the operator configured (spooler/runtime/).
import type { BackendDefinition, ExperimentData } from '../../backend.ts';
import { instructionRecords } from '../../backend.ts';
import { buildJobSchema, type InstructionSpec, type JobLimits } from '../../../schemas/backend-job-schema.ts';
import type { Experiment } from '../../../schemas/job.ts';
import { textCountRule, type TextInstructions } from '../../../schemas/text-instructions.ts';
import type { ValidationIssue } from '../../../schemas/validators.ts';
import { parseRotationText, simulate } from '../../simulators/qubit.ts';

export type QubitMode = 'simulation' | 'echo' | 'verbatim';

// Angles 0…360 in the pattern, so that the published schema states the text form's grammar and the server refuses
// what the spooler would. The number of rotations is bounded there by the text's length only: patterns run on RE2
// (schemas/linear-regexp.ts), which counts at most 1,000 repetitions; the published text_instructions rule counts them
// exactly (schemas/text-instructions.ts).
const DEGREES = '(\\d{1,2}|[0-2]\\d\\d|3[0-5]\\d|360)';
const ROTATION = `[XYZ]\\(${DEGREES}\\)`;
/** The longest rotation with its separator: `, X(360)`. */
const MAX_ROTATION_CHARS = 8;

/** Each rotation is one instruction, and the read-out the text implies one more. */
const TEXT_INSTRUCTIONS: TextInstructions = { separator: ', ', item: 'rotation', implied: ['measure'] };

/** The text form as a schema: at most `max_instructions` − 1 rotations, since the text implies a final measure. */
function rotationText(limits: JobLimits): Record<string, unknown> {
  return {
    type: 'string',
    title: `rotations as text, "X(90), Y(180), Z(45)": X, Y or Z, 0…360 degrees, ${textCountRule(TEXT_INSTRUCTIONS, limits.max_instructions)}`,
    pattern: `^${ROTATION}(, ${ROTATION})*$`,
    maxLength: MAX_ROTATION_CHARS * (limits.max_instructions - 1),
  };
}

const wire0 = [[0]];
const rotation = (name: string, axis: string) => ({
  name,
  parameters: ['theta'],
  qasm_def: `gate ${name}(theta) {}`,
  coupling_map: wire0,
  description: `Rotation exp(-i theta ${axis}/2)`,
});

const instructions: InstructionSpec[] = [
  ...['rx', 'ry', 'rz'].map((name) => ({ name, parameters: [{ name: 'theta', min: 0, max: 2 * Math.PI }], coupling_map: wire0 })),
  { name: 'measure', parameters: [], coupling_map: wire0 },
  { name: 'barrier', parameters: [], coupling_map: 'any' as const },
];

/** A text experiment compiled to instructions (the parser appends the measurement the text form implies). */
function compiled(experiment: Experiment | (Omit<Experiment, 'instructions'> & { instructions: string })): Experiment {
  if (typeof experiment.instructions !== 'string') return experiment as Experiment;
  const gates = parseRotationText(experiment.instructions).map(([name, wires, params]) => [name, [...wires], [...params]] as [string, number[], number[]]);
  return { ...experiment, instructions: gates };
}

function jobSchema(limits: JobLimits): Record<string, unknown> {
  const schema = buildJobSchema(instructions, limits) as { additionalProperties: { properties: Record<string, unknown> } };
  const experiment = schema.additionalProperties;
  experiment.properties.instructions = {
    anyOf: [experiment.properties.instructions, rotationText(limits)],
  };
  return schema;
}

/** The text's grammar, which the schema's pattern states too; its count is the published text_instructions rule. */
function checkText(job: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, experiment] of Object.entries(job)) {
    const text = (experiment as { instructions: unknown }).instructions;
    if (typeof text !== 'string') continue;
    try {
      parseRotationText(text);
    } catch (error) {
      issues.push({ path: `/${name}/instructions`, message: `${name}: ${(error as Error).message}` });
    }
  }
  return issues;
}

/** The fake shot echo mode answers: shaped like a simulated one, an outcome 0 for every `measure` (none: ""). */
function echoedShot(experiment: Experiment): string {
  return experiment.instructions
    .filter(([gate]) => gate === 'measure')
    .map(() => '0')
    .join(' ');
}

export function createQubitBackend(mode: QubitMode = 'simulation'): BackendDefinition {
  return {
    config: {
      description: `A single qubit driven by X, Y and Z rotations (mode: ${mode}).`,
      version: '0.1',
      display_name: 'qubit',
      cold_atom_type: 'spin',
      gates: [rotation('rx', 'X'), rotation('ry', 'Y'), rotation('rz', 'Z')],
      max_experiments: 1000,
      max_shots: 100_000,
      simulator: true,
      supported_instructions: ['rx', 'ry', 'rz', 'measure', 'barrier'],
      num_wires: 1,
      wire_order: 'sequential',
      num_species: 1,
    },
    instructions,
    largestOutcome: 1,
    // One wire is numbered the same in either order; the other one-species backends take both too, and a job copied
    // from their examples (which say "interleaved") must not be refused for it.
    wireOrders: ['sequential', 'interleaved'],
    jobSchema,
    textInstructions: TEXT_INSTRUCTIONS,
    checkJob: checkText,
    compile: compiled,
    runExperiment(_name, submitted, context): ExperimentData {
      // In verbatim mode jobs go to the runtime (withRuntime replaces this path); getting here is a wiring error.
      if (mode === 'verbatim') throw new Error('the qubit backend in verbatim mode needs an external runtime (QSPOOL_RUNTIME_QUBIT)');
      const experiment = compiled(submitted);
      const memory =
        mode === 'echo'
          ? new Array<string>(experiment.shots).fill(echoedShot(experiment))
          : simulate(experiment, { checkpoint: context.checkpoint }).memory;
      return { memory, instructions: instructionRecords(experiment) };
    },
  };
}
