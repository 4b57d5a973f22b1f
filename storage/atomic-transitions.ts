// Job transitions as single transactions, for providers that offer StorageProvider.transaction (the local store).
// A transition's documents (the job record in its new state namespace, its status projection, its outbox event and,
// on completion, its result) commit together, so no reader ever sees one without the others and nothing needs
// repairing after a crash. Claims take the oldest queued job inside the transaction: racing spoolers are
// serialised by the store, never retry on each other's job, and exactly one of them gets it.
import type { Transaction } from './contract.ts';
import { LeaseLostError } from '../schemas/errors.ts';
import { idAbove, isJobId, newJobId } from './keys.ts';
import { type JobEvent, type JobRecord, type StatusRecord, jobEventOf, ns } from './records.ts';

/** The qlued status dict of a record, plus what the server needs to answer without the job. */
export function statusOf(record: JobRecord): StatusRecord {
  return {
    job_id: record.id,
    status: record.state,
    detail: record.detail.join('; '),
    error_message: record.errorMessage ?? 'None',
    backend: record.backend,
    owner: record.owner,
    seq: record.seq,
    attempts: record.attempts,
    timestamps: record.timestamps,
  };
}

/** The outbox event of the transition that left the job as `record`, with the submission's notification choices. */
export function eventOf(record: JobRecord, recordedAt: string): JobEvent {
  return {
    ...jobEventOf(record, recordedAt),
    ...(record.meta?.notify === undefined ? {} : { notify: record.meta.notify }),
  };
}

/**
 * The outbox key of an event committed now: the clock's id, or one just above the outbox's latest key when that sorts
 * after it (another process's, taken in the same millisecond, or a clock that ran ahead). The transaction holds the
 * store's write lock, so keys follow commit order: a stream resumed after a key misses no change committed later.
 */
function nextEventKey(tx: Transaction): string {
  const fresh = newJobId();
  const latest = tx.lastKey(ns.events);
  return latest !== undefined && isJobId(latest) && latest >= fresh ? idAbove(latest) : fresh;
}

/** Writes the status projection and appends the event of the transition that produced `record`. */
export function writeProjections(tx: Transaction, record: JobRecord, recordedAt: string): void {
  tx.put(ns.events, nextEventKey(tx), eventOf(record, recordedAt), { ifAbsent: true });
  tx.put(ns.status(record.backend), record.id, statusOf(record));
}

/** The running record as the claim's holder may change it; LeaseLostError when another attempt holds the job. */
export function heldRecord(tx: Transaction, claim: { record: JobRecord }): { record: JobRecord; version: string } {
  const { backend, id, lease: mine } = claim.record;
  const latest = tx.get<JobRecord>(ns.running(backend), id);
  const theirs = latest?.value.lease;
  if (!latest || !theirs || !mine || theirs.holder !== mine.holder || theirs.token !== mine.token) throw new LeaseLostError(id);
  return { record: latest.value, version: latest.version };
}
