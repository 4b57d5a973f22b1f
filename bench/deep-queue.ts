// The deep queues rows 2 and 6 share: qubit jobs queued through a provider (seeded with its fast spec; only
// seeding uses it), topped up to the depth a row needs. Large fills run in one seeder process per core, each on
// its own stretch of the submit clock, so ids keep the realistic rate of at most 10 per millisecond.
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { StorageProvider } from '../storage/contract.ts';
import type { ProviderSpec } from '../storage/factory.ts';
import { ns } from '../storage/records.ts';
import { startChild } from './children.ts';
import type { BenchContext } from './context.ts';
import { qubitJob } from './context.ts';
import type { SeedOrder } from './peers/seeder.ts';
import { JOBS_PER_MS, SubmitClock, seedQueue } from './seed.ts';

export const DEEP_BACKEND = 'qubit';

/** Where the next seeded id's clock starts: far enough back for 400,000 ids, moving forward as slices are handed out. */
let clockStart = Date.now() - 400_000 / JOBS_PER_MS;

/** A stretch of the submit clock for `count` ids that no other seeding uses; returns its first millisecond. */
function reserveClock(count: number): number {
  const start = clockStart;
  clockStart += Math.ceil(count / JOBS_PER_MS) + 1;
  return start;
}

export function localStoreDir(context: BenchContext): string {
  return join(context.workDir, 'store-local');
}

/** Keys in a namespace, counted page by page. */
export async function countKeys(storage: StorageProvider, namespace: string): Promise<number> {
  let count = 0;
  for (let after: string | undefined; ; ) {
    const page = await storage.list(namespace, { limit: 10_000, ...(after ? { after } : {}) });
    count += page.length;
    if (page.length < 10_000) return count;
    after = page[page.length - 1];
  }
}

/** Adds `count` jobs at the tail of the queue: in this process when few, else in one seeder process per core. */
export async function addJobs(context: BenchContext, storage: StorageProvider, spec: ProviderSpec, backend: string, count: number): Promise<void> {
  if (count < 5_000) {
    await seedQueue(storage, backend, count, new SubmitClock(reserveClock(count)), qubitJob());
    return;
  }
  const started = Date.now();
  const slices = Math.max(1, cpus().length);
  const orders: SeedOrder[] = Array.from({ length: slices }, (_, i) => {
    const size = Math.floor(count / slices) + (i < count % slices ? 1 : 0);
    return { spec, backend, count: size, start: reserveClock(size), payload: qubitJob() };
  });
  // A seeder reports ready once its slice is stored.
  await Promise.all(
    orders.map(async (order) => (await startChild('seeder', 'seeder.ts', { BENCH_SEED: JSON.stringify(order) }, 600_000)).stop()),
  );
  context.log(`  seeded ${count} jobs into ${backend} in ${((Date.now() - started) / 1000).toFixed(1)} s (${slices} processes)`);
}

/** Adds queued jobs until `backend` has `depth` of them. */
export async function fillTo(context: BenchContext, storage: StorageProvider, spec: ProviderSpec, backend: string, depth: number): Promise<void> {
  const missing = depth - (await countKeys(storage, ns.queued(backend)));
  if (missing > 0) await addJobs(context, storage, spec, backend, missing);
}
