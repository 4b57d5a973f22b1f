// How many queued jobs a claim serves before a place in the schedule (storage/schedule.ts), before aging: what
// queue_position and an estimate's queued_ahead report. Jobs waiting out a retry's backoff are ahead of no one until
// their time, and ahead again once it has come: with transactions they wait off the schedule (deferral.ts) until a
// claim promotes them, so the due ones not yet promoted are added here; without, they keep their entry and claims pass
// over it, so the entries of those still waiting are left out here by their marks (StepwiseSchedule.defer). That
// costs one listing and one read per job waiting out a backoff, not per queued job.
import type { StorageProvider } from './contract.ts';
import { deferredNs, deferredUntil } from './deferral.ts';
import { type JobRecord, ns } from './records.ts';
import { entryKeyOf, jobIdOf, scheduleNs } from './schedule.ts';

const PAGE = 1000;
const TIME_DIGITS = 12;

/** Entries before `place` whose job a claim would take at `now`, other than job `self`; at most `max` are counted. */
export async function entriesAhead(storage: StorageProvider, backend: string, place: string, now: number, max: number, self?: string): Promise<number> {
  const ahead = new Set<string>();
  for (let after: string | undefined; ahead.size < max; ) {
    const keys = await storage.list(scheduleNs.entries(backend), { limit: PAGE, ...(after ? { after } : {}) });
    const before = keys.filter((key) => key < place);
    for (const key of before) ahead.add(key);
    if (before.length < keys.length || keys.length < PAGE) break;
    after = keys[keys.length - 1];
  }
  if (ahead.size >= max) return max;
  const deferred = await deferredBefore(storage, backend, place, now, ahead, self);
  return Math.min(max, storage.transaction ? ahead.size + deferred : ahead.size - deferred);
}

/**
 * Jobs other than `self` whose place is before `place` and whose deferred key says: with transactions, due at `now`
 * (their entry is not back yet); without, still waiting at `now` and with their entry among those counted (`ahead`:
 * claims pass over it; a crash between a retry's mark and its entry can leave the mark alone).
 */
async function deferredBefore(storage: StorageProvider, backend: string, place: string, now: number, ahead: ReadonlySet<string>, self?: string): Promise<number> {
  const due = Boolean(storage.transaction);
  let count = 0;
  // 'g' sorts after every hex digit: past every key of the time `now`.
  const nowKey = `${now.toString(16).padStart(TIME_DIGITS, '0')}g`;
  for (let after = due ? undefined : nowKey; ; ) {
    const listed = await storage.list(deferredNs(backend), { limit: PAGE, ...(after === undefined ? {} : { after }) });
    const keys = due ? listed.filter((key) => key < nowKey) : listed;
    const records = await Promise.all(keys.map((key) => storage.get<JobRecord>(ns.queued(backend), jobIdOf(key))));
    keys.forEach((key, i) => {
      const record = records[i]?.value;
      // A key left by a crash or an earlier backoff names another time, or a job no longer queued.
      if (!record || record.id === self || record.notBefore !== deferredUntil(key)) return;
      if (due ? entryKeyOf(record) < place : ahead.has(entryKeyOf(record))) count += 1;
    });
    if (keys.length < PAGE) return count;
    after = keys[keys.length - 1]!;
  }
}
