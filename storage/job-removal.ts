// A purge's removal of one job, at the version the purge found it at (JobLifecycle.purge looks the job up again when
// it moved meanwhile): the job, its result, schedule entry, deferred entry or mark, and status, then its index entries,
// in that order: the job's own documents in one transaction where the provider has them (with the indexes when they
// live beside the jobs), the rest one by one. A queued job's virtual time goes back to its owner in that transaction
// (schedule.ts, giveBack); without transactions the lifecycle gives it back after the removal.
import type { StorageProvider, StoredDocument } from './contract.ts';
import { type JobRecord, ns, placeOf } from './records.ts';
import { giveBack, scheduleNs } from './schedule.ts';
import { deferredKey, deferredNs } from './deferral.ts';
import { isRaceLoss } from './stepwise-publisher.ts';

/** False when the job is no longer at that version where it was (another transition won): nothing was removed. */
export async function removeJob(storage: StorageProvider, indexStorage: StorageProvider, { value: job, version }: StoredDocument<JobRecord>): Promise<boolean> {
  const removals: [StorageProvider, string, string][] = [
    ...(job.resultKey ? [[storage, ns.results(job.backend), job.resultKey] as [StorageProvider, string, string]] : []),
    // A queued job's place: left behind, it counted in the queue_position of every job after it until a claim met it.
    ...(job.schedule ? [[storage, scheduleNs.entries(job.backend), job.schedule] as [StorageProvider, string, string]] : []),
    // A job waiting out a retry's backoff: its deferred entry (with transactions) or mark (without), which nothing
    // else would remove on providers without transactions.
    ...(job.notBefore === undefined ? [] : [[storage, deferredNs(job.backend), deferredKey(job.notBefore, job.id)] as [StorageProvider, string, string]]),
    [storage, ns.status(job.backend), job.id],
    // The indexes go last, so a crash mid-purge leaves an entry that points nowhere rather than a hidden job.
    [indexStorage, ns.ownerIndex(job.owner), job.id],
    [indexStorage, ns.jobIndex, job.id],
  ];
  const raceLost = (error: unknown) => {
    if (isRaceLoss(error)) return false;
    throw error;
  };
  if (storage.transaction) {
    // The job's own documents together: a crash before the status went would leave it saying QUEUED of a job that is
    // nowhere (a status is trusted as it stands where there are transactions). Indexes elsewhere follow, as below.
    const here = removals.filter(([target]) => target === storage);
    const removed = await storage
      .transaction((tx) => {
        if (!tx.delete(placeOf(job), job.id, version)) return false;
        for (const [, namespace, key] of here) tx.delete(namespace, key);
        if (job.state === 'QUEUED') giveBack(tx, job);
        return true;
      })
      .catch(raceLost);
    if (!removed) return false;
    for (const [target, namespace, key] of removals) if (target !== storage) await target.delete(namespace, key);
    return true;
  }
  if (!(await storage.delete(placeOf(job), job.id, version).catch(raceLost))) return false;
  for (const [target, namespace, key] of removals) await target.delete(namespace, key);
  return true;
}
