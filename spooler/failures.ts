// How a failed run is described to the backend's retry policy (storage/retries.ts): an external runtime's exit code or
// timeout, or an error of the backend's own code, which is the job's and never retried.
import type { AttemptFailure } from '../storage/retries.ts';
import { RuntimeFailure } from './runtime/index.ts';

/** How much of a thrown value that is no Error the job's message quotes. */
const THROWN_VALUE_CHARS = 200;

/**
 * The message of whatever an experiment threw. Backend code may throw a string, null or a bare object: reading
 * `.message` of null would throw while the job is settled (leaving it to its lease's expiry), and of the others give
 * "undefined"; String() of an object without a prototype throws too.
 */
export function thrownMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  let text: string;
  try {
    text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    text = Object.prototype.toString.call(error);
  }
  return `threw ${text.length > THROWN_VALUE_CHARS ? `${text.slice(0, THROWN_VALUE_CHARS)}…` : text}`;
}

export function attemptFailure(error: unknown): AttemptFailure {
  const message = `Execution failed: ${thrownMessage(error)}`;
  if (!(error instanceof RuntimeFailure) || !error.run) return { kind: 'error', message };
  const { run } = error;
  if (run.timedOut) return { kind: 'timeout', message };
  if (run.exitCode !== null && run.exitCode !== 0) return { kind: 'exit-code', message, exitCode: run.exitCode };
  return { kind: 'error', message };
}
