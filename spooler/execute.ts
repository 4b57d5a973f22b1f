// Runs one claimed job on a backend: validate against the published schema, run each experiment, assemble the
// qlued result. Knows nothing about leases; the caller supplies a checkpoint that throws to abort.
import type { BackendConfig } from '../schemas/backend-config.ts';
import { fullBackendName } from '../schemas/backend-config.ts';
import type { Job } from '../schemas/job.ts';
import type { ExperimentResult, Result } from '../schemas/result.ts';
import { InvalidJobError, WorkLimitError } from '../schemas/errors.ts';
import { summarizeIssues, validateJob, type ValidationIssue, type ValidationReport } from '../schemas/validators.ts';
import { pauliReport } from '../schemas/pauli-exclusion.ts';
import { textInstructionReport } from '../schemas/text-instructions.ts';
import { workIssues } from '../schemas/work-limits.ts';
import type { BackendDefinition, ExperimentData, RunContext } from './backend.ts';

export interface ExecutionInput {
  backend: BackendDefinition;
  config: BackendConfig;
  providerName: string;
  jobId: string;
  payload: unknown;
  context: RunContext;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Problems an invalid job's error lists when the caller does not say (the server's number is configured). */
export const DEFAULT_LISTED_PROBLEMS = 20;

/** Throws for a schema report with problems: the first ones listed, the message saying how many there are. */
export function assertValid(report: ValidationReport): void {
  if (report.total > 0) throw new InvalidJobError(summarizeIssues(report.issues, 5, report.total), report.issues);
}

/** Throws WorkLimitError for a schema-valid job over the work bounds its config publishes. */
export function assertWithinBounds(config: BackendConfig, payload: unknown): void {
  if (!config.limits) return;
  const issues = workIssues(config.limits, config.max_hilbert_dimension, payload as Record<string, unknown>);
  if (issues.length > 0) throw new WorkLimitError(summarizeIssues(issues), issues);
}

/**
 * Throws InvalidJobError for what the config's rules beyond its schema refuse: text experiments of more instructions
 * than max_instructions, loads into modes its Pauli rule says are certainly filled.
 */
export function assertPublishedRules(config: BackendConfig, payload: unknown, maxListed = DEFAULT_LISTED_PROBLEMS): void {
  const job = payload as Record<string, unknown>;
  const { limits } = config;
  if (limits?.text_instructions && limits.max_instructions !== undefined) {
    assertValid(textInstructionReport(limits.text_instructions, limits.max_instructions, job, maxListed));
  }
  if (config.pauli_exclusion) assertValid(pauliReport(config.pauli_exclusion, job, maxListed));
}

/**
 * Throws InvalidJobError naming the broken rules: schema first, then the published work bounds and rules, then the
 * backend's own checks.
 */
export function checkJob(backend: BackendDefinition | undefined, config: BackendConfig, payload: unknown, maxListed = DEFAULT_LISTED_PROBLEMS): void {
  assertValid(validateJob(config.job_schema, payload, maxListed));
  assertWithinBounds(config, payload);
  assertPublishedRules(config, payload, maxListed);
  const issues: ValidationIssue[] = backend?.checkJob?.(payload as Record<string, unknown>, {
    maxHilbertDimension: config.max_hilbert_dimension ?? Number.MAX_SAFE_INTEGER,
  }) ?? [];
  if (issues.length > 0) throw new InvalidJobError(summarizeIssues(issues), issues.slice(0, maxListed));
}

/** Errors a simulator raises about what an experiment asks (a fermion loaded into an occupied mode, say). */
const EXPERIMENT_ERRORS = new Set(['RangeError', 'SyntaxError']);

async function runEach(backend: BackendDefinition, job: Job, context: RunContext): Promise<Record<string, ExperimentData>> {
  const data: Record<string, ExperimentData> = {};
  for (const [name, experiment] of Object.entries(job)) {
    context.checkpoint();
    try {
      data[name] = await backend.runExperiment(name, experiment, context);
    } catch (error) {
      // Named like a refusal at submission: "experiment_2, instruction 1 (…)".
      if (error instanceof Error && EXPERIMENT_ERRORS.has(error.name)) error.message = `${name}, ${error.message}`;
      throw error;
    }
    // Let lease renewals and cancel checks run between experiments.
    await nextTick();
  }
  return data;
}

export async function executeJob(input: ExecutionInput): Promise<Result> {
  const { backend, config, context } = input;
  checkJob(backend, config, input.payload);
  const job = input.payload as Job;
  const data = backend.runJob ? await backend.runJob(job, context) : await runEach(backend, job, context);
  const results: ExperimentResult[] = Object.entries(job).map(([name, experiment]) => ({
    // sqooler's create_memory_data writes this header, and qlued serves it as it is.
    header: { name, 'extra metadata': 'text' },
    shots: experiment.shots,
    success: true,
    data: data[name]!,
  }));
  return {
    backend_name: fullBackendName(input.providerName, config),
    display_name: config.display_name,
    backend_version: config.version,
    job_id: input.jobId,
    qobj_id: null,
    success: true,
    status: 'finished',
    header: {},
    results,
  };
}
