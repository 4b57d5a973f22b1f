// A bounded, resumable sweep over records kept per user (idempotency keys, notification delivery logs). Nothing
// tells a record's age without reading it, so the sweep walks every user's namespaces in key order, a bounded number
// of storage reads per run, resuming where the previous run stopped (a pass over everything starting at most once per
// `passEveryMs`), and deletes what its plan judges expired at the version it read: a record rewritten since has
// another version and stays. It runs on one server among those sharing storage (see `shouldRun`).
import type { Logger } from '../../config/logger.ts';
import { isRaceLoss } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { PeriodicTask, type PeriodicTaskOptions } from './periodic-task.ts';
import { USERS_NS } from './users.ts';

/** Keys listed (and records then read) at once; also the number of users listed at once. */
const PAGE = 100;
/** Reads in flight at once: enough to hide a remote store's latency, few enough not to crowd out requests. */
const PARALLEL = 8;

/** Whether a record must go, from its value, the time, its key and its place in its namespace's key order (0 first). */
export type ExpiryTest = (value: unknown, now: number, at: { key: string; position: number }) => boolean;
/**
 * What a key alone says before its record is read: 'read' it, 'skip' it (it cannot have expired), or 'stop' (neither
 * it nor any key after it in the namespace can have expired), sparing the reads of records known to be young.
 */
export type KeyScreen = (key: string, position: number, now: number) => 'read' | 'skip' | 'stop';

export interface SweepPlan {
  /** A pass over every user's records starts at most this often. */
  passEveryMs: number;
  /** What the sweep logs: after a run that deleted records, and when a run failed. */
  messages: { removed: string; failed: string };
  /** The namespaces holding one user's records, and the storage reads it took to find them. */
  namespacesOf(user: string): Promise<{ namespaces: string[]; reads: number }>;
  /** How the records of one namespace are judged (settled before its walk starts), and the reads that took. */
  judge(namespace: string): Promise<{ expired: ExpiryTest; screen?: KeyScreen; reads: number }>;
}

export interface SweepOptions extends PeriodicTaskOptions {
  /**
   * Storage reads (a listed page, a record) one run may make; the next run resumes after them. A run may go over by
   * what finding one user's namespaces and judging one namespace cost.
   */
  maxReadsPerRun: number;
  now?: () => number;
  log?: Logger;
}

export interface SweepRun {
  reads: number;
  deleted: number;
  /** Expired records left because someone rewrote or removed them between the read and the delete. */
  raced: number;
  /** The walk reached the last user's last record: the pass is over, and the next starts `passEveryMs` after it began. */
  wrapped: boolean;
}


export class UserRecordSweeper {
  /** Where the walk stands: users after `userAfter` are still to do, then `pendingUsers`, then the rest listed. */
  private userAfter: string | undefined;
  private pendingUsers: string[] = [];
  /** The current user's namespaces still to walk, and the one under way with its keys after `keyAfter`. */
  private pendingNamespaces: string[] = [];
  private namespace: string | undefined;
  private keyAfter: string | undefined;
  private position = 0;
  private expired: ExpiryTest = () => false;
  private screen: KeyScreen = () => 'read';
  /** When the pass under way (or the last one) started; undefined before the first. */
  private passStartedAt: number | undefined;
  private readonly task: PeriodicTask;
  private readonly now: () => number;

  constructor(
    private readonly storage: StorageProvider,
    private readonly plan: SweepPlan,
    private readonly options: SweepOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.task = new PeriodicTask(() => this.tick(), options);
  }

  start(): void {
    this.task.start();
  }

  /** Stops scheduling runs and waits for the one under way, which stops at its next page. */
  close(): Promise<void> {
    return this.task.close();
  }

  private async tick(): Promise<void> {
    const started = this.now();
    try {
      const run = await this.runOnce();
      if (run.deleted > 0) this.options.log?.info({ ...run, ms: this.now() - started }, this.plan.messages.removed);
    } catch (error) {
      this.options.log?.warn({ err: error }, this.plan.messages.failed);
    }
  }

  private get betweenPasses(): boolean {
    return this.userAfter === undefined && this.pendingUsers.length === 0 && this.pendingNamespaces.length === 0 && this.namespace === undefined;
  }

  /** One bounded run of about `maxReadsPerRun` storage reads; between passes it reads nothing. */
  async runOnce(): Promise<SweepRun> {
    const run: SweepRun = { reads: 0, deleted: 0, raced: 0, wrapped: false };
    const now = this.now();
    if (this.betweenPasses) {
      if (this.passStartedAt !== undefined && now - this.passStartedAt < this.plan.passEveryMs) return run;
      this.passStartedAt = now;
    }
    while (run.reads < this.options.maxReadsPerRun && !this.task.closed) {
      if (this.namespace !== undefined) await this.walkPage(this.namespace, now, run);
      else if (this.pendingNamespaces.length > 0) {
        this.namespace = this.pendingNamespaces.shift()!;
        const judged = await this.plan.judge(this.namespace);
        run.reads += judged.reads;
        this.expired = judged.expired;
        this.screen = judged.screen ?? (() => 'read');
        this.keyAfter = undefined;
        this.position = 0;
      } else if (this.pendingUsers.length > 0) {
        const user = this.pendingUsers.shift()!;
        this.userAfter = user;
        const found = await this.plan.namespacesOf(user);
        run.reads += found.reads;
        this.pendingNamespaces = found.namespaces;
      } else {
        this.pendingUsers = await this.storage.list(USERS_NS, { limit: PAGE, ...(this.userAfter === undefined ? {} : { after: this.userAfter }) });
        run.reads += 1;
        if (this.pendingUsers.length === 0) {
          // Every user done: the next pass starts again from the first.
          this.userAfter = undefined;
          run.wrapped = true;
          return run;
        }
      }
    }
    return run;
  }

  /** Reads the next page of the namespace under way and deletes what is expired in it. */
  private async walkPage(namespace: string, now: number, run: SweepRun): Promise<void> {
    const limit = Math.max(1, Math.min(PAGE, this.options.maxReadsPerRun - run.reads - 1));
    const keys = await this.storage.list(namespace, { limit, ...(this.keyAfter === undefined ? {} : { after: this.keyAfter }) });
    run.reads += 1;
    const candidates: { key: string; position: number }[] = [];
    let stopped = false;
    for (const [index, key] of keys.entries()) {
      const verdict = this.screen(key, this.position + index, now);
      if (verdict === 'stop') {
        stopped = true;
        break;
      }
      if (verdict === 'read') candidates.push({ key, position: this.position + index });
    }
    run.reads += candidates.length;
    for (let index = 0; index < candidates.length; index += PARALLEL) {
      await Promise.all(candidates.slice(index, index + PARALLEL).map(({ key, position }) => this.expire(namespace, key, position, now, run)));
    }
    this.position += keys.length;
    if (stopped || keys.length < limit) this.namespace = undefined;
    else this.keyAfter = keys[keys.length - 1];
  }

  /** Deletes the record if the plan judges it expired, only at the version read. */
  private async expire(namespace: string, key: string, position: number, now: number, run: SweepRun): Promise<void> {
    const record = await this.storage.get(namespace, key);
    if (!record || !this.expired(record.value, now, { key, position })) return;
    try {
      if (await this.storage.delete(namespace, key, record.version)) run.deleted += 1;
    } catch (error) {
      if (!isRaceLoss(error)) throw error;
      run.raced += 1;
    }
  }
}
