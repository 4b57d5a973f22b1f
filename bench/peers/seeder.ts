// Seeds one slice of a deep queue in its own process, so seeding 100,000 jobs uses every core: the runner starts
// one per core on disjoint stretches of the submit clock (BENCH_SEED = JSON of SeedOrder).
import { createProvider, type ProviderSpec } from '../../storage/factory.ts';
import { SubmitClock, seedQueue } from '../seed.ts';
import { onControl, sendReady } from './protocol.ts';

export interface SeedOrder {
  spec: ProviderSpec;
  backend: string;
  count: number;
  /** Milliseconds since the epoch of this slice's first id. */
  start: number;
  payload: unknown;
}

const order = JSON.parse(process.env.BENCH_SEED ?? '{}') as SeedOrder;
const storage = await createProvider(order.spec);
await seedQueue(storage, order.backend, order.count, new SubmitClock(order.start), order.payload);
await storage.close();
onControl(async () => undefined);
sendReady();
