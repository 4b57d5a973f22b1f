// The schedule (schedule.ts) on providers without transactions (S3, Dropbox, MongoDB): the same entries, clocks and
// order as with transactions, written step by step. A new job's record is written before its entry, and a job that
// returns to the queue gets its entry back after its move, so a crash in between leaves one of two things, both
// repaired here:
//   - an entry whose job is not queued under it (claimed or cancelled, and the process died before removing the
//     entry): a claim that meets it drops it;
//   - a queued job without its entry: `repair` puts the entry back from the record, whose key it keeps (`schedule`).
// Every write here is idempotent for the same job, so a repair racing the writer it repairs changes nothing.
import type { StorageProvider } from './contract.ts';
import { StorageUnavailableError } from '../schemas/errors.ts';
import { jobIdTime } from './keys.ts';
import { type JobRecord, ns } from './records.ts';
import {
  type RankedHead,
  bandOfKey,
  entryKeyOf,
  jobIdOf,
  pastBand,
  preferredHead,
  scheduleNs,
  virtualStartOf,
} from './schedule.ts';
import { isRaceLoss } from './stepwise-publisher.ts';
import { deferredKey, deferredNs } from './deferral.ts';
import { BandClocks, Placements } from './stepwise-placement.ts';
import { isJobRecord, type SetAsideStep } from './damaged.ts';

/** How often one process looks for queued jobs without an entry, and how many of the oldest it looks at. */
const REPAIR_EVERY_MS = 2_000;
const REPAIR_PAGE = 16;
/** Younger jobs are still being written by their submitter: their entry follows at once. */
const REPAIR_GRACE_MS = 2_000;
/** A job found with its entry is not looked at again for this long; it may have left and come back without it. */
const VERIFIED_FOR_MS = 30_000;

export class StepwiseSchedule {
  private readonly repairedAt = new Map<string, number>();
  private readonly verified = new Map<string, number>();
  private readonly clocks: BandClocks;
  private readonly placements: Placements;

  constructor(
    private readonly storage: StorageProvider,
    private readonly now: () => number,
    private readonly agingMs: number,
    private readonly setAside: SetAsideStep,
  ) {
    this.clocks = new BandClocks(storage, now);
    this.placements = new Placements(storage, this.clocks);
  }

  /** The key a new job will be scheduled under (stepwise-placement.ts). */
  place(record: JobRecord): Promise<string> {
    return this.placements.place(record);
  }

  /**
   * Gives the virtual time of a job that left the queue without running back to its user, after its move. A crash
   * before this, or a store that refuses it now, leaves the user one step further back, as if the job had run.
   */
  async giveBack(record: JobRecord): Promise<void> {
    await repairable(this.placements.giveBack(record));
  }

  /** Gives a queued record its entry (a new job after its record is written, a returning one after its move). */
  async enter(record: JobRecord): Promise<void> {
    await repairable(this.storage.put(scheduleNs.entries(record.backend), entryKeyOf(record), { id: record.id }));
  }

  /** Removes the entry of a job that left the queue; a crash before this leaves an entry that claims drop. */
  async leave(record: JobRecord): Promise<void> {
    await Promise.all([repairable(this.storage.delete(scheduleNs.entries(record.backend), entryKeyOf(record))), this.undefer(record)]);
  }

  /**
   * Marks a job that waits out a retry's backoff under its entry, for the counts of jobs ahead (entries-ahead.ts):
   * claims pass over it until its time. Claims never read marks: a mark lost to a crash only makes counts include the job.
   */
  async defer(record: JobRecord): Promise<void> {
    if (record.notBefore === undefined || record.notBefore <= this.now()) return;
    await repairable(this.storage.put(deferredNs(record.backend), deferredKey(record.notBefore, record.id), { id: record.id }));
  }

  /** Removes the mark of a job that left the queue (claimed or cancelled) after a backoff. */
  async undefer(record: JobRecord): Promise<void> {
    if (record.notBefore === undefined) return;
    await repairable(this.storage.delete(deferredNs(record.backend), deferredKey(record.notBefore, record.id)));
  }

  /**
   * The entry to try next: of every band's first entry after those the claim passed over (`passed`: per band, the
   * last one; lost races, jobs waiting out a backoff), the one with the highest priority after aging (schedule.ts).
   * At most two listings per non-empty band, whatever the queue's length and however many were passed over.
   */
  async next(backend: string, passed: ReadonlyMap<number, string>): Promise<string | undefined> {
    let best: RankedHead | undefined;
    let after: string | undefined;
    for (;;) {
      const [key] = await this.storage.list(scheduleNs.entries(backend), { limit: 1, ...(after === undefined ? {} : { after }) });
      if (key === undefined) break;
      const skipTo = passed.get(bandOfKey(key));
      if (skipTo !== undefined && key <= skipTo) {
        after = skipTo;
        continue;
      }
      best = preferredHead(best, key, this.now(), this.agingMs);
      after = pastBand(key);
      if (after === undefined) break;
    }
    return best?.key;
  }

  /** After a claim: the entry goes, and the band's clock moves to the job's start so later arrivals queue behind it. */
  async taken(backend: string, key: string): Promise<void> {
    await repairable(
      Promise.all([this.storage.delete(scheduleNs.entries(backend), key), this.clocks.advance(backend, bandOfKey(key), virtualStartOf(key))]),
    );
  }

  /**
   * Drops an entry whose job is not queued under it. The job may be coming back right now (a released or requeued
   * job is moved first and gets its entry after): the check after the delete puts the entry back if it did.
   */
  async drop(backend: string, key: string): Promise<void> {
    await repairable(this.storage.delete(scheduleNs.entries(backend), key));
    const job = await this.storage.get<JobRecord>(ns.queued(backend), jobIdOf(key));
    if (job && isJobRecord(job.value, jobIdOf(key), backend, 'QUEUED') && entryKeyOf(job.value) === key) await this.enter(job.value);
  }

  /**
   * Puts back the entries of the oldest queued jobs that have none (a crash between a job's write and its entry's;
   * jobs queued before scheduling existed), at most every REPAIR_EVERY_MS per process unless `force`d. Answers how
   * many it put back.
   */
  async repair(backend: string, force = false): Promise<number> {
    const now = this.now();
    if (!force && now - (this.repairedAt.get(backend) ?? -Infinity) < REPAIR_EVERY_MS) return 0;
    this.repairedAt.set(backend, now);
    for (const [id, at] of this.verified) if (now - at >= VERIFIED_FOR_MS) this.verified.delete(id);
    const ids = await this.storage.list(ns.queued(backend), { limit: REPAIR_PAGE });
    // Forced (the schedule is empty), younger jobs are looked at too: their entry, written twice, is the same.
    const due = ids.filter((id) => !this.verified.has(id) && (force || now - jobIdTime(id) >= REPAIR_GRACE_MS));
    const repaired = await Promise.all(due.map((id) => this.repairOne(backend, id, now)));
    return repaired.filter(Boolean).length;
  }

  private async repairOne(backend: string, id: string, now: number): Promise<boolean> {
    const job = await this.storage.get<JobRecord>(ns.queued(backend), id);
    if (!job) return false;
    if (!isJobRecord(job.value, id, backend, 'QUEUED')) {
      await this.setAside(ns.queued(backend), job, id, backend);
      return false;
    }
    const key = entryKeyOf(job.value);
    if (!(await this.storage.get(scheduleNs.entries(backend), key))) {
      await this.enter(job.value);
      return true;
    }
    this.verified.set(id, now);
    return false;
  }
}

/**
 * Entry writes that follow a job's move can wait for a repair, and must never fail the transition that already
 * happened: a store that refuses one now (its key busy with another process's unfinished delete, or changed
 * under it) leaves it to `repair` and to claims' drops.
 */
async function repairable(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof StorageUnavailableError) && !isRaceLoss(error)) throw error;
  }
}
