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
