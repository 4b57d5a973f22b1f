// Documents in a queue or among the running jobs that no transition can take: not JSON, not a job record, or not
// the job their key and namespace name (storage is written by every spooler of a lab, by other implementations and
// by hand). One of them must not stop its backend: a spooler sets it aside in `jobs/damaged/<backend>`, as it was,
// for an operator to look at, and goes on with the next job.
import type { StorageProvider, StoredDocument, Transaction } from './contract.ts';
import { type JobRecord, type JobState, type StatusRecord, ns } from './records.ts';
import { isRaceLoss } from './stepwise-publisher.ts';

/** Told of each document set aside: its backend, its key and where it came from. */
export type SetAsideListener = (backend: string, key: string, from: string) => void;

/** Whether `value`, read at `key` in the namespace of `state` on `backend`, is a record every transition can take. */
export function isJobRecord(value: unknown, key: string, backend: string, state: JobState): value is JobRecord {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Partial<JobRecord>;
  return (
    record.id === key &&
    record.backend === backend &&
    record.state === state &&
    typeof record.owner === 'string' &&
    Number.isInteger(record.attempts) &&
    Number.isInteger(record.seq) &&
    Array.isArray(record.detail) &&
    typeof record.timestamps === 'object' &&
    record.timestamps !== null &&
    (state !== 'RUNNING' || (typeof record.lease === 'object' && record.lease !== null))
  );
}

const STATES: readonly unknown[] = ['QUEUED', 'RUNNING', 'DONE', 'ERROR', 'CANCELLED'] satisfies JobState[];

/** Whether a status document is the projection of job `id` that readers can answer from. */
export function isStatusRecord(value: unknown, id: string): value is StatusRecord {
  if (value === null || typeof value !== 'object') return false;
  const status = value as Partial<StatusRecord>;
  return (
    status.job_id === id &&
    STATES.includes(status.status) &&
    typeof status.detail === 'string' &&
    typeof status.error_message === 'string' &&
    Number.isInteger(status.seq)
  );
}

/** The record at `key`, undefined when there is none, 'damaged' when it cannot be taken (a row that is no JSON too). */
export function readRecordIn(tx: Transaction, namespace: string, key: string, backend: string, state: JobState): StoredDocument<JobRecord> | undefined | 'damaged' {
  let found: StoredDocument<unknown> | undefined;
  try {
    found = tx.get<unknown>(namespace, key);
  } catch (error) {
    if (error instanceof SyntaxError) return 'damaged';
    throw error;
  }
  if (!found) return undefined;
  return isJobRecord(found.value, key, backend, state) ? (found as StoredDocument<JobRecord>) : 'damaged';
}

/** Moves a document, as it is, out of `from` into the backend's damaged documents (replacing an earlier one there). */
export function setAsideIn(tx: Transaction, from: string, key: string, backend: string, listener?: SetAsideListener): void {
  tx.delete(ns.damaged(backend), key);
  tx.move(from, ns.damaged(backend), key);
  listener?.(backend, key, from);
}

/** The same without a transaction; false when another process moved the document first. */
export async function setAside(storage: StorageProvider, from: string, found: StoredDocument<unknown>, key: string, backend: string, listener?: SetAsideListener): Promise<boolean> {
  await storage.delete(ns.damaged(backend), key);
  try {
    await storage.move(from, ns.damaged(backend), key, { expectedVersion: found.version });
  } catch (error) {
    if (isRaceLoss(error)) return false;
    throw error;
  }
  listener?.(backend, key, from);
  return true;
}
