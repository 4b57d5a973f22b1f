// How a failed run is described to the backend's retry policy (storage/retries.ts): an external runtime's exit code or
// timeout, or an error of the backend's own code, which is the job's and never retried.
import type { AttemptFailure } from '../storage/retries.ts';
import { RuntimeFailure } from './runtime/index.ts';

export function attemptFailure(error: unknown): AttemptFailure {
  const message = `Execution failed: ${(error as Error).message}`;
  if (!(error instanceof RuntimeFailure) || !error.run) return { kind: 'error', message };
  const { run } = error;
  if (run.timedOut) return { kind: 'timeout', message };
  if (run.exitCode !== null && run.exitCode !== 0) return { kind: 'exit-code', message, exitCode: run.exitCode };
  return { kind: 'error', message };
}
