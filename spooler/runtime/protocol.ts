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

/** One outcome: a count in decimal digits, without leading zeros. */
const OUTCOME = /^(0|[1-9][0-9]*)$/;

/**
 * What is wrong with one memory entry, if anything: it must hold one outcome per `measure`, in their order, separated
 * by single spaces (the empty string without any), each at most `largestOutcome` when the backend has one.
 */
function entryProblem(entry: unknown, measures: number, largestOutcome: number | undefined): string | undefined {
  const range = largestOutcome === undefined ? 'a count' : `0 … ${largestOutcome}`;
  const wanted = `${measures} outcome(s) (one per "measure"), each ${range}, separated by single spaces`;
  if (typeof entry !== 'string') return `is ${JSON.stringify(entry)?.slice(0, 40)}, not a string of ${wanted}`;
  const outcomes = entry === '' ? [] : entry.split(' ');
  const fits =
    outcomes.length === measures && outcomes.every((outcome) => OUTCOME.test(outcome) && (largestOutcome === undefined || Number(outcome) <= largestOutcome));
  return fits ? undefined : `${JSON.stringify(entry.slice(0, 40))} is not ${wanted}`;
}

function describeStart(stdout: string): string {
  const start = stdout.trim().slice(0, 60);
  return start ? `stdout began ${JSON.stringify(start)}` : 'stdout was empty';
}

/**
 * Reads stdout: `{"results": {"experiment_0": {"memory": ["0 1", …]}, …}}`, one entry per experiment with one
 * memory string per shot, or `{"error": "why the device could not run it"}`. A memory that is not what the job's
 * `measure`s give (a missing or extra outcome, a level the backend's wires do not have) fails the run: it would be
 * published, and signed, as the device's result.
 */
export function parseRuntimeOutput(stdout: string, job: Job, largestOutcome?: number): Record<string, ExperimentData> {
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
    if (!Array.isArray(memory) || memory.length !== experiment.shots) {
      throw new RuntimeOutputError(`result for ${name}: "memory" must be a list of ${experiment.shots} strings of space-separated outcomes like "0 1"`);
    }
    const measures = experiment.instructions.filter(([instruction]) => instruction === 'measure').length;
    // Shots repeat a few outcomes: each distinct entry is checked once.
    const fine = new Set<unknown>();
    for (const [shot, entry] of memory.entries()) {
      if (fine.has(entry)) continue;
      const problem = entryProblem(entry, measures, largestOutcome);
      if (problem) throw new RuntimeOutputError(`result for ${name}: memory[${shot}] ${problem}`);
      fine.add(entry);
    }
    data[name] = { memory: memory as string[], instructions: instructionRecords(experiment) };
  }
  return data;
}
