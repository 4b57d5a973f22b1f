// Fills queues through a storage provider the way enqueue leaves them (owned by a user no bench client is, so no
// client's queue quota counts them), with ids as a real submit rate makes them: at most 10 jobs per millisecond, so
// ordered keys are spread as they are in real use, not 100,000 in one millisecond.
import { jobIdTime, newJobId } from '../storage/keys.ts';
import { bandOf, entryKey, scheduleNs } from '../storage/schedule.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { type JobRecord, ns } from '../storage/records.ts';

export const JOBS_PER_MS = 10;

/** A clock that advances one millisecond every JOBS_PER_MS ids, starting in the past. */
export class SubmitClock {
  private issued = 0;
  constructor(private readonly start: number) {}

  nextId(): string {
    const id = newJobId(this.start + Math.floor(this.issued / JOBS_PER_MS));
    this.issued += 1;
    return id;
  }
}

export function queuedRecord(id: string, backend: string, payload: unknown): JobRecord {
  const at = new Date().toISOString();
  return {
    id,
    backend,
    owner: 'seeded',
    state: 'QUEUED',
    payload,
    createdAt: at,
    timestamps: { QUEUED: at },
    attempts: 0,
    seq: 1,
    detail: ['Got your json.', 'Passed json sanity check.', 'Waiting in the queue.'],
  };
}

/**
 * Adds `count` queued jobs with the clock's next ids (a few writes in flight, for providers that wait on I/O), each with
 * its schedule entry, so claims take the scheduled path. On a provider with transactions they are enqueued as the
 * server does; elsewhere only what a claim reads is written (the record and its entry, with the id's millisecond as
 * the owner's virtual start, which keeps one owner's jobs in id order), not the indexes and statuses.
 */
export async function seedQueue(storage: StorageProvider, backend: string, count: number, clock: SubmitClock, payload: unknown): Promise<void> {
  const BATCH = 64;
  const lifecycle = new JobLifecycle(storage);
  for (let done = 0; done < count; done += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, count - done) }, () => clock.nextId());
    await Promise.all(
      ids.map((id) =>
        storage.transaction
          ? lifecycle.enqueue({ backend, owner: 'seeded', payload, id })
          : seedStepwise(storage, queuedRecord(id, backend, payload)),
      ),
    );
  }
}

async function seedStepwise(storage: StorageProvider, record: JobRecord): Promise<void> {
  record.schedule = entryKey(bandOf(record), jobIdTime(record.id), record.id);
  await storage.put(ns.queued(record.backend), record.id, record);
  await storage.put(scheduleNs.entries(record.backend), record.schedule, { id: record.id });
}
