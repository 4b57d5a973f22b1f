// Documents in a queue or among the running jobs that no transition can take: not JSON, not a job record, or not
// the job their key and namespace name (storage is written by every spooler of a lab, by other implementations and
// by hand). One of them must not stop its backend: a spooler sets it aside in `jobs/damaged/<backend>`, as it was,
// for an operator to look at, and goes on with the next job. The job whose document it was (when its status says it
// is queued or running, and no copy of it lives on there) ends ERROR: a stand-in record built from its status and its
// index entry (tags, priority, notification choices, creation time), which names what happened, takes the document's
// place, so its owner sees the same everywhere (list, job, qlued, events).
import type { StorageProvider, StoredDocument, Transaction } from './contract.ts';
import { writeProjections } from './atomic-transitions.ts';
import { jobIdTime } from './keys.ts';
import { type JobIndexEntry, type JobRecord, type JobState, type StatusRecord, ns, placeOf } from './records.ts';
import { isRaceLoss } from './stepwise-publisher.ts';

/** Told of each document set aside: its backend, its key and where it came from. */
export type SetAsideListener = (backend: string, key: string, from: string) => void;

/** Sets a document found at `key` in `from` aside without a transaction, with its job's stand-in; false on a lost race. */
export type SetAsideStep = (from: string, found: StoredDocument<unknown>, key: string, backend: string) => Promise<boolean>;

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

const SET_ASIDE_MESSAGE =
  'The stored document of this job was damaged and has been set aside for an operator; the job will not run. Submit it again.';
const SET_ASIDE_LINE = 'Set aside: its stored document was damaged.';

/** Whether an index entry is one of `owner`'s jobs on `backend` that a stand-in can take its submission's facts from. */
function isIndexEntryOf(value: unknown, backend: string, owner: string): value is JobIndexEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Partial<JobIndexEntry>;
  const meta: unknown = entry.meta;
  return (
    entry.backend === backend &&
    entry.owner === owner &&
    typeof entry.createdAt === 'string' &&
    (meta === undefined || (meta !== null && typeof meta === 'object' && !Array.isArray(meta)))
  );
}

/**
 * The ERROR record that stands in for job `id` once its document is set aside, built from its status and its index
 * entry (the document is not to be trusted); undefined unless the status is that job's, queued or running. It has no
 * payload, and `setAside` tells it from a job that failed. Without an index entry that matches the status (on a lab
 * whose index this process cannot read), its creation time is its id's and it has no submission extras.
 */
function standInFor(status: unknown, indexed: unknown, id: string, backend: string, at: string): JobRecord | undefined {
  if (!isStatusRecord(status, id) || !['QUEUED', 'RUNNING'].includes(status.status)) return undefined;
  if (status.backend !== backend || typeof status.owner !== 'string' || !Number.isInteger(status.attempts)) return undefined;
  const entry = isIndexEntryOf(indexed, backend, status.owner) ? indexed : undefined;
  return {
    id,
    backend,
    owner: status.owner,
    state: 'ERROR',
    payload: null,
    createdAt: entry?.createdAt ?? new Date(jobIdTime(id)).toISOString(),
    timestamps: { ...status.timestamps, ERROR: at },
    attempts: status.attempts,
    seq: status.seq + 1,
    detail: [...(status.detail ? status.detail.split('; ') : []), SET_ASIDE_LINE],
    errorMessage: SET_ASIDE_MESSAGE,
    setAside: { at },
    ...(entry?.meta ? { meta: entry.meta } : {}),
  };
}

/** A document read inside a transaction, 'damaged' for a row that is no JSON. */
function readIn(tx: Transaction, namespace: string, key: string): unknown {
  try {
    return tx.get<unknown>(namespace, key)?.value;
  } catch (error) {
    if (error instanceof SyntaxError) return 'damaged';
    throw error;
  }
}

/** The same outside one. */
async function read(storage: StorageProvider, namespace: string, key: string): Promise<unknown> {
  try {
    return (await storage.get<unknown>(namespace, key))?.value;
  } catch (error) {
    if (error instanceof SyntaxError) return 'damaged';
    throw error;
  }
}

const LIVE = (backend: string) => [ns.queued(backend), ns.running(backend)];

/** Job `id`'s entry in the index on `storage`, unchecked (standInFor checks it against the job's status). */
export function readIndexed(storage: StorageProvider, id: string): Promise<unknown> {
  return read(storage, ns.jobIndex, id);
}

/** Whether a document of job `id` lies among the backend's damaged ones. */
export async function isSetAside(storage: StorageProvider, backend: string, id: string): Promise<boolean> {
  return (await read(storage, ns.damaged(backend), id)) !== undefined;
}

/**
 * Writes the stand-in of job `id` (its status, event and record) in `tx` when the job has a document among the
 * damaged ones, a status that says it is queued or running, and no record where it would live on. Its index entry is
 * `indexed`, read by the caller where the index lives, or else read in `tx` (where the index lies beside the jobs).
 */
export function standInIn(tx: Transaction, backend: string, id: string, at: string, indexed?: unknown): void {
  if (readIn(tx, ns.damaged(backend), id) === undefined) return;
  const record = standInFor(readIn(tx, ns.status(backend), id), indexed ?? readIn(tx, ns.jobIndex, id), id, backend, at);
  if (!record || LIVE(backend).some((namespace) => readIn(tx, namespace, id) !== undefined)) return;
  tx.put(placeOf(record), id, record);
  writeProjections(tx, record, at);
}

/**
 * The same without a transaction, its index entry read on `indexStorage`: the record first (create-only, so one writer
 * wins), then its event and status through `publish`. A process that dies in between leaves a status a step behind,
 * which getStatus repairs from the record; one that dies before the record leaves it to the next reader that looks for
 * the job (lifecycle.find).
 */
export async function standIn(
  storage: StorageProvider,
  indexStorage: StorageProvider,
  publish: (record: JobRecord) => Promise<void>,
  backend: string,
  id: string,
  at: string,
): Promise<void> {
  if (!(await isSetAside(storage, backend, id))) return;
  const [status, indexed] = await Promise.all([read(storage, ns.status(backend), id), readIndexed(indexStorage, id)]);
  const record = standInFor(status, indexed, id, backend, at);
  if (!record) return;
  const live = await Promise.all(LIVE(backend).map((namespace) => read(storage, namespace, id)));
  if (live.some((value) => value !== undefined)) return;
  try {
    await storage.put(placeOf(record), id, record, { ifAbsent: true });
  } catch (error) {
    if (isRaceLoss(error)) return;
    throw error;
  }
  await publish(record);
}

/**
 * Moves a document, as it is, out of `from` into the backend's damaged documents (replacing an earlier one there),
 * with its job's stand-in.
 */
export function setAsideIn(tx: Transaction, from: string, key: string, backend: string, at: string, listener?: SetAsideListener): void {
  tx.delete(ns.damaged(backend), key);
  tx.move(from, ns.damaged(backend), key);
  standInIn(tx, backend, key, at);
  listener?.(backend, key, from);
}

/** The move without a transaction; false when another process moved the document first. Its caller writes the stand-in. */
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
