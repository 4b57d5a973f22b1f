// Not-before times on providers with transactions: a retried job waits out its backoff off the schedule. Its entry
// sits in `schedule-deferred/<backend>`, keyed `<not-before: 12 hex ms><job id>` so the earliest sorts first, and
// each claim first moves the few entries that are due back into the schedule (storage/schedule.ts) under the key the
// job already had. A claim therefore never sees a job before its time, and its cost stays independent of the
// queue's length: one listing of at most PROMOTE_BATCH keys, each promoted once. Providers without transactions keep
// a deferred job's schedule entry and write the same key only as a mark for counts of jobs ahead (entries-ahead.ts).
import type { Transaction } from './contract.ts';
import { type JobRecord, ns } from './records.ts';
import { jobIdOf, reschedule, schedule, unschedule } from './schedule.ts';

export const deferredNs = (backend: string) => `schedule-deferred/${backend}`;

/** Entries promoted per claim; more due entries wait for the next claim, which takes one job anyway. */
const PROMOTE_BATCH = 8;
const TIME_DIGITS = 12;

interface DeferredEntry {
  id: string;
}

/** A deferred entry's key: its not-before time first, so the earliest sorts first. */
export function deferredKey(notBefore: number, id: string): string {
  return `${notBefore.toString(16).padStart(TIME_DIGITS, '0')}${id}`;
}

/** The not-before time a deferred entry's key names. */
export function deferredUntil(key: string): number {
  return parseInt(key.slice(0, TIME_DIGITS), 16);
}

/**
 * Puts a record that returns to the queue at its place: in the schedule when it is due, among the deferred entries
 * while its not-before time lies ahead. A job queued before scheduling existed gets its place now.
 */
export function requeueIn(tx: Transaction, record: JobRecord, now: number): void {
  if (record.notBefore === undefined || record.notBefore <= now) {
    if (record.schedule) reschedule(tx, record);
    return;
  }
  if (!record.schedule) {
    record.schedule = schedule(tx, record);
    unschedule(tx, record);
  }
  tx.put(deferredNs(record.backend), deferredKey(record.notBefore, record.id), { id: record.id } satisfies DeferredEntry);
}

/** Removes the deferred entry of a job leaving the queue while it waits out a backoff (cancelled). */
export function undefer(tx: Transaction, record: JobRecord): void {
  if (record.notBefore !== undefined) tx.delete(deferredNs(record.backend), deferredKey(record.notBefore, record.id));
}

/** Moves entries whose time has come into the schedule; entries of jobs no longer waiting are dropped. */
export function promoteDue(tx: Transaction, backend: string, now: number): void {
  for (const key of tx.list(deferredNs(backend), { limit: PROMOTE_BATCH })) {
    const due = deferredUntil(key);
    if (due > now) return;
    tx.delete(deferredNs(backend), key);
    // An entry left from an earlier deferral of the same job names another time: only the current one counts.
    const job = tx.get<JobRecord>(ns.queued(backend), jobIdOf(key));
    if (job?.value.notBefore === due) reschedule(tx, job.value);
  }
}
