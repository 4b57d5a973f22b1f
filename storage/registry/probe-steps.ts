// The timed steps of a provider probe and the verdict on them, shared by the probe of qspool's layout (./probe.ts)
// and that of sqooler's (storage/sqooler/probe.ts). A probe stops at its first failing step, which it records.

export interface ProbeStep {
  step: string;
  ms: number;
  ok: boolean;
  error?: string;
}

/** A named step: resolves whether it held. */
export type ProbeAction = [step: string, action: () => Promise<boolean>];

/** Runs the steps in order until one fails (false or a throw), timing each. */
export async function runSteps(actions: ProbeAction[]): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  for (const [step, action] of actions) {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      const ok = await action();
      steps.push({ step, ms: ms(), ok });
      if (!ok) break;
    } catch (error) {
      steps.push({ step, ms: ms(), ok: false, error: (error as Error).message });
      break;
    }
  }
  return steps;
}

/** The verdict on a probe: every step passed (a probe that stopped early recorded the failing one), its time, what failed. */
export function probeVerdict(steps: ProbeStep[]): { passed: boolean; ms: number; message: string } {
  const passed = steps.length > 0 && steps.every((step) => step.ok);
  const ms = Math.round(steps.reduce((sum, step) => sum + step.ms, 0));
  const names = steps.map((step) => step.step);
  const failed = steps.find((step) => !step.ok);
  const message = passed
    ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)} succeeded`
    : `the ${failed?.step ?? 'probe'} step failed${failed?.error ? `: ${failed.error}` : ''}`;
  return { passed, ms, message };
}
