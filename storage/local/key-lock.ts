// Per-key mutual exclusion between processes on one host, by exclusive creation of a lock file.
// A lock left behind by a killed process is recognised by its dead pid and broken by exactly one waiter
// (guarded by a second exclusive "break" file), which first completes or undoes the interrupted operation.
import { open, readFile, stat, unlink } from 'node:fs/promises';
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

async function createExclusive(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readHolder(path: string): Promise<{ pid: number; intent: LockIntent } | undefined> {
  try {
    const [pidLine, intentLine] = (await readFile(path, 'utf8')).split('\n');
    const pid = Number(pidLine);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, intent: JSON.parse(intentLine || '{"op":"unknown"}') as LockIntent };
  } catch {
    return undefined;
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
    for (let attempt = 0; !(await createExclusive(path, content)); attempt += 1) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock on ${key}`);
      if (attempt % 8 === 7) await this.breakIfStale(path);
      await sleep(Math.min(1 + attempt, 20));
    }
    try {
      return await fn();
    } finally {
      await unlink(path);
    }
  }

  /** A holder is stale when its process is gone, or when it died before even writing its pid. */
  private async isStale(path: string): Promise<{ pid: number; intent: LockIntent } | undefined> {
    const holder = await readHolder(path);
    if (holder) return isAlive(holder.pid) ? undefined : holder;
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    return age > 5_000 ? { pid: 0, intent: { op: 'unknown' } } : undefined;
  }

  private async breakIfStale(path: string): Promise<void> {
    const holder = await this.isStale(path);
    if (!holder) return;
    const guard = `${path}.break`;
    if (!(await createExclusive(guard, String(process.pid)))) {
      const age = await stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 5_000) await unlink(guard).catch(() => undefined);
      return;
    }
    try {
      const again = await this.isStale(path);
      if (again && again.pid === holder.pid) {
        await this.repair(again.intent);
        await unlink(path);
      }
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  }
}
