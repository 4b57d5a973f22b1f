// The external-runtime protocol, version 1: the document a runtime reads on stdin and the one it must print on
// stdout. Documented in the README ("External runtimes"); examples/runtime/qubit_runtime.py implements it.
import type { Job } from '../../schemas/job.ts';
import type { ExperimentData } from '../backend.ts';
import { instructionRecords } from '../backend.ts';

export const PROTOCOL = 'qspool-runtime/1';

/** stdin: one JSON document, then end of file. */
export interface RuntimeRequest {
  protocol: typeof PROTOCOL;
  job_id: string;
  /** The backend's display name (`qubit`). */
  backend: string;
  runtime_id: string;
  /** The runtime is killed this long after it started. */
  timeout_ms: number;
  /** Validated experiments as the device runs them (the qubit text form already compiled to instructions). */
  job: Job;
}

/** What is wrong with a runtime's stdout, in words for the job's error message. */
export class RuntimeOutputError extends Error {
  /** The runtime itself said why it could not run the job (`{"error": …}`). */
  constructor(
    message: string,
    readonly reported = false,
  ) {
    super(message);
  }
}

const MEMORY_ENTRY = /^(\d+( \d+)*)?$/;

function describeStart(stdout: string): string {
  const start = stdout.trim().slice(0, 60);
  return start ? `stdout began ${JSON.stringify(start)}` : 'stdout was empty';
}

/**
 * Reads stdout: `{"results": {"experiment_0": {"memory": ["0 1", …]}, …}}`, one entry per experiment with one
 * memory string per shot, or `{"error": "why the device could not run it"}`.
 */
export function parseRuntimeOutput(stdout: string, job: Job): Record<string, ExperimentData> {
  let output: unknown;
  try {
    output = JSON.parse(stdout);
  } catch (error) {
    throw new RuntimeOutputError(`printed no result JSON (${(error as Error).message}; ${describeStart(stdout)})`);
  }
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw new RuntimeOutputError(`printed ${JSON.stringify(output)?.slice(0, 60)}, not a result object`);
  }
  const { error, results } = output as { error?: unknown; results?: unknown };
  if (typeof error === 'string') throw new RuntimeOutputError(`reported: ${error.slice(0, 500)}`, true);
  if (results === null || typeof results !== 'object') throw new RuntimeOutputError('printed an object without "results" or "error"');
  const data: Record<string, ExperimentData> = {};
  for (const [name, experiment] of Object.entries(job)) {
    const memory = (results as Record<string, { memory?: unknown } | undefined>)[name]?.memory;
    const valid = Array.isArray(memory) && memory.length === experiment.shots && memory.every((m) => typeof m === 'string' && MEMORY_ENTRY.test(m));
    if (!valid) {
      throw new RuntimeOutputError(
        `result for ${name}: "memory" must be a list of ${experiment.shots} strings of space-separated outcomes like "0 1"`,
      );
    }
    data[name] = { memory: memory as string[], instructions: instructionRecords(experiment) };
  }
  return data;
}
