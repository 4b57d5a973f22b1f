// The local-filesystem provider: the embedded default. One JSON file per document, written to a temp file,
// fsynced and renamed into place (I5). Writers of one key serialise on a per-key lock file, which makes
// compare-and-swap and the exclusive move exact for any number of processes on this host.
// File operations are synchronous syscalls (microseconds each on a local disk, far cheaper than a thread-pool
// round trip); only fsync, which waits for the device, runs off the event loop.
import { closeSync, fsync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, watch as watchDir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { ListOptions, MoveOptions, StorageProvider, StoredDocument } from '../contract.ts';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import { assertKey, assertNamespace } from '../keys.ts';
import { KeyLocks, type LockIntent } from './key-lock.ts';
import { documentPath, listKeys, namespaceDir, pruneShards } from './layout.ts';

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

export class LocalProvider implements StorageProvider {
  readonly type = 'local';
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly fsync: boolean;
  private readonly locks: KeyLocks;
  private readonly ready: Promise<void>;
  private readonly watchers = new Set<AbortController>();

  constructor(options: LocalProviderOptions) {
    this.root = options.root;
    this.tmpDir = join(this.root, '.tmp');
    this.fsync = options.fsync ?? true;
    const lockDir = join(this.root, '.locks');
    this.locks = new KeyLocks(lockDir, (intent) => this.repair(intent));
    this.ready = Promise.all([mkdir(this.tmpDir, { recursive: true }), mkdir(lockDir, { recursive: true })]).then(
      () => undefined,
    );
  }

  async put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<string> {
    const path = this.address(namespace, key);
    return this.locked(key, { op: 'put' }, async () => {
      if (options.ifAbsent && this.read(path)) {
        throw new ConflictError(`${namespace}/${key} already exists`, 'already_exists');
      }
      return this.write(path, value);
    });
  }

  async get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    const envelope = this.read(this.address(namespace, key));
    return envelope && { value: envelope.value as T, version: envelope.version };
  }

  async replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string> {
    const path = this.address(namespace, key);
    return this.locked(key, { op: 'replace' }, async () => {
      const current = this.read(path);
      if (!current) throw new NotFoundError(`${namespace}/${key} does not exist`);
      if (current.version !== expectedVersion) throw new ConflictError(`${namespace}/${key} was changed concurrently`);
      return this.write(path, value);
    });
  }

  async move(from: string, to: string, key: string, options: MoveOptions = {}): Promise<string> {
    const source = this.address(from, key);
    const target = this.address(to, key);
    return this.locked(key, { op: 'move', from: source, to: target }, async () => {
      const current = this.read(source);
      if (!current) throw new NotFoundError(`${from}/${key} does not exist`);
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
        throw new ConflictError(`${from}/${key} was changed concurrently`);
      }
      if (this.read(target)) throw new ConflictError(`${to}/${key} already exists`, 'already_exists');
      const version = await this.write(target, 'value' in options ? options.value : current.value);
      unlinkSync(source);
      pruneShards(this.root, from, key);
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
    return listKeys(this.root, namespace, options.after ?? '', Math.max(1, Math.min(options.limit ?? 1000, 10_000)));
  }

  watch(namespace: string, onChange: () => void): () => void {
    assertNamespace(namespace);
    const dir = namespaceDir(this.root, namespace);
    const controller = new AbortController();
    this.watchers.add(controller);
    void (async () => {
      await mkdir(dir, { recursive: true });
      try {
        for await (const _event of watchDir(dir, { recursive: true, signal: controller.signal })) onChange();
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    })().catch(() => undefined);
    return () => {
      controller.abort();
      this.watchers.delete(controller);
    };
  }

  async close(): Promise<void> {
    for (const controller of this.watchers) controller.abort();
    this.watchers.clear();
  }

  private address(namespace: string, key: string): string {
    assertNamespace(namespace);
    assertKey(key);
    return documentPath(this.root, namespace, key);
  }

  private async locked<T>(key: string, intent: LockIntent, fn: () => Promise<T>): Promise<T> {
    await this.ready;
    return this.locks.withLock(key, intent, fn);
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
    const version = randomBytes(8).toString('hex');
    const temp = join(this.tmpDir, `${version}.tmp`);
    const fd = openSync(temp, 'w');
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

  /** Finishes a move interrupted after its destination was written: the source copy is the stale one. */
  private async repair(intent: LockIntent): Promise<void> {
    if (intent.op !== 'move' || !intent.from || !intent.to) return;
    if (this.read(intent.to) && this.read(intent.from)) unlinkSync(intent.from);
  }
}
