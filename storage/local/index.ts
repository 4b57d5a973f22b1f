// The local-filesystem provider: the embedded default. One JSON file per document, written to a temp file,
// fsynced and renamed into place (I5). Writers of one key serialise on a per-key lock file, which makes
// compare-and-swap and the exclusive move exact for any number of processes on this host.
// File operations are synchronous syscalls (microseconds each on a local disk, far cheaper than a thread-pool
// round trip); only fsync, which waits for the device, runs off the event loop.
// Errors that mean the store cannot be used right now (full, read-only, failing device, no permission, a path
// replaced under us) become StorageUnavailableError, which the server answers 503 and spoolers back off from;
// ENOENT on a document is not one of them: it means the document is absent.
// Watchers are woken through a doorbell file per namespace in `.bells/`, touched after every write into it, and
// watched with a plain (non-recursive) inotify watch: Node 20's recursive fs.watch crashes the process with an
// unhandled ENOENT when a shard directory disappears while it scans it, which happens all the time here.
// A bell exists only once someone has watched its namespace, and writes ring only existing bells: touching a file
// is a journaled metadata write, and only 2 of the 7 namespaces a job passes through per run are ever watched.
import {
  closeSync, fsync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, utimesSync, watch as watchDir, writeFileSync, writeSync,
  type FSWatcher,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { ListOptions, MoveOptions, StorageProvider, StoredDocument } from '../contract.ts';
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import { assertKey, assertNamespace } from '../keys.ts';
import { KeyLocks, type DeferToRelease, type LockIntent } from './key-lock.ts';
import { documentPath, listKeys, pruneShards } from './layout.ts';

export interface LocalProviderOptions {
  /** Directory that holds all documents (created if missing). */
  root: string;
  /** fsync each document before it becomes visible; turn off only for throwaway data. */
  fsync?: boolean;
}

interface Envelope {
  version: string;
  value: unknown;
}

const fsyncAsync = promisify(fsync);

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

const UNUSABLE = new Set([
  'EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EMFILE', 'ENFILE', 'ENOTDIR', 'ELOOP', 'ESTALE', 'EBUSY',
  'ENXIO', 'ENODEV', 'ENOTCONN', 'ETIMEDOUT',
]);

/** The error callers should see: StorageUnavailableError for a store that cannot be used, anything else unchanged. */
function mapUnusable(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !UNUSABLE.has(code)) return error;
  return new StorageUnavailableError(`Local storage is unusable (${code}): ${(error as Error).message}`);
}

async function mapped<T>(operation: () => Promise<T> | T): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw mapUnusable(error);
  }
}

/** Namespaces are `[a-z0-9_-]` segments joined by `/`, so `.` joins them into an unambiguous file name. */
function bellName(namespace: string): string {
  return namespace.replaceAll('/', '.');
}

/**
 * Document versions (and temp file names): a random prefix per process (per thread) and a counter. Unique across
 * processes and threads like 8 random bytes per write, without asking the kernel for entropy on every write.
 */
const versionPrefix = randomBytes(8).toString('hex');
let versionCount = 0;
function nextVersion(): string {
  versionCount += 1;
  return `${versionPrefix}${versionCount.toString(16)}`;
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

export class LocalProvider implements StorageProvider {
  readonly type = 'local';
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly fsync: boolean;
  private readonly locks: KeyLocks;
  private readonly lockDir: string;
  private ready: Promise<void> | undefined;
  private readonly bellDir: string;
  private readonly watchers = new Set<FSWatcher>();

  constructor(options: LocalProviderOptions) {
    this.root = options.root;
    this.tmpDir = join(this.root, '.tmp');
    this.bellDir = join(this.root, '.bells');
    this.fsync = options.fsync ?? true;
    this.lockDir = join(this.root, '.locks');
    this.locks = new KeyLocks(this.lockDir, (key, intent) => this.repair(key, intent));
  }

  async put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<string> {
    const path = this.address(namespace, key);
    return this.locked(key, { op: 'put' }, async () => {
      if (options.ifAbsent && this.read(path)) {
        throw new ConflictError(`${namespace}/${key} already exists`, 'already_exists');
      }
      const version = await this.write(path, value);
      this.ring(namespace);
      return version;
    });
  }

  async get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    const path = this.address(namespace, key);
    const envelope = await mapped(() => this.read(path));
    return envelope && { value: envelope.value as T, version: envelope.version };
  }

  async replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string> {
    const path = this.address(namespace, key);
    return this.locked(key, { op: 'replace' }, async () => {
      const current = this.read(path);
      if (!current) throw new NotFoundError(`${namespace}/${key} does not exist`);
      if (current.version !== expectedVersion) throw new ConflictError(`${namespace}/${key} was changed concurrently`);
      const version = await this.write(path, value);
      this.ring(namespace);
      return version;
    });
  }

  async move(from: string, to: string, key: string, options: MoveOptions = {}): Promise<string> {
    const source = this.address(from, key);
    const target = this.address(to, key);
    return this.locked(key, { op: 'move', from, to }, async (defer) => {
      const current = this.read(source);
      if (!current) throw new NotFoundError(`${from}/${key} does not exist`);
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
        throw new ConflictError(`${from}/${key} was changed concurrently`);
      }
      if (this.read(target)) throw new ConflictError(`${to}/${key} already exists`, 'already_exists');
      const version = await this.write(target, 'value' in options ? options.value : current.value);
      this.ring(to);
      // The destination is durable, so the move has happened: the source must go before anyone else may touch
      // the key, even if the storage refuses right now (the lock then stays until it can be removed).
      defer(() => removeIfPresent(source));
      return version;
    });
  }

  async delete(namespace: string, key: string, expectedVersion?: string): Promise<boolean> {
    const path = this.address(namespace, key);
    return this.locked(key, { op: 'delete' }, async () => {
      const current = this.read(path);
      if (!current) return false;
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new ConflictError(`${namespace}/${key} was changed concurrently`);
      }
      unlinkSync(path);
      pruneShards(this.root, namespace, key);
      return true;
    });
  }

  async list(namespace: string, options: ListOptions = {}): Promise<string[]> {
    assertNamespace(namespace);
    if (options.after !== undefined) assertKey(options.after);
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 10_000));
    return mapped(() => listKeys(this.root, namespace, options.after ?? '', limit));
  }

  watch(namespace: string, onChange: () => void): () => void {
    assertNamespace(namespace);
    const bell = bellName(namespace);
    let watcher: FSWatcher;
    try {
      mkdirSync(this.bellDir, { recursive: true });
      writeFileSync(join(this.bellDir, bell), '', { flag: 'a' });
      watcher = watchDir(this.bellDir, (_event, filename) => {
        if (filename === bell) onChange();
      });
    } catch {
      // Watching only saves polling time; without it the caller still polls.
      return () => undefined;
    }
    watcher.on('error', () => watcher.close());
    this.watchers.add(watcher);
    return () => {
      watcher.close();
      this.watchers.delete(watcher);
    };
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.clear();
  }

  private address(namespace: string, key: string): string {
    assertNamespace(namespace);
    assertKey(key);
    return documentPath(this.root, namespace, key);
  }

  private async locked<T>(key: string, intent: LockIntent, fn: (defer: DeferToRelease) => Promise<T>): Promise<T> {
    return mapped(async () => {
      await this.prepare();
      return this.locks.withLock(key, intent, fn);
    });
  }

  /** Creates the provider's own directories once; a failure (storage unusable at start) is retried next call. */
  private prepare(): Promise<void> {
    const dirs = [this.tmpDir, this.lockDir, this.bellDir];
    this.ready ??= Promise.all(dirs.map((dir) => mkdir(dir, { recursive: true }))).then(
      () => undefined,
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  private read(path: string): Envelope | undefined {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Envelope;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async write(path: string, value: unknown): Promise<string> {
    const version = nextVersion();
    const temp = join(this.tmpDir, `${version}.tmp`);
    const fd = this.openTemp(temp);
    try {
      writeSync(fd, JSON.stringify({ version, value } satisfies Envelope));
      if (this.fsync) await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    for (let attempt = 0; ; attempt += 1) {
      try {
        renameSync(temp, path);
        return version;
      } catch (error) {
        // The shard directory may not exist yet, or a concurrent prune removed it: (re)create and retry.
        if (!isMissing(error) || attempt > 5) throw error;
        mkdirSync(dirname(path), { recursive: true });
      }
    }
  }

  /**
   * Touches the namespace's doorbell so its watchers wake. A missing bell means nobody has watched the namespace (the
   * failed lookup is far cheaper than a touch); a bell that cannot ring only delays its watchers until they poll.
   */
  private ring(namespace: string): void {
    const now = new Date();
    try {
      utimesSync(join(this.bellDir, bellName(namespace)), now, now);
    } catch {
      // see above
    }
  }

  private openTemp(temp: string): number {
    try {
      return openSync(temp, 'w');
    } catch (error) {
      // The provider made its temp directory at start; its absence means the store itself went away.
      if (isMissing(error)) throw new StorageUnavailableError(`Local storage temp directory ${this.tmpDir} is missing`);
      throw error;
    }
  }

  /** Finishes a move interrupted after its destination was written: the source copy is the stale one. */
  private async repair(key: string, intent: LockIntent): Promise<void> {
    if (intent.op !== 'move' || !intent.from || !intent.to) return;
    let source: string;
    let target: string;
    try {
      source = this.address(intent.from, key);
      target = this.address(intent.to, key);
    } catch {
      return; // not a lock this provider wrote: nothing it could repair
    }
    if (this.read(target) && this.read(source)) unlinkSync(source);
  }
}
