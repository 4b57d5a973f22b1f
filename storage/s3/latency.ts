// Test support: how long a claim takes with a given number of queued jobs, and how many S3 requests it sends (I4:
// neither should grow with the queue). The queue is kept at its length by enqueueing one job per claim. Jobs are
// written as enqueue leaves them for a claim (the record and its schedule entry, storage/stepwise-schedule.ts), not
// their indexes and statuses, so the queue fills fast; a claim of such a job also records its submission's event, one
// request more than a claim of a job the server took.
import { performance } from 'node:perf_hooks';
import type { StorageProvider } from '../contract.ts';
import { jobIdTime, newJobId } from '../keys.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { ns, type JobRecord } from '../records.ts';
import { bandOf, entryKey, scheduleNs } from '../schedule.ts';
import type { CountingPort } from './fake-objects.ts';

function queuedRecord(id: string, backend: string): JobRecord {
  const at = new Date().toISOString();
  return {
    id,
    backend,
    owner: 'bench',
    state: 'QUEUED',
    payload: { experiment_0: { instructions: [['load', [0], []], ['measure', [0], []]], shots: 10 } },
    createdAt: at,
    timestamps: { QUEUED: at },
    attempts: 0,
    seq: 1,
    detail: ['Got your json.', 'Passed json sanity check.', 'Waiting in the queue.'],
  };
}

/** Runs `work` over `items` with at most `width` in flight. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export async function measureClaimLatency(
  storage: StorageProvider,
  counting: CountingPort,
  backend: string,
  queued: number,
  claims: number,
): Promise<string> {
  const enqueue = async (id: string) => {
    const record = queuedRecord(id, backend);
    // The owner's virtual start is the id's millisecond: the entries keep the jobs in id order.
    record.schedule = entryKey(bandOf(record), jobIdTime(id), id);
    await storage.put(ns.queued(backend), id, record, { ifAbsent: true });
    await storage.put(scheduleNs.entries(backend), record.schedule, { id }, { ifAbsent: true });
  };
  const ids = Array.from({ length: queued }, () => newJobId());
  const filling = performance.now();
  await inParallel(ids, 32, enqueue);
  const filled = performance.now() - filling;
  const jobs = new JobLifecycle(storage);
  const times: number[] = [];
  const requests: number[] = [];
  for (let i = 0; i < claims; i += 1) {
    counting.reset();
    const started = performance.now();
    const claim = await jobs.claim(backend, 'bench');
    times.push(performance.now() - started);
    requests.push(counting.total());
    if (!claim) throw new Error('the queue ran dry');
    await enqueue(newJobId());
  }
  const sorted = [...times].sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(1);
  const perClaim = [...new Set(requests)].sort().join(' or ');
  return (
    `median ${fmt(percentile(sorted, 0.5))} ms, p90 ${fmt(percentile(sorted, 0.9))} ms, max ${fmt(sorted.at(-1)!)} ms ` +
    `over ${claims} claims; ${perClaim} S3 requests per claim (queue filled in ${(filled / 1000).toFixed(1)} s)`
  );
}
