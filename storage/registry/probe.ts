// Proves a provider's credentials and permissions with a real round trip: create, read, compare-and-swap,
// list, move and delete in a scratch namespace, timing each step.
import { randomBytes } from 'node:crypto';
import type { StorageProvider } from '../contract.ts';

export interface ProbeStep {
  step: string;
  ms: number;
  ok: boolean;
  error?: string;
}

const SCRATCH = 'qspool-probe';
const STEPS = ['create', 'read', 'compare-and-swap', 'list', 'move', 'delete'];

/** The verdict on a probe: every step ran and passed, how long they took, and what failed. */
export function probeVerdict(steps: ProbeStep[]): { passed: boolean; ms: number; message: string } {
  const passed = steps.length === STEPS.length && steps.every((step) => step.ok);
  const ms = Math.round(steps.reduce((sum, step) => sum + step.ms, 0));
  const failed = steps.find((step) => !step.ok);
  const message = passed
    ? `${STEPS.slice(0, -1).join(', ')} and ${STEPS.at(-1)} succeeded`
    : `the ${failed?.step ?? 'probe'} step failed${failed?.error ? `: ${failed.error}` : ''}`;
  return { passed, ms, message };
}

export async function probeProvider(storage: StorageProvider): Promise<ProbeStep[]> {
  const key = `probe-${randomBytes(6).toString('hex')}`;
  const steps: ProbeStep[] = [];
  let version = '';
  const run = async (step: string, action: () => Promise<boolean>) => {
    const started = performance.now();
    try {
      const ok = await action();
      steps.push({ step, ms: Math.round((performance.now() - started) * 10) / 10, ok });
      return ok;
    } catch (error) {
      steps.push({ step, ms: Math.round((performance.now() - started) * 10) / 10, ok: false, error: (error as Error).message });
      return false;
    }
  };
  const ok =
    (await run('create', async () => Boolean((version = await storage.put(SCRATCH, key, { probe: true }, { ifAbsent: true }))))) &&
    (await run('read', async () => (await storage.get(SCRATCH, key))?.version === version)) &&
    (await run('compare-and-swap', async () => Boolean((version = await storage.replace(SCRATCH, key, { probe: 2 }, version))))) &&
    (await run('list', async () => (await storage.list(SCRATCH, { limit: 1000 })).includes(key))) &&
    (await run('move', async () => Boolean(await storage.move(SCRATCH, `${SCRATCH}/moved`, key)))) &&
    (await run('delete', async () => storage.delete(`${SCRATCH}/moved`, key)));
  if (!ok) await storage.delete(SCRATCH, key).catch(() => false);
  return steps;
}
