// Row 2's other transitions, per provider: what one submission (enqueue: the job, its indexes, schedule entry,
// status and event) and one completion (result, move to finished, status, event) cost, each awaited before the next,
// as a server's lone request or a spooler's job would see them. The claims in between are row 2's own figure.
import { JobLifecycle, type ClaimedJob } from '../../storage/lifecycle.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import type { BenchContext } from '../context.ts';
import { singlequditJob } from '../context.ts';
import { summarise, type Figure } from '../stats.ts';

const BACKEND = 'transitions';
const JOBS_PER_RUN = 10;

async function timedEach<T>(items: T[], step: (item: T) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (const item of items) await step(item);
  return (performance.now() - started) / items.length;
}

/** Mean time per run of a submission and of a completion, on a queue of its own. */
export async function measureTransitions(context: BenchContext, storage: StorageProvider): Promise<{ submit: Figure; complete: Figure }> {
  const lifecycle = new JobLifecycle(storage);
  const submits: number[] = [];
  const completes: number[] = [];
  const payload = singlequditJob();
  const owners = Array.from({ length: JOBS_PER_RUN }, (_, i) => `bench${i}`);
  // The first run warms connections and code paths up and is left out.
  for (let run = 0; run <= Math.max(context.runs, 5); run += 1) {
    const submit = await timedEach(owners, (owner) => lifecycle.enqueue({ backend: BACKEND, owner, payload }));
    const claims: ClaimedJob[] = [];
    for (const _ of owners) {
      const claim = await lifecycle.claim(BACKEND, 'bench');
      if (!claim) throw new Error(`queue ${BACKEND} ran dry`);
      claims.push(claim);
    }
    const complete = await timedEach(claims, (claim) => lifecycle.complete(claim, { experiment_0: { data: { memory: ['1'] } } }));
    if (run > 0) {
      submits.push(submit);
      completes.push(complete);
    }
  }
  return { submit: summarise(submits, 'ms'), complete: summarise(completes, 'ms') };
}
