// Per-key mutual exclusion between processes on one host, by exclusive creation of a lock file.
// A lock is a symbolic link whose target text names the holder's pid and intent: creating it is one exclusive
// syscall, and reading it back (readlink) needs no open file. Synchronous calls take microseconds, far less
// than a thread-pool hop. The text is kept under 60 bytes where it can be (namespaces, not paths; lines, not
// JSON): ext4 then stores it in the inode ("fast symlink"), while a longer one gets a disk block of its own,
// which made creating and removing a move's lock about 1 ms instead of well under 0.1 ms.
// A lock left behind by a killed process is recognised by its dead pid and broken by exactly one waiter
// (guarded by a second exclusive "break" file), which first completes or undoes the interrupted operation.
// A live holder whose release the storage refuses (an outage) keeps the lock and retries in the background, so
// nobody sees its operation half done and the key is usable again as soon as the storage is.
import { lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StorageUnavailableError } from '../../schemas/errors.ts';

export interface LockIntent {
  op: string;
  /** A move's source namespace. */
  from?: string;
  /** A move's destination namespace. */
  to?: string;
}

type Repair = (key: string, intent: LockIntent) => Promise<void>;

/** `pid`, `op` and, for moves, `from` and `to`, one per line. */
function lockText(intent: LockIntent): string {
  return [process.pid, intent.op, ...(intent.from === undefined ? [] : [intent.from, intent.to ?? ''])].join('\n');
}

/** Registers a step that must succeed before the lock is released (e.g. removing a moved document's source). */
export type DeferToRelease = (step: () => void) => void;

/** Lock attempts repeated without a timer before waiting in growing steps of a millisecond. */
const QUICK_RETRIES = 4;

/** How often a holder retries a release the storage refused. */
const RELEASE_RETRY_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function createExclusive(path: string, content: string): boolean {
  try {
    symlinkSync(content, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // The provider creates the lock directory at start; its absence means the store itself went away.
    if (code === 'ENOENT') throw new StorageUnavailableError(`Local storage lock directory ${path} is missing`);
    throw error;
  }
}

function readHolder(path: string): { pid: number; intent: LockIntent } | undefined {
  try {
    const [pidLine, op, from, to] = readlinkSync(path, 'utf8').split('\n');
    const pid = Number(pidLine);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, intent: { op: op || 'unknown', ...(from === undefined ? {} : { from, to: to ?? '' }) } };
  } catch {
    return undefined;
  }
}

function ageOf(path: string): number {
  try {
    return Date.now() - lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

export class KeyLocks {
  /** Keys this process holds or is acquiring, each with a promise that settles once it lets go. */
  private readonly mine = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly repair: Repair,
    private readonly timeoutMs = 10_000,
  ) {}

  async withLock<T>(key: string, intent: LockIntent, fn: (defer: DeferToRelease) => Promise<T>): Promise<T> {
    // Callers in this process queue in memory and go the moment the holder is done: polling a lock file we hold
    // ourselves would cost a timer tick (a millisecond or far more on a busy machine) per wait, e.g. for the two
    // index entries enqueue writes under one job id. Only holders in other processes are polled for.
    for (let turn = this.mine.get(key); turn; turn = this.mine.get(key)) await turn;
    let letGo!: () => void;
    this.mine.set(key, new Promise<void>((resolve) => (letGo = resolve)));
    try {
      return await this.withFileLock(key, intent, fn);
    } finally {
      this.mine.delete(key);
      letGo();
    }
  }

  private async withFileLock<T>(key: string, intent: LockIntent, fn: (defer: DeferToRelease) => Promise<T>): Promise<T> {
    const path = join(this.dir, `${key}.lock`);
    const content = lockText(intent);
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; !createExclusive(path, content); attempt += 1) {
      if (Date.now() > deadline) throw new StorageUnavailableError(`Timed out waiting for the lock on ${key}`);
      if (attempt % 8 === 7) await this.breakIfStale(path, key);
      // A holder without fsync is done within microseconds (e.g. another spooler's claim of the same oldest job):
      // look again at once a few times before falling back to timers, whose shortest wait is a millisecond.
      if (attempt < QUICK_RETRIES) await new Promise<void>((resolve) => setImmediate(resolve));
      else await sleep(Math.min(attempt - QUICK_RETRIES + 1, 20));
    }
    const steps: (() => void)[] = [];
    try {
      return await fn((step) => steps.push(step));
    } finally {
      this.release(path, steps);
    }
  }

  /** Runs the deferred steps, then removes the lock; what the storage refuses is retried until it succeeds. */
  private release(path: string, steps: (() => void)[]): void {
    try {
      while (steps.length > 0) {
        steps[0]!();
        steps.shift();
      }
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && steps.length === 0) return;
      setTimeout(() => this.release(path, steps), RELEASE_RETRY_MS).unref();
    }
  }

  /** A holder is stale when its process is gone (or, defensively, when its link text is unreadable for long). */
  private isStale(path: string): { pid: number; intent: LockIntent } | undefined {
    const holder = readHolder(path);
    if (holder) return isAlive(holder.pid) ? undefined : holder;
    const age = ageOf(path);
    return age > 5_000 ? { pid: 0, intent: { op: 'unknown' } } : undefined;
  }

  private async breakIfStale(path: string, key: string): Promise<void> {
    const holder = this.isStale(path);
    if (!holder) return;
    const guard = `${path}.break`;
    if (!createExclusive(guard, String(process.pid))) {
      if (ageOf(guard) > 5_000) removeQuietly(guard);
      return;
    }
    try {
      const again = this.isStale(path);
      if (again && again.pid === holder.pid) {
        await this.repair(key, again.intent);
        unlinkSync(path);
      }
    } finally {
      removeQuietly(guard);
    }
  }
}
