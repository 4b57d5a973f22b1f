// The order in which spoolers take queued jobs: priority first, aging so that nothing starves, and fair share between
// users inside one priority. The functions taking a Transaction write it on providers with transactions; providers
// without write the same entries step by step (stepwise-schedule.ts) with the pure helpers here.
// Every queued job has an entry in `schedule/<backend>` whose key sorts in that order:
//   <band: 9 - priority> <virtual start: 12 hex> <job id>
// Inside a band, the virtual start is start-time fair queuing: a user's next job starts UNIT / weight after their
// previous one (weight 1 unless an admin set the user's fair-share weight), and never before the start of the job last
// taken from the band. A user with one job therefore waits for at most one job of each other user of weight 1 in the
// band, however long their queues, and users with jobs waiting are served in proportion to their weights; ties go to
// the older job. A job that leaves the queue without running (cancelled, purged) gives its step back to its user.
// Across bands, a claim compares the bands' first entries (one index seek per non-empty band, at most 10, whatever
// the queue's length): a band's head gains one priority level per `agingMs` it has waited, and of heads at the same
// level the one that has waited longer goes first, so a job at the head of band p is taken, at the latest, once it
// has waited (9 - p) × agingMs and the older heads at the top level have been taken.
// With transactions, entries are written, moved and removed in the same transaction as the job's own transitions; the
// job record keeps its key (`schedule`), so a job that returns to the queue (lease lost, released, requeued) keeps its
// place.
import type { Transaction } from './contract.ts';
import { jobIdTime } from './keys.ts';
import type { JobRecord } from './records.ts';

export const MAX_PRIORITY = 9;
const BANDS = MAX_PRIORITY + 1;
const ID_LENGTH = 24;
/** One job's virtual duration at weight 1: large, so that weights up to 100 still advance by whole numbers. */
const UNIT = 1000;

export const scheduleNs = {
  entries: (backend: string) => `schedule/${backend}`,
  /** Per band: the virtual start of the job last taken from it. */
  clocks: (backend: string) => `schedule-clock/${backend}`,
  /** Per band and user: the virtual start of the user's latest job. */
  users: (backend: string, band: number) => `schedule-users/${backend}/b${band}`,
};

export interface VirtualStart {
  v: number;
}

export function priorityOf(meta: Record<string, unknown> | undefined): number {
  const priority = meta?.priority;
  return typeof priority === 'number' && Number.isInteger(priority) ? Math.min(Math.max(priority, 0), MAX_PRIORITY) : 0;
}

export function bandOfKey(key: string): number {
  return Number(key[0]);
}

export function virtualStartOf(key: string): number {
  return parseInt(key.slice(1, 13), 16);
}

export function jobIdOf(key: string): string {
  return key.slice(-ID_LENGTH);
}

/** The band of a job's priority: 0 for priority 9, so higher priorities sort first. */
export function bandOf(record: Pick<JobRecord, 'meta'>): number {
  return MAX_PRIORITY - priorityOf(record.meta);
}

/**
 * A user's next virtual start in a band: one step (UNIT / weight) after their previous job, never before the clock.
 * Starts are at least 1: 0 is the place of jobs queued before scheduling existed (entryKeyOf).
 */
export function nextStart(clock: number | undefined, previous: number | undefined, weight: number | undefined): number {
  const earliest = Math.max(1, clock ?? 0);
  return previous === undefined ? earliest : Math.max(earliest, previous + stepOf(weight));
}

/** One job's virtual duration at a weight. */
function stepOf(weight: number | undefined): number {
  return Math.max(1, Math.round(UNIT / (weight ?? 1)));
}

/**
 * A user's latest virtual start once one of their queued jobs leaves the queue without running (cancelled, purged):
 * one step of that job's weight earlier, so jobs that will never run do not push the user's next job back. A job the
 * band's clock has passed holds no time still ahead of its user, and gives nothing back (undefined: unchanged).
 */
export function givenBack(clock: number | undefined, latest: number | undefined, record: Pick<JobRecord, 'schedule' | 'weight'>): number | undefined {
  if (record.schedule === undefined || latest === undefined || virtualStartOf(record.schedule) < (clock ?? 0)) return undefined;
  return latest - stepOf(record.weight);
}

export function entryKey(band: number, v: number, id: string): string {
  return `${band}${v.toString(16).padStart(12, '0')}${id}`;
}

/**
 * The entry a queued record is served by on providers without transactions: its own, or, for a job queued before
 * scheduling existed, the start of its band (it goes first there, oldest first).
 */
export function entryKeyOf(record: JobRecord): string {
  return record.schedule ?? entryKey(bandOf(record), 0, record.id);
}

/** Gives a new job its place: writes its entry and the user's virtual start, and answers the entry's key. */
export function schedule(tx: Transaction, record: JobRecord): string {
  const band = bandOf(record);
  const clock = tx.get<VirtualStart>(scheduleNs.clocks(record.backend), `b${band}`)?.value.v;
  const previous = tx.get<VirtualStart>(scheduleNs.users(record.backend, band), record.owner)?.value.v;
  const v = nextStart(clock, previous, record.weight);
  tx.put(scheduleNs.users(record.backend, band), record.owner, { v } satisfies VirtualStart);
  const key = entryKey(band, v, record.id);
  tx.put(scheduleNs.entries(record.backend), key, { id: record.id });
  return key;
}

/** Puts a job that returns to the queue back at its place. */
export function reschedule(tx: Transaction, record: JobRecord): void {
  if (record.schedule) tx.put(scheduleNs.entries(record.backend), record.schedule, { id: record.id });
}

/** Removes a job's entry when it leaves the queue. */
export function unschedule(tx: Transaction, record: JobRecord): void {
  if (record.schedule) tx.delete(scheduleNs.entries(record.backend), record.schedule);
}

/** Gives a queued job's virtual time back to its owner when it leaves the queue without running (givenBack). */
export function giveBack(tx: Transaction, record: JobRecord): void {
  if (!record.schedule) return;
  const band = bandOfKey(record.schedule);
  const clock = tx.get<VirtualStart>(scheduleNs.clocks(record.backend), `b${band}`)?.value.v;
  const users = scheduleNs.users(record.backend, band);
  const v = givenBack(clock, tx.get<VirtualStart>(users, record.owner)?.value.v, record);
  if (v !== undefined) tx.put(users, record.owner, { v } satisfies VirtualStart);
}

/** The entry of the job to take next: the head of the band with the highest priority after aging. */
export function nextEntry(tx: Transaction, backend: string, now: number, agingMs: number): string | undefined {
  let best: RankedHead | undefined;
  let after: string | undefined;
  for (let seeks = 0; seeks < BANDS; seeks += 1) {
    const [key] = tx.list(scheduleNs.entries(backend), { limit: 1, ...(after === undefined ? {} : { after }) });
    if (key === undefined) break;
    best = preferredHead(best, key, now, agingMs);
    after = pastBand(key);
    if (after === undefined) break;
  }
  return best?.key;
}

/** A band's first entry with its priority after aging. */
export interface RankedHead {
  key: string;
  effective: number;
}

/** Of the best head so far and another band's head, the one to take first at `now`. */
export function preferredHead(best: RankedHead | undefined, key: string, now: number, agingMs: number): RankedHead {
  const waited = Math.max(0, now - jobIdTime(jobIdOf(key)));
  const effective = Math.min(MAX_PRIORITY, MAX_PRIORITY - bandOfKey(key) + Math.floor(waited / agingMs));
  // A tie goes to the job that has waited longer: a job aged to the top is not passed by newer top-priority jobs.
  if (!best || effective > best.effective || (effective === best.effective && jobIdOf(key) < jobIdOf(best.key))) {
    return { key, effective };
  }
  return best;
}

/** A listing position past every key of the entry's band ('g' sorts after every hex digit); undefined after the last. */
export function pastBand(key: string): string | undefined {
  const band = bandOfKey(key);
  return band === BANDS - 1 ? undefined : `${band}g`;
}

/** Advances the band's clock to the start of the job just taken, so later arrivals queue behind it, not before. */
export function taken(tx: Transaction, backend: string, key: string): void {
  const band = bandOfKey(key);
  const v = virtualStartOf(key);
  const clock = tx.get<VirtualStart>(scheduleNs.clocks(backend), `b${band}`);
  if (!clock || clock.value.v < v) tx.put(scheduleNs.clocks(backend), `b${band}`, { v } satisfies VirtualStart);
  tx.delete(scheduleNs.entries(backend), key);
}
