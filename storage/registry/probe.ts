// Proves a provider's credentials and permissions with a real round trip: create, read, compare-and-swap,
// list, move and delete in a scratch namespace, timing each step. A sqooler-layout provider is opened as a read-only
// view of sqooler's documents, so it gets the round trip of its own document store (storage/sqooler/probe.ts).
import { randomBytes } from 'node:crypto';
import type { StorageProvider } from '../contract.ts';
import { probeSqooler } from '../sqooler/probe.ts';
import { SqoolerView } from '../sqooler/view.ts';
import { type ProbeStep, runSteps } from './probe-steps.ts';

export { probeVerdict, type ProbeStep } from './probe-steps.ts';

const SCRATCH = 'qspool-probe';

export async function probeProvider(storage: StorageProvider): Promise<ProbeStep[]> {
  if (storage instanceof SqoolerView) return probeSqooler(storage.documents, storage.paths);
  const key = `probe-${randomBytes(6).toString('hex')}`;
  let version = '';
  const steps = await runSteps([
    ['create', async () => Boolean((version = await storage.put(SCRATCH, key, { probe: true }, { ifAbsent: true })))],
    ['read', async () => (await storage.get(SCRATCH, key))?.version === version],
    ['compare-and-swap', async () => Boolean((version = await storage.replace(SCRATCH, key, { probe: 2 }, version)))],
    ['list', async () => (await storage.list(SCRATCH, { limit: 1000 })).includes(key)],
    ['move', async () => Boolean(await storage.move(SCRATCH, `${SCRATCH}/moved`, key))],
    ['delete', () => storage.delete(`${SCRATCH}/moved`, key)],
  ]);
  if (!steps.every((step) => step.ok)) await storage.delete(SCRATCH, key).catch(() => false);
  return steps;
}
