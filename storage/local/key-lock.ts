// Per-key mutual exclusion between processes on one host, by exclusive creation of a lock file.
// A lock is a symbolic link whose target text names the holder's pid and intent: creating it is one exclusive
// syscall, and reading it back (readlink) needs no open file. Synchronous calls take microseconds, far less
// than a thread-pool hop.
// A lock left behind by a killed process is recognised by its dead pid and broken by exactly one waiter
// (guarded by a second exclusive "break" file), which first completes or undoes the interrupted operation.
// A live holder whose release the storage refuses (an outage) keeps the lock and retries in the background, so
// nobody sees its operation half done and the key is usable again as soon as the storage is.
import { lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StorageUnavailableError } from '../../schemas/errors.ts';

export interface LockIntent {
  op: string;
  from?: string;
  to?: string;
}

type Repair = (intent: LockIntent) => Promise<void>;

/** Registers a step that must succeed before the lock is released (e.g. removing a moved document's source). */
export type DeferToRelease = (step: () => void) => void;

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
    const [pidLine, intentLine] = readlinkSync(path, 'utf8').split('\n');
    const pid = Number(pidLine);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, intent: JSON.parse(intentLine || '{"op":"unknown"}') as LockIntent };
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
  constructor(
    private readonly dir: string,
    private readonly repair: Repair,
    private readonly timeoutMs = 10_000,
  ) {}

  async withLock<T>(key: string, intent: LockIntent, fn: (defer: DeferToRelease) => Promise<T>): Promise<T> {
    const path = join(this.dir, `${key}.lock`);
    const content = `${process.pid}\n${JSON.stringify(intent)}`;
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; !createExclusive(path, content); attempt += 1) {
      if (Date.now() > deadline) throw new StorageUnavailableError(`Timed out waiting for the lock on ${key}`);
      if (attempt % 8 === 7) await this.breakIfStale(path);
      await sleep(Math.min(1 + attempt, 20));
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

  private async breakIfStale(path: string): Promise<void> {
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
        await this.repair(again.intent);
        unlinkSync(path);
      }
    } finally {
      removeQuietly(guard);
    }
  }
}
