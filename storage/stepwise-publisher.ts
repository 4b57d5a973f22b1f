// Status and outbox for providers without transactions, where a transition's move, event and status are separate
// writes: the order below lets readers and the next publisher repair what a process that died in between left.
import type { StorageProvider } from './contract.ts';
import { ConflictError, NotFoundError } from '../schemas/errors.ts';
import { eventOf, statusOf } from './atomic-transitions.ts';
import { newJobId } from './keys.ts';
import { type JobRecord, type StatusRecord, ns } from './records.ts';

export function isRaceLoss(error: unknown): boolean {
  return error instanceof NotFoundError || error instanceof ConflictError;
}

/** Jobs whose last status write this process remembers. */
const REMEMBERED = 1000;

interface Written {
  seq: number;
  version: string;
}

export class StepwisePublisher {
  /**
   * The status this process wrote last, per job: the next transition of the job here (a spooler's completion after
   * its claim) writes over it without reading it first. Another writer since makes that write fail its version
   * check, and the status is read then, as without this.
   */
  private readonly written = new Map<string, Written>();

  constructor(
    private readonly storage: StorageProvider,
    private readonly wallClock: () => string,
  ) {}

  /**
   * Records a transition: appends its event to the outbox (`events/`), then writes the status projection, unless a
   * later transition already wrote a newer status. Only a transition's winner (or getStatus's repair, from the
   * stored record) calls this. The event goes first, so a status at seq n means event n is durable; a process that
   * dies between its move and this leaves both behind, and the next publisher fills the gap: `previous` is the record
   * the transition started from, and when the status shows that its transition never got published, its event is
   * recorded first (a spooler that died right after claiming still yields RUNNING once the reaper requeues the job).
   * Copies of one transition written twice (a repair racing a slow writer) share their event id.
   */
  async publish(record: JobRecord, previous?: JobRecord): Promise<void> {
    const status = statusOf(record);
    // A new job has no status yet (unless a reader's repair just wrote it, which the create-only write below finds):
    // its submission spares the read, one round trip of a remote store.
    const job = `${record.backend}/${record.id}`;
    const remembered = this.written.get(job);
    // What this process wrote only stands in for a read when this write is newer: the version check then proves it
    // still stands. It never proves that a status is already published.
    let existing: Written | undefined =
      record.seq === 1 && !previous ? undefined : remembered && remembered.seq < record.seq ? remembered : await this.readStatus(record);
    if (existing && existing.seq >= record.seq) return;
    const published = existing?.seq ?? 0;
    if (previous && previous.seq > published && previous.seq < record.seq) await this.recordEvent(previous);
    await this.recordEvent(record);
    for (;;) {
      try {
        const version = existing
          ? await this.storage.replace(ns.status(record.backend), record.id, status, existing.version)
          : await this.storage.put(ns.status(record.backend), record.id, status, { ifAbsent: true });
        this.remember(job, { seq: record.seq, version });
        return;
      } catch (error) {
        if (!isRaceLoss(error)) throw error;
      }
      existing = await this.readStatus(record);
      if (existing && existing.seq >= record.seq) return;
    }
  }

  private async readStatus(record: JobRecord): Promise<Written | undefined> {
    const found = await this.storage.get<StatusRecord>(ns.status(record.backend), record.id);
    return found && { seq: found.value.seq, version: found.version };
  }

  private remember(job: string, written: Written): void {
    this.written.delete(job);
    this.written.set(job, written);
    if (this.written.size > REMEMBERED) this.written.delete(this.written.keys().next().value!);
  }

  /** Appends the event of the transition that produced `record` to the outbox. */
  private async recordEvent(record: JobRecord): Promise<void> {
    // Keyed by the wall clock at append time (not the lifecycle's clock, which tests move): the outbox lists in
    // recording order.
    await this.storage.put(ns.events, newJobId(), eventOf(record, this.wallClock()), { ifAbsent: true });
  }
}
