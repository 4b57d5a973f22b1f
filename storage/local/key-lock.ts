// Per-key mutual exclusion between processes on one host, by exclusive creation of a lock file.
// A lock is a symbolic link whose target text names the holder's pid and intent: creating it is one exclusive
// syscall, and reading it back (readlink) needs no open file. Synchronous calls take microseconds, far less
// than a thread-pool hop.
// A lock left behind by a killed process is recognised by its dead pid and broken by exactly one waiter
// (guarded by a second exclusive "break" file), which first completes or undoes the interrupted operation.
import { lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface LockIntent {
  op: string;
  from?: string;
  to?: string;
}

type Repair = (intent: LockIntent) => Promise<void>;

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
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
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

  async withLock<T>(key: string, intent: LockIntent, fn: () => Promise<T>): Promise<T> {
    const path = join(this.dir, `${key}.lock`);
    const content = `${process.pid}\n${JSON.stringify(intent)}`;
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; !createExclusive(path, content); attempt += 1) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock on ${key}`);
      if (attempt % 8 === 7) await this.breakIfStale(path);
      await sleep(Math.min(1 + attempt, 20));
    }
    try {
      return await fn();
    } finally {
      unlinkSync(path);
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
