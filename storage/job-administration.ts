// An administrator's purge and requeue of a job that is not running, each retried until it acts on the job as found.
import type { StoredDocument } from './contract.ts';
import { ConflictError, NotDeadLetteredError, NotFoundError } from '../schemas/errors.ts';
import { writeProjections } from './atomic-transitions.ts';
import { reschedule } from './schedule.ts';
import { isRaceLoss } from './stepwise-publisher.ts';
import { type JobRecord, FINAL_STATES, ns, placeOf } from './records.ts';
import { revived } from './retries.ts';
import { removeJob } from './job-removal.ts';
import type { JobLookup } from './job-lookup.ts';
import type { LifecycleParts, RemovalOptions } from './lifecycle-types.ts';

export class JobAdministration {
  constructor(
    private readonly parts: LifecycleParts,
    private readonly lookup: JobLookup,
  ) {}

  /**
   * Removes every trace of a job that is not running; with `deadLettered`, only of a dead letter (NotDeadLetteredError
   * otherwise), checked at the version removed, so a job another admin requeued meanwhile is left alone.
   */
  async purge(backend: string, id: string, options: RemovalOptions = {}): Promise<void> {
    // The job is removed at the version it was found at: a job that moved meanwhile (cancelled, requeued, claimed)
    // is looked up again, so a purge never reports success over a job that lives on elsewhere.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const found = await this.target(backend, id, options);
      if (found.value.state === 'RUNNING') throw new ConflictError(`Job ${id} is running; cancel it first`, 'job_running');
      if (await removeJob(this.parts.storage, this.parts.indexStorage, found)) {
        // With transactions the removal gave the queued job's time back itself.
        if (!this.parts.storage.transaction && found.value.state === 'QUEUED') await this.parts.schedule.giveBack(found.value);
        return;
      }
    }
    throw new ConflictError(`Job ${id} kept changing while it was being deleted; try again`, 'job_busy');
  }

  /**
   * Puts a finished job (DONE, ERROR, CANCELLED) back in the queue: an administrator's retry. The attempt counter is
   * kept, so lease tokens (and the result keys made from them) never repeat and a spooler from an earlier life of
   * the job stays fenced out. The old result is removed after the move: a crash in between leaves an orphaned
   * result, never a job outside its state namespaces. The job keeps its id, so it runs before later submissions.
   * With `deadLettered`, only a dead letter is requeued (NotDeadLetteredError otherwise), checked at the version
   * moved: a dead letter another admin requeued meanwhile, which may have run since, is not run again.
   */
  async requeue(backend: string, id: string, options: RemovalOptions = {}): Promise<JobRecord> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const found = await this.target(backend, id, options);
      const { state } = found.value;
      if (!FINAL_STATES.includes(state)) throw new ConflictError(`Job ${id} is ${state}; only finished jobs can be requeued`, 'job_not_finished');
      if (found.value.setAside) {
        throw new ConflictError(`Job ${id} cannot run again: its stored document was damaged and is set aside for an operator`, 'job_damaged');
      }
      const { lease: _lease, cancelRequested: _cancel, errorMessage: _error, resultKey, ...rest } = revived(found.value);
      const from = placeOf(found.value);
      const was = found.value.deadLetter ? 'dead-lettered' : state;
      // The timeline starts over: timestamps of the previous run would read as this run's. So do the attempts.
      const record = this.parts.transitions.advance({ ...rest, timestamps: {} }, 'QUEUED', `Requeued by an administrator (was ${was}).`);
      if (this.parts.storage.transaction) {
        const requeued = await this.parts.storage
          .transaction((tx) => {
            tx.move(from, ns.queued(backend), id, { value: record, expectedVersion: found.version });
            reschedule(tx, record);
            writeProjections(tx, record, this.parts.transitions.wallClock());
            if (resultKey) tx.delete(ns.results(backend), resultKey);
            return true;
          })
          .catch((error: unknown) => {
            if (isRaceLoss(error)) return false;
            throw error;
          });
        if (requeued) return record;
        continue;
      }
      if (await this.parts.stepwise.requeue(from, found.value, record, found.version, resultKey)) return record;
    }
    throw new ConflictError(`Job ${id} kept changing state; try again`);
  }

  /** The job an administrator's operation acts on, as found now; NotFoundError, or NotDeadLetteredError when it must be one. */
  private async target(backend: string, id: string, options: RemovalOptions): Promise<StoredDocument<JobRecord>> {
    const found = await this.lookup.find(backend, id);
    if (!found) throw new NotFoundError(`Job ${id} not found`);
    if (options.deadLettered && !found.value.deadLetter) throw new NotDeadLetteredError(id, found.value.state);
    return found;
  }
}
