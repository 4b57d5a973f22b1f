// Removes expired idempotency records. A record (`idempotency/<user>/<sha256(key)>`) is only ever overwritten when its
// own key comes back, and clients use a fresh key per submission, so without this every keyed submission left a
// document behind for good. The sweep walks every user's namespace in key order, a bounded number of storage reads
// per run, resuming where the previous run stopped (a pass over everything starting at most hourly), and deletes what
// is past the retention at the version it read: a record a request has just renewed or reused since has another
// version and stays.
import type { Logger } from '../../config/logger.ts';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { type IdempotencyRecord, namespaceOf, RETENTION_MS } from './idempotency.ts';
import { USERS_NS } from './users.ts';

/**
 * Kept beyond the retention before a record is deleted: its `createdAt` comes from the clock of the server that took
 * the key, the sweep judges it by its own, and a record a skewed sweeper deleted early would let a retry inside the
 * 24 hours make a second job.
 */
export const SWEEP_MARGIN_MS = 3600_000;
/**
 * A pass over every user's records starts at most this often. Nothing tells a record's age without reading it, so a
 * pass reads every record kept (a day of submissions) to delete those that expired since the last pass: passes back
 * to back (each minute) read each record ~1,500 times over its life, one an hour ~26 times, and a record then goes at
 * most an hour (plus a pass's length) after it expired.
 */
export const PASS_EVERY_MS = 3600_000;
/** Keys listed (and records then read) at once; also the number of users listed at once. */
const PAGE = 100;
/** Reads in flight at once: enough to hide a remote store's latency, few enough not to crowd out requests. */
const PARALLEL = 8;

export interface SweepOptions {
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  /** Storage reads (a listed page, a record) one run may make; the next run resumes after them. */
  maxReadsPerRun: number;
  /** Whether this process sweeps now (one server among those sharing storage); by default always. */
  shouldRun?: () => boolean;
  now?: () => number;
  log?: Logger;
}

export interface SweepRun {
  reads: number;
  deleted: number;
  /** Expired records left because a request renewed or removed them between the read and the delete. */
  raced: number;
  /** The walk reached the last user's last record: the pass is over, and the next starts PASS_EVERY_MS after it began. */
  wrapped: boolean;
}

const isRaceLoss = (error: unknown) => error instanceof ConflictError || error instanceof NotFoundError;

export class IdempotencySweeper {
  /** Where the walk stands: users after `userAfter` are still to do; within `user`, keys after `keyAfter`. */
  private userAfter: string | undefined;
  private user: string | undefined;
  private keyAfter: string | undefined;
  private pendingUsers: string[] = [];
  /** When the pass under way (or the last one) started; undefined before the first. */
  private passStartedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly storage: StorageProvider,
    private readonly options: SweepOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.schedule();
  }

  /** Stops scheduling runs and waits for the one under way, which stops at its next page. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.options.shouldRun && !this.options.shouldRun()) return;
    const started = this.now();
    try {
      const run = await this.runOnce();
      if (run.deleted > 0) this.options.log?.info({ ...run, ms: this.now() - started }, 'expired idempotency keys removed');
    } catch (error) {
      this.options.log?.warn({ err: error }, 'idempotency key sweep failed; the next run resumes from the same place');
    }
  }

  /**
   * One bounded run: at most `maxReadsPerRun` storage reads, deleting each record past retention and margin; between
   * passes (see PASS_EVERY_MS) it reads nothing.
   */
  async runOnce(): Promise<SweepRun> {
    const run: SweepRun = { reads: 0, deleted: 0, raced: 0, wrapped: false };
    const now = this.now();
    const cutoff = now - RETENTION_MS - SWEEP_MARGIN_MS;
    const between = this.user === undefined && this.userAfter === undefined && this.pendingUsers.length === 0;
    if (between) {
      if (this.passStartedAt !== undefined && now - this.passStartedAt < PASS_EVERY_MS) return run;
      this.passStartedAt = now;
    }
    while (run.reads < this.options.maxReadsPerRun && !this.closed) {
      if (this.user === undefined) {
        if (this.pendingUsers.length === 0) {
          this.pendingUsers = await this.storage.list(USERS_NS, { limit: PAGE, ...(this.userAfter === undefined ? {} : { after: this.userAfter }) });
          run.reads += 1;
          if (this.pendingUsers.length === 0) {
            // Every user done: the next pass starts again from the first.
            this.userAfter = undefined;
            run.wrapped = true;
            return run;
          }
        }
        this.user = this.pendingUsers.shift()!;
        this.userAfter = this.user;
        this.keyAfter = undefined;
      }
      const namespace = namespaceOf(this.user);
      const limit = Math.max(1, Math.min(PAGE, this.options.maxReadsPerRun - run.reads - 1));
      const keys = await this.storage.list(namespace, { limit, ...(this.keyAfter === undefined ? {} : { after: this.keyAfter }) });
      run.reads += 1 + keys.length;
      for (let index = 0; index < keys.length; index += PARALLEL) {
        await Promise.all(keys.slice(index, index + PARALLEL).map((key) => this.expire(namespace, key, cutoff, run)));
      }
      if (keys.length < limit) this.user = undefined;
      else this.keyAfter = keys[keys.length - 1];
    }
    return run;
  }

  /** Deletes the record if it was created before `cutoff`, only at the version read. */
  private async expire(namespace: string, key: string, cutoff: number, run: SweepRun): Promise<void> {
    const record = await this.storage.get<IdempotencyRecord>(namespace, key);
    // A record without a readable time is left alone: its age cannot be told, and the request path never reuses it.
    const createdAt = Date.parse(record?.value?.createdAt ?? '');
    if (!record || !(createdAt < cutoff)) return;
    try {
      if (await this.storage.delete(namespace, key, record.version)) run.deleted += 1;
    } catch (error) {
      if (!isRaceLoss(error)) throw error;
      run.raced += 1;
    }
  }
}
