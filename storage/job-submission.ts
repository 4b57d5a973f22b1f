// Submission: a new job into its queue, with its id and owner index entries (JobLifecycle.enqueue).
import type { Transaction } from './contract.ts';
import { InvalidKeyError } from '../schemas/errors.ts';
import { assertKey, isJobId, newJobId } from './keys.ts';
import { writeProjections } from './atomic-transitions.ts';
import { schedule } from './schedule.ts';
import { type JobIndexEntry, type JobRecord, ns } from './records.ts';
import type { EnqueueRequest, LifecycleParts } from './lifecycle-types.ts';

/**
 * Stores a new job in the queue; once this resolves the job is durable (I1). The id and owner indexes are
 * written first: a crash in between leaves an entry that points nowhere (readers skip it), never a job that
 * cannot be found by id or is missing from its owner's list.
 */
export async function enqueueJob(parts: LifecycleParts, request: EnqueueRequest): Promise<JobRecord> {
  assertKey(request.backend);
  if (request.id !== undefined && !isJobId(request.id)) throw new InvalidKeyError(`Invalid job id ${JSON.stringify(request.id)}`);
  const at = new Date(parts.now()).toISOString();
  const record: JobRecord = {
    id: request.id ?? newJobId(parts.now()),
    backend: request.backend,
    owner: request.owner,
    state: 'QUEUED',
    payload: request.payload,
    createdAt: at,
    timestamps: { QUEUED: at },
    attempts: 0,
    seq: 1,
    detail: ['Got your json.', 'Passed json sanity check.', 'Waiting in the queue.'],
    ...(request.meta ? { meta: request.meta } : {}),
    ...(request.weight === undefined || request.weight === 1 ? {} : { weight: request.weight }),
  };
  const entry: JobIndexEntry = {
    backend: record.backend,
    owner: record.owner,
    ...(parts.indexProvider === undefined ? {} : { provider: parts.indexProvider }),
    createdAt: at,
    ...(request.meta ? { meta: request.meta } : {}),
  };
  const indexInto = (tx: Transaction) => {
    tx.put(ns.jobIndex, record.id, entry);
    tx.put(ns.ownerIndex(record.owner), record.id, entry);
  };
  const queueInto = (tx: Transaction) => {
    record.schedule = schedule(tx, record);
    tx.put(ns.queued(record.backend), record.id, record, { ifAbsent: true });
    writeProjections(tx, record, parts.transitions.wallClock());
  };
  if (parts.storage.transaction && parts.indexStorage === parts.storage) {
    await parts.storage.transaction((tx) => {
      indexInto(tx);
      queueInto(tx);
    });
    return record;
  }
  if (parts.indexStorage.transaction) await parts.indexStorage.transaction(indexInto);
  else {
    await Promise.all([
      parts.indexStorage.put(ns.jobIndex, record.id, entry),
      parts.indexStorage.put(ns.ownerIndex(record.owner), record.id, entry),
    ]);
  }
  if (parts.storage.transaction) await parts.storage.transaction(queueInto);
  else {
    // The record before its entry: an entry always names a job that was written (stepwise-schedule.ts).
    record.schedule = await parts.schedule.place(record);
    await parts.storage.put(ns.queued(record.backend), record.id, record, { ifAbsent: true });
    await Promise.all([parts.schedule.enter(record), parts.publisher.publish(record)]);
  }
  return record;
}
