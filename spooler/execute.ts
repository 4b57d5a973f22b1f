// Runs one claimed job on a backend: validate against the published schema, run each experiment, assemble the
// qlued result. Knows nothing about leases; the caller supplies a checkpoint that throws to abort.
import type { BackendConfig } from '../schemas/backend-config.ts';
import { fullBackendName } from '../schemas/backend-config.ts';
import type { Job } from '../schemas/job.ts';
import type { ExperimentResult, Result } from '../schemas/result.ts';
import { InvalidJobError } from '../schemas/errors.ts';
import { summarizeIssues, validateJob } from '../schemas/validators.ts';
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

/** Throws InvalidJobError naming every broken rule (schema first, then the backend's own checks). */
export function checkJob(backend: BackendDefinition | undefined, config: BackendConfig, payload: unknown): void {
  const issues = validateJob(config.job_schema, payload);
  if (issues.length === 0 && backend?.checkJob) {
    issues.push(
      ...backend.checkJob(payload as Record<string, unknown>, {
        maxHilbertDimension: config.max_hilbert_dimension ?? Number.MAX_SAFE_INTEGER,
      }),
    );
  }
  if (issues.length > 0) throw new InvalidJobError(summarizeIssues(issues), issues);
}

async function runEach(backend: BackendDefinition, job: Job, context: RunContext): Promise<Record<string, ExperimentData>> {
  const data: Record<string, ExperimentData> = {};
  for (const [name, experiment] of Object.entries(job)) {
    context.checkpoint();
    data[name] = await backend.runExperiment(name, experiment, context);
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
    header: { name },
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
