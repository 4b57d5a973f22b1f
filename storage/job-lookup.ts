// Reading jobs back: a record wherever its state put it, its status projection (repaired when a crash left it a step
// behind) and its result. Damaged documents are read as their stand-ins (damaged.ts).
import type { StoredDocument } from './contract.ts';
import { statusOf } from './atomic-transitions.ts';
import { isJobId } from './keys.ts';
import { type JobRecord, type JobState, type StatusRecord, FINAL_STATES, ns, stateNamespace } from './records.ts';
import { isJobRecord, isSetAside, isStatusRecord, readIndexed, standInIn } from './damaged.ts';
import type { LifecycleParts } from './lifecycle-types.ts';

export class JobLookup {
  constructor(private readonly parts: LifecycleParts) {}

  /** The job record wherever it is, looking where its status says first. */
  async find(backend: string, id: string): Promise<StoredDocument<JobRecord> | undefined> {
    if (!isJobId(id)) return undefined;
    const status = await this.readStatus(backend, id);
    const order: JobState[] = ['QUEUED', 'RUNNING', 'DONE', 'ERROR'];
    if (status) order.unshift(status.status);
    const seen = new Set<string>();
    for (const state of order) {
      const namespace = stateNamespace(state, backend);
      if (seen.has(namespace)) continue;
      seen.add(namespace);
      const found = await this.parts.storage.get<JobRecord>(namespace, id);
      if (found) return found;
    }
    return (await this.parts.storage.get<JobRecord>(ns.dead(backend), id)) ?? this.standIn(backend, id);
  }

  /**
   * A job whose document was set aside as damaged without its stand-in (a process that died between the two steps,
   * or a document set aside before stand-ins existed): written now, and read back where it was written (by this
   * process or by another that raced it there).
   */
  private async standIn(backend: string, id: string): Promise<StoredDocument<JobRecord> | undefined> {
    if (!(await isSetAside(this.parts.storage, backend, id))) return undefined;
    const at = this.parts.transitions.wallClock();
    if (this.parts.storage.transaction) {
      const indexed = await readIndexed(this.parts.indexStorage, id);
      await this.parts.transact((tx) => standInIn(tx, backend, id, at, indexed));
    } else await this.parts.stepwise.standIn(backend, id);
    return this.parts.storage.get<JobRecord>(stateNamespace('ERROR', backend), id);
  }

  /**
   * The job's status projection. It is written just after each move, so a process that dies in between leaves it a
   * step behind (a job DONE while its status says RUNNING, for good): a status that is not final is checked against
   * the namespace it names and, if the job has moved on, republished from the job record. This costs one extra
   * read while a job is queued or running.
   */
  async getStatus(backend: string, id: string): Promise<StatusRecord | undefined> {
    if (!isJobId(id)) return undefined;
    const stored = await this.parts.storage.get<unknown>(ns.status(backend), id);
    if (stored && !isStatusRecord(stored.value, id)) return this.statusFromRecord(backend, id);
    const status = stored?.value as StatusRecord | undefined;
    // With transactions the status is written with every move: it cannot lag behind.
    if (!status || this.parts.storage.transaction || FINAL_STATES.includes(status.status)) return status;
    if (await this.parts.storage.get(stateNamespace(status.status, backend), id)) return status;
    // Found nowhere: a purge that stopped between removing the job and its status (a crash), or a job that moved
    // between two reads of one look, which a second look finds. A purged job's status names nothing: none is
    // answered, so lists and queue quotas leave it out instead of showing a queued job that cannot be opened.
    const found = (await this.find(backend, id)) ?? (await this.find(backend, id));
    if (!found) return undefined;
    if (found.value.seq <= status.seq) return status;
    await this.parts.publisher.publish(found.value);
    return this.readStatus(backend, id);
  }

  /** The status projection; undefined when there is none or it is damaged (readers then go by the record). */
  private async readStatus(backend: string, id: string): Promise<StatusRecord | undefined> {
    if (!isJobId(id)) return undefined;
    const value = (await this.parts.storage.get<unknown>(ns.status(backend), id))?.value;
    return isStatusRecord(value, id) ? value : undefined;
  }

  /** A damaged status document's job as its record says it is. */
  private async statusFromRecord(backend: string, id: string): Promise<StatusRecord | undefined> {
    const found = await this.find(backend, id);
    const state = (found?.value as { state?: JobState } | undefined)?.state;
    return found && state && isJobRecord(found.value, id, backend, state) ? statusOf(found.value) : undefined;
  }

  /** The result of a DONE job, or undefined. */
  async getResult(record: JobRecord): Promise<unknown> {
    if (record.state !== 'DONE' || !record.resultKey) return undefined;
    return (await this.parts.storage.get(ns.results(record.backend), record.resultKey))?.value;
  }
}
