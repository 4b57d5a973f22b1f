// What a backend (a device or simulator) is to the spooler: its published config, its job schema and how it
// runs one experiment. Each backend lives in spooler/backends/<name>/ and exports one BackendDefinition.
import { WORK_BOUND_DEFAULTS } from '../config/index.ts';
import type { BackendConfig } from '../schemas/backend-config.ts';
import { buildJobSchema, type InstructionSpec, type JobLimits, type WireOrder } from '../schemas/backend-job-schema.ts';
import type { Experiment, Job } from '../schemas/job.ts';
import type { ExperimentResult } from '../schemas/result.ts';
import type { ValidationIssue } from '../schemas/validators.ts';
import type { PauliExclusion } from '../schemas/pauli-exclusion.ts';
import type { TextInstructions } from '../schemas/text-instructions.ts';
import type { HamiltonianGate, HilbertSpaceModel } from '../schemas/work-limits.ts';

export type StaticConfig = Omit<BackendConfig, 'job_schema' | 'max_hilbert_dimension' | 'limits' | 'pauli_exclusion'>;

export interface RunContext {
  jobId: string;
  /** Throws when the job was cancelled or its lease lost; call it between and inside long steps. */
  checkpoint(): void;
  /** Upper bound on state-vector size, from configuration. */
  maxHilbertDimension: number;
  /** Aborted when the job is abandoned (cancel, lease lost, shutdown); for work that cannot call checkpoint. */
  signal?: AbortSignal;
  /** Adds a line to the job's history and facts to its meta while it runs (on the spooler's thread only). */
  note?(line: string, meta?: Record<string, unknown>): Promise<void>;
}

export type ExperimentData = ExperimentResult['data'];

export interface BackendDefinition {
  config: StaticConfig;
  instructions: InstructionSpec[];
  /** A schema other than the qlued experiment format built from `instructions` (e.g. the qubit text form). */
  jobSchema?(limits: JobLimits): Record<string, unknown>;
  /** Rules beyond the schema the spooler checks before running (the server checks the published `work` model instead). */
  checkJob?(job: Record<string, unknown>, context: { maxHilbertDimension: number }): ValidationIssue[];
  /** Wire orders jobs may name, when more than the config's `wire_order` is accepted. */
  wireOrders?: WireOrder[];
  /** How the state size and Hamiltonians follow from a job, published so the server can refuse oversized jobs. */
  work?: { hilbertSpace: HilbertSpaceModel; maxHamiltonianNonZeros?: number; hamiltonianGates?: Record<string, HamiltonianGate> };
  /** How a text-form experiment counts against max_instructions, published so the server counts it. */
  textInstructions?: TextInstructions;
  /** Where every wire is a fermionic mode: published so the server refuses loads into a mode that is certainly filled. */
  pauliExclusion?: PauliExclusion;
  /**
   * The largest outcome one `measure` reports where every wire has a fixed number of levels (1 on two-level wires);
   * absent where a job sets it (a `load` of n atoms, which a device may count otherwise).
   */
  largestOutcome?: number;
  /** The experiment as the device runs it (the qubit text form becomes instructions); identity if absent. */
  compile?(experiment: Experiment): Experiment;
  runExperiment(name: string, experiment: Experiment, context: RunContext): Promise<ExperimentData> | ExperimentData;
  /** Runs the whole job at once instead of experiment by experiment (an external runtime), data by experiment name. */
  runJob?(job: Job, context: RunContext): Promise<Record<string, ExperimentData>>;
}

export interface PublishLimits {
  maxInstructions: number;
  maxHilbertDimension: number;
  /** Defaults: config/ WORK_BOUND_DEFAULTS. */
  maxSamples?: number;
  maxResultBytes?: number;
  timeLimitS?: number;
}

/** The document a spooler publishes in `configs/<name>`: qlued's config plus the job schema and our limits. */
export function publishedConfig(backend: BackendDefinition, limits: PublishLimits): BackendConfig {
  const jobLimits: JobLimits = {
    max_experiments: backend.config.max_experiments,
    max_shots: backend.config.max_shots,
    num_wires: backend.config.num_wires,
    wire_order: backend.config.wire_order,
    ...(backend.wireOrders ? { accepted_wire_orders: backend.wireOrders } : {}),
    max_instructions: limits.maxInstructions,
  };
  return {
    ...backend.config,
    job_schema: backend.jobSchema ? backend.jobSchema(jobLimits) : buildJobSchema(backend.instructions, jobLimits),
    max_hilbert_dimension: limits.maxHilbertDimension,
    limits: {
      max_instructions: limits.maxInstructions,
      ...(backend.textInstructions ? { text_instructions: backend.textInstructions } : {}),
      max_samples: limits.maxSamples ?? WORK_BOUND_DEFAULTS.maxSamples,
      max_result_bytes: limits.maxResultBytes ?? WORK_BOUND_DEFAULTS.maxResultBytes,
      time_limit_s: limits.timeLimitS ?? WORK_BOUND_DEFAULTS.timeLimitS,
      ...(backend.work ? { hilbert_space: backend.work.hilbertSpace } : {}),
      ...(backend.work?.hamiltonianGates
        ? { max_hamiltonian_nonzeros: backend.work.maxHamiltonianNonZeros!, hamiltonian_gates: backend.work.hamiltonianGates }
        : {}),
    },
    ...(backend.pauliExclusion ? { pauli_exclusion: backend.pauliExclusion } : {}),
  };
}

/** Refuses experiments whose state vector would exceed the bound, naming the size, before anything is allocated. */
export function hilbertSpaceIssues(
  job: Record<string, unknown>,
  dimension: (experiment: Experiment) => number,
  maxHilbertDimension: number,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, experiment] of Object.entries(job)) {
    const size = dimension(experiment as Experiment);
    if (size > maxHilbertDimension) {
      issues.push({
        path: `/${name}`,
        message: `${name}: Hilbert space of ${size.toExponential(2)} amplitudes exceeds the limit of ${maxHilbertDimension}`,
      });
    }
  }
  return issues;
}

/** The `instructions` record of a result: what was run, in qlued's named form. */
export function instructionRecords(experiment: Experiment): ExperimentData['instructions'] {
  return experiment.instructions.map(([name, wires, params]) => ({ name, wires, params }));
}
