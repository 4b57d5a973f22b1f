// Group commit: every write a process asks for in one turn of the event loop runs in one SQLite transaction, and
// one fsync of the WAL (shared with other groups in flight) makes the whole group durable before any caller hears
// back. A write that fails its check (a lost race, a bad key) is undone alone and the others commit (runGroup).
// The write lock is taken with BEGIN IMMEDIATE and no busy wait inside SQLite: when
// another process holds it, the group waits here on a timer, never blocking the event loop.
import type Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { isBusy } from './store-file.ts';

interface Pending {
  work: () => unknown;
  /** Answer only once the group is durable (false: once it is committed). */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Outcome {
  pending: Pending;
  ok: boolean;
  value: unknown;
}

export interface GroupCommitHost {
  /** The open database, after checking that the store is still where it was (throws when unusable). */
  database(): Database.Database;
  /** Called with the namespaces a committed group wrote. */
  committed(namespaces: Set<string>): void;
  /** Resolves when every committed group is durable. */
  durable(): Promise<void>;
  /** Maps an error to what callers should see. */
  mapError(error: unknown): unknown;
  /** Adds what a group's commit carries besides its writes; runs inside the group's transaction, before COMMIT. */
  seal(): void;
  /** Takes the namespaces written so far. */
  takeTouched(): Set<string>;
}

/** How soon groups that nobody waits for (commit-only writes) are flushed at the latest. */
const BACKGROUND_FLUSH_DELAY_MS = 10;

/** How long a group waits for another process's write lock before its writes fail as unavailable. */
const LOCK_PATIENCE_MS = 15_000;

/**
 * Another process holds the lock for one group, typically 50–200 µs: the first retries come after the event loop's
 * other work (setImmediate), later ones every millisecond. A failed attempt costs a few microseconds, so polling at
 * that pace is not hot even for a holder descheduled on a busy machine; timer steps of up to 4 ms left two spoolers
 * waiting far longer than the commits they waited for (row 4b of the benchmark: 1.06× one spooler with 4 ms steps,
 * 1.12× with 1 ms, in one run each).
 */
function lockRetryDelay(attempt: number): Promise<void> {
  if (attempt < 3) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, 1));
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private backgroundFlush: NodeJS.Timeout | undefined;
  /** Groups committed so far, and times a group found the write lock held, for the benchmark's per-job figures. */
  groups = 0;
  lockWaits = 0;

  constructor(private readonly host: GroupCommitHost) {}

  run<T>(work: () => T, durable = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, durable, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    const outcomes = await this.commitGroup();
    this.flushing = false;
    if (this.queue.length > 0) this.schedule();
    if (!outcomes) return;
    const waiting: Outcome[] = [];
    for (const outcome of outcomes) {
      if (outcome.pending.durable && outcome.ok) waiting.push(outcome);
      else settle(outcome);
    }
    if (waiting.length === 0) {
      // Nobody waits, but the group must still reach the disk soon: a flush a few milliseconds later, shared with
      // the groups committed meanwhile. An immediate one per group (a spooler commits one per job) kept the device
      // busy flushing under the servers' flushes, which clients do wait for.
      this.backgroundFlush ??= setTimeout(() => {
        this.backgroundFlush = undefined;
        // A store that went bad meanwhile fails the flush (even before it starts); nobody waits to be told.
        Promise.resolve()
          .then(() => this.host.durable())
          .catch(() => undefined);
      }, BACKGROUND_FLUSH_DELAY_MS).unref();
      return;
    }
    // This flush covers the groups a background flush was waiting for.
    clearTimeout(this.backgroundFlush);
    this.backgroundFlush = undefined;
    let failure: unknown;
    try {
      await this.host.durable();
    } catch (error) {
      failure = this.host.mapError(error);
    }
    for (const outcome of waiting) settle(outcome, failure);
  }

  /** Takes the queue once the write lock is ours and commits it; undefined (and the queue rejected) on failure. */
  private async commitGroup(): Promise<Outcome[] | undefined> {
    const db = await this.lockedDatabase();
    if (!db) return undefined;
    const group = this.queue;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = runGroup(db, group);
      this.host.seal();
      control(db).commit.run();
    } catch (error) {
      rollBack(db);
      this.host.takeTouched();
      const mapped = this.host.mapError(error);
      for (const pending of group) pending.reject(mapped);
      return undefined;
    }
    this.groups += 1;
    this.host.committed(this.host.takeTouched());
    return outcomes;
  }

  /** The database inside BEGIN IMMEDIATE; rejects the queue and answers undefined when the store is unusable. */
  private async lockedDatabase(): Promise<Database.Database | undefined> {
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      try {
        const db = this.host.database();
        control(db).begin.run();
        return db;
      } catch (error) {
        const patient = isBusy(error) && Date.now() - started < LOCK_PATIENCE_MS;
        if (!patient) {
          const mapped = isBusy(error)
            ? new StorageUnavailableError('Local storage is locked by another process for too long')
            : this.host.mapError(error);
          const group = this.queue;
          this.queue = [];
          for (const pending of group) pending.reject(mapped);
          return undefined;
        }
      }
      this.lockWaits += 1;
      await lockRetryDelay(attempt);
    }
  }
}

function rollBack(db: Database.Database): void {
  try {
    if (db.inTransaction) control(db).rollback.run();
  } catch {
    // SQLite has rolled back by itself after an I/O error; the group is answered with the original error.
  }
}

/** Answers a write: its failure, the flush's failure, or its value. */
function settle({ pending, ok, value }: Outcome, flushFailure?: unknown): void {
  if (!ok) pending.reject(value);
  else if (flushFailure !== undefined) pending.reject(flushFailure);
  else pending.resolve(value);
}

/**
 * Runs a group's writes so that a failing one is undone alone. A savepoint per write does that, but SQLite journals
 * every page a savepoint changes before its first change, and journaling the same pages once per write was a third
 * of the store's time per submission. So the group runs under one savepoint, and only a group in which a write
 * failed is undone and run again with a savepoint per write (writes only touch the store and their own values, so
 * running one again is running it for the first time).
 */
function runGroup(db: Database.Database, group: Pending[]): Outcome[] {
  const statements = control(db);
  statements.groupSavepoint.run();
  const outcomes: Outcome[] = [];
  for (const pending of group) {
    try {
      outcomes.push({ pending, ok: true, value: pending.work() });
    } catch {
      statements.rollbackToGroup.run();
      statements.releaseGroup.run();
      return group.map((each) => runUnderSavepoint(db, each));
    }
  }
  statements.releaseGroup.run();
  return outcomes;
}

function runUnderSavepoint(db: Database.Database, pending: Pending): Outcome {
  const statements = control(db);
  statements.savepoint.run();
  try {
    const value = pending.work();
    statements.release.run();
    return { pending, ok: true, value };
  } catch (error) {
    statements.rollbackTo.run();
    statements.release.run();
    return { pending, ok: false, value: error };
  }
}

interface ControlStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  savepoint: Database.Statement;
  release: Database.Statement;
  rollbackTo: Database.Statement;
  groupSavepoint: Database.Statement;
  releaseGroup: Database.Statement;
  rollbackToGroup: Database.Statement;
}

const prepared = new WeakMap<Database.Database, ControlStatements>();

/** Transaction control as prepared statements: parsing them on every group cost more than the writes themselves. */
function control(db: Database.Database): ControlStatements {
  let statements = prepared.get(db);
  if (!statements) {
    statements = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollbackTo: db.prepare('ROLLBACK TO write'),
      groupSavepoint: db.prepare('SAVEPOINT grouped'),
      releaseGroup: db.prepare('RELEASE grouped'),
      rollbackToGroup: db.prepare('ROLLBACK TO grouped'),
    };
    prepared.set(db, statements);
  }
  return statements;
}
