// The numpy reference (reference.py) from the tests: one python3 process per batch of experiments, answers in the
// same order. Tests skip with the reason when python3 lacks numpy.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./reference.py', import.meta.url));

export interface NumpyRequest {
  backend: string;
  /** Instructions as a job sends them (for qubit also the text form). */
  experiment: { instructions: unknown; num_wires: number };
}

export type NumpyAnswer =
  /** P(memory entry), and Σ|θ|·‖H‖ over the gates, which bounds either solver's rounding. */
  | { distribution: Map<string, number>; stiffness: number }
  | { error: string };

/** Why the reference cannot run here, or undefined. */
export function numpyMissing(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import numpy, scipy.sparse'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return 'python3 with numpy and scipy is not installed';
  }
}

export function numpyDistributions(requests: readonly NumpyRequest[]): NumpyAnswer[] {
  // one BLAS thread: the machine's other cores belong to the tests running beside this one
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const output = execFileSync('python3', [SCRIPT], { input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 1 << 30, env });
  const answers = JSON.parse(output) as Array<{ distribution: Record<string, number>; stiffness: number } | { error: string }>;
  return answers.map((answer) => ('error' in answer ? answer : { distribution: new Map(Object.entries(answer.distribution)), stiffness: answer.stiffness }));
}
