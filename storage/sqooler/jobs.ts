// The server's side of the job lifecycle on a sqooler-layout provider: what qlued's post_job writes (the client's
// payload as the queued job, sqooler's INITIALIZING status), reads through SqoolerView, and the removal of finished
// jobs. Claims, results and moves belong to the lab's sqooler spoolers, which move a job with a plain rename and
// crash if it vanished between their listing and their move; so the server never moves a queued job away: no
// cancel, and purge only once a job is done.
import { ConflictError, InvalidKeyError, NotFoundError } from '../../schemas/errors.ts';
import type { StoredDocument } from '../contract.ts';
import type { EnqueueRequest } from '../lifecycle-types.ts';
import { assertKey, isJobId, newJobId } from '../keys.ts';
import { type JobIndexEntry, type JobRecord, type JobState, type StatusRecord, ns } from '../records.ts';
import { indexKey, sqoolerIndexEntry } from './index-entry.ts';
import { initialStatus } from './layout.ts';
import type { Address } from './paths.ts';
import type { SqoolerView } from './view.ts';

const VERSION = 'sqooler';

export class SqoolerJobs {
  constructor(readonly storage: SqoolerView) {}

  private get index() {
    return this.storage.index;
  }

  /**
   * Indexes first (as the lifecycle does: a crash leaves an entry that points nowhere, never a job nobody can find),
   * then the status, then the job: a sqooler spooler that takes the job at once finds the status it updates.
   */
  async enqueue(request: EnqueueRequest): Promise<JobRecord> {
    assertKey(request.backend);
    if (request.id !== undefined && !isJobId(request.id)) throw new InvalidKeyError(`Invalid job id ${JSON.stringify(request.id)}`);
    const { paths } = this.storage;
    paths.assertOwner(request.owner);
    const id = request.id ?? newJobId();
    const createdAt = new Date().toISOString();
    const entry: JobIndexEntry = { backend: request.backend, owner: request.owner, provider: this.index.provider, createdAt, ...(request.meta ? { meta: request.meta } : {}) };
    await Promise.all([
      this.index.storage.put(ns.jobIndex, id, entry),
      this.index.storage.put(ns.ownerIndex(request.owner), id, entry),
    ]);
    const key = { display: request.backend, id, owner: request.owner };
    const status = initialStatus(paths.jobId(key));
    await this.write(paths.status(key), status);
    await this.write(paths.job('queued', key), request.payload);
    return {
      id,
      backend: request.backend,
      owner: request.owner,
      state: 'QUEUED',
      payload: request.payload,
      createdAt,
      timestamps: { QUEUED: createdAt },
      attempts: 0,
      seq: 1,
      detail: [status.detail],
      ...(request.meta ? { meta: request.meta } : {}),
    };
  }

  private write(address: Address, content: unknown): Promise<void> {
    return this.storage.documents.upload(address.path, address.name, content);
  }

  indexEntry(id: string): Promise<JobIndexEntry | undefined> {
    return sqoolerIndexEntry(this.index.storage, id);
  }

  async find(backend: string, id: string): Promise<StoredDocument<JobRecord> | undefined> {
    const record = await this.storage.record(backend, id);
    return record && { value: record, version: VERSION };
  }

  getStatus(backend: string, id: string): Promise<StatusRecord | undefined> {
    return this.storage.statusRecord(backend, id);
  }

  async getResult(record: JobRecord): Promise<unknown> {
    if (record.state !== 'DONE') return undefined;
    return (await this.storage.get(ns.results(record.backend), record.id))?.value;
  }

  listQueued(backend: string, options: { after?: string; limit?: number } = {}): Promise<string[]> {
    return this.storage.list(ns.queued(backend), options);
  }

  async cancel(backend: string, id: string): Promise<JobState> {
    const record = await this.storage.record(backend, id);
    if (!record) throw new NotFoundError(`Job ${id} not found`);
    throw new ConflictError(
      `Job ${id} is on a sqooler-layout provider: its sqooler spooler claims by a plain move and cannot be told to stop, so jobs there cannot be cancelled`,
      'cancel_unsupported',
    );
  }

  /** Removes a finished job's documents (job, result, status), then its index entries. */
  async purge(backend: string, id: string): Promise<void> {
    const record = await this.storage.record(backend, id);
    if (!record) throw new NotFoundError(`Job ${id} not found`);
    if (record.state === 'QUEUED' || record.state === 'RUNNING') {
      throw new ConflictError(`Job ${id} is ${record.state.toLowerCase()} on a sqooler-layout provider; it can be purged once it is done`, 'job_running');
    }
    const { documents, paths } = this.storage;
    const { key } = (await this.storage.key(backend, id))!;
    const older = paths.olderStatus(key);
    for (const at of [paths.job(record.state === 'DONE' ? 'finished' : 'deleted', key), paths.result(key), paths.status(key), ...(older ? [older] : [])]) {
      await documents.delete(at.path, at.name);
    }
    // Jobs qlued took before the import have no index entries.
    const entryKey = indexKey(id);
    if (entryKey === undefined) return;
    if (record.owner) await this.index.storage.delete(ns.ownerIndex(record.owner), entryKey);
    await this.index.storage.delete(ns.jobIndex, entryKey);
  }

  async requeue(_backend: string, id: string): Promise<JobRecord> {
    throw new ConflictError(`Job ${id} is on a sqooler-layout provider, whose spoolers take only jobs submitted anew`, 'requeue_unsupported');
  }
}
