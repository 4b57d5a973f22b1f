// Row 2: the cost of claiming the oldest job (list + get + move + status) with 100, 10,000 and 100,000 jobs
// queued, per available provider. Each depth is its own backend, seeded through the provider; runs alternate
// between depths (so machine noise hits all alike) and every run is topped back up to its depth afterwards.
import { join } from 'node:path';
import { createProvider } from '../../storage/factory.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { addJobs, DEEP_BACKEND, fillTo, localStoreDir } from '../deep-queue.ts';
import type { BenchContext } from '../context.ts';
import { benchProviders, type BenchProvider } from '../providers.ts';
import { summarise, type Figure } from '../stats.ts';
import { compared, type TableRow } from '../table.ts';
import { measureTransitions } from './transitions.ts';

const DEPTHS: [number, string][] = [
  [100, 'depth100'],
  [10_000, 'depth10k'],
  [100_000, DEEP_BACKEND],
];
const CLAIMS_PER_RUN = 10;
const WARMUP_CLAIMS = 5;

async function claimBatch(lifecycle: JobLifecycle, backend: string, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    if (!(await lifecycle.claim(backend, 'bench'))) throw new Error(`queue ${backend} ran dry`);
  }
  return (performance.now() - started) / count;
}

/** Mean claim time per run at each depth (each its own backend), with the runs alternating between depths. */
export async function measureClaims(context: BenchContext, provider: BenchProvider, depths: [number, string][] = DEPTHS): Promise<Map<number, Figure>> {
  const seeder = await createProvider(provider.seedSpec);
  const storage: StorageProvider = provider.seedSpec === provider.spec ? seeder : await createProvider(provider.spec);
  const lifecycle = new JobLifecycle(storage);
  try {
    for (const [depth, backend] of depths) {
      context.log(`claims: ${provider.name}, filling ${backend} to ${depth} queued jobs`);
      await fillTo(context, seeder, provider.seedSpec, backend, depth + WARMUP_CLAIMS);
      await claimBatch(lifecycle, backend, WARMUP_CLAIMS);
    }
    const samples = new Map<number, number[]>(depths.map(([depth]) => [depth, []]));
    for (let run = 1; run <= Math.max(context.runs, 5); run += 1) {
      for (const [depth, backend] of depths) {
        samples.get(depth)!.push(await claimBatch(lifecycle, backend, CLAIMS_PER_RUN));
        await addJobs(context, seeder, provider.seedSpec, backend, CLAIMS_PER_RUN);
      }
    }
    return new Map([...samples].map(([depth, values]) => [depth, summarise(values, 'ms')]));
  } finally {
    await storage.close();
    if (seeder !== storage) await seeder.close();
  }
}

async function transitionsOn(context: BenchContext, provider: BenchProvider): Promise<{ submit: Figure; complete: Figure }> {
  const storage = await createProvider(provider.spec);
  try {
    context.log(`transitions: ${provider.name}`);
    return await measureTransitions(context, storage);
  } finally {
    await storage.close();
  }
}

export async function claimRows(context: BenchContext): Promise<TableRow[]> {
  const { available, skipped } = benchProviders((name) => (name === 'local' ? localStoreDir(context) : join(context.workDir, `store-${name}`)));
  const rows: TableRow[] = [];
  for (const provider of available) {
    const figures = await measureClaims(context, provider);
    const transitions = await transitionsOn(context, provider);
    const at = (depth: number) => figures.get(depth)!;
    const how =
      `Mean time of ${CLAIMS_PER_RUN} consecutive JobLifecycle.claim() calls per run, in the bench process, provider opened ` +
      `with its durable defaults (local: fsync on; a claim is one transaction: queue head, one schedule seek per non-empty ` +
      `priority band, move, status, event; elsewhere the schedule head (one listing), get, move, status, entry removal); queues seeded through the provider ` +
      `(with schedule entries) with ids spread at 10 per ms. Providers skipped: ${skipped.join('; ') || 'none'}.`;
    rows.push(
      { row: `2a claim @100 queued [${provider.name}]`, qspool: at(100), peer: '—', goal: '—', ...(rows.length === 0 ? { note: how } : {}) },
      compared(`2b claim @10,000 queued [${provider.name}]`, at(10_000), at(100), '@100'),
      compared(`2c claim @100,000 queued [${provider.name}]`, at(100_000), at(100), '@100', { text: '≤ 1.5×', check: (r) => r <= 1.5 }),
      {
        row: `2d submission (enqueue) [${provider.name}]`,
        qspool: transitions.submit,
        peer: '—',
        goal: '—',
        ...(rows.length === 0
          ? { note: 'Rows 2d–e: mean time of 10 consecutive JobLifecycle.enqueue() (a singlequdit job, each from its own user) and of 10 consecutive complete() calls (a small result) per run, on a queue of their own, provider opened with its durable defaults; the first run is a warm-up.' }
          : {}),
      },
      { row: `2e completion [${provider.name}]`, qspool: transitions.complete, peer: '—', goal: '—' },
    );
  }
  return rows;
}
