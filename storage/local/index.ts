// The local-filesystem provider: the embedded default, for any number of processes on one host.
// Documents live in one SQLite file in WAL mode (store-file.ts): reads are plain indexed lookups, and writes are
// group-committed (group-commit.ts), so a burst of submissions or state changes costs one transaction and one fsync
// per group instead of a temp file, an fsync, a rename and a lock file per document. The exclusive move, create-only
// put and compare-and-swap are exact because every write runs inside SQLite's write lock, which the kernel releases
// when its holder dies: a killed process never leaves a lock behind.
// Errors that mean the store cannot be used right now (full, read-only, failing device, no permission, a path
// replaced under us) become StorageUnavailableError, which the server answers 503 and spoolers back off from.
import { join } from 'node:path';
import type { ListOptions, MoveOptions, StorageProvider, StoredDocument, Transaction } from '../contract.ts';
import { Doorbells } from './bells.ts';
import { Documents } from './documents.ts';
import { WalSync } from './durability.ts';
import { GroupCommit } from './group-commit.ts';
import { importLegacyTree } from './legacy-import.ts';
import { ReadSnapshot } from './read-snapshot.ts';
import { Revisions } from './revisions.ts';
import { closeStore, isBusy, mapUnusable, openStore, stillAtPath, type OpenStore } from './store-file.ts';
import { assertArea, assertNamespace } from '../keys.ts';
import { StorageUnavailableError } from '../../schemas/errors.ts';

export interface LocalProviderOptions {
  /** Directory that holds the store (created 0700 if missing). */
  root: string;
  /** fsync each commit group before acknowledging it; turn off only for throwaway data. */
  fsync?: boolean;
}

interface OpenedStore {
  open: OpenStore;
  documents: Documents;
  revisions: Revisions;
}

export class LocalProvider implements StorageProvider {
  readonly type = 'local';
  private readonly root: string;
  private readonly fsync: boolean;
  private store: OpenedStore | undefined;
  private readonly bells: Doorbells;
  private readonly commits: GroupCommit;
  private readonly walSync: WalSync;
  private closed = false;
  private pathCheckedThisTurn = false;
  private readonly snapshot = new ReadSnapshot();

  constructor(options: LocalProviderOptions) {
    this.root = options.root;
    this.fsync = options.fsync ?? true;
    this.bells = new Doorbells(join(this.root, '.bells'));
    this.walSync = new WalSync(() => this.opened().open.walFd);
    this.commits = new GroupCommit({
      database: () => {
        // The write lock cannot be taken inside a transaction, and reads after this commit must see it.
        this.snapshot.end();
        return this.opened().open.db;
      },
      committed: (namespaces) => {
        this.store?.open.checkpointer.ensureRunning();
        this.bells.ring(namespaces);
      },
      durable: () => (this.fsync ? this.walSync.sync() : Promise.resolve()),
      mapError: mapUnusable,
      seal: () => {
        const { documents, revisions } = this.opened();
        revisions.advance(documents.touched, documents.emptied);
      },
      takeTouched: () => {
        const touched = new Set(this.store?.documents.touched);
        this.store?.documents.touched.clear();
        this.store?.documents.emptied.clear();
        return touched;
      },
    });
  }

  /** Commit groups, fsyncs and waits for another process's write lock so far (benchmark figures). */
  get stats(): { groups: number; fsyncs: number; lockWaits: number } {
    return { groups: this.commits.groups, fsyncs: this.walSync.count, lockWaits: this.commits.lockWaits };
  }

  put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<string> {
    return this.commits.run(() => this.documents().put(namespace, key, value, options));
  }

  get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined> {
    return this.read(() => this.documents().get<T>(namespace, key));
  }

  getIfChanged<T = unknown>(namespace: string, key: string, knownVersion: string): Promise<StoredDocument<T> | undefined | 'unchanged'> {
    return this.read(() => this.documents().getIfChanged<T>(namespace, key, knownVersion));
  }

  replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string> {
    return this.commits.run(() => this.documents().replace(namespace, key, value, expectedVersion));
  }

  move(from: string, to: string, key: string, options: MoveOptions = {}): Promise<string> {
    return this.commits.run(() => this.documents().move(from, to, key, options));
  }

  delete(namespace: string, key: string, expectedVersion?: string): Promise<boolean> {
    return this.commits.run(() => this.documents().delete(namespace, key, expectedVersion));
  }

  list(namespace: string, options: ListOptions = {}): Promise<string[]> {
    return this.read(() => this.documents().list(namespace, options));
  }

  async revision(areas: readonly string[]): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      const known = await this.read(() => {
        for (const area of areas) assertArea(area);
        return this.opened().revisions.read(areas);
      });
      if (known !== undefined) return known;
      // Counters start with the first question about their areas; a store swapped in meanwhile is asked again.
      if (attempt === 2) throw new StorageUnavailableError('Local storage keeps changing under its revision counters');
      await this.commits.run(() => this.opened().revisions.start(areas));
    }
  }

  transaction<T>(work: (tx: Transaction) => T, options: { durable?: boolean } = {}): Promise<T> {
    return this.commits.run(() => work(this.documents()), options.durable ?? true);
  }

  watch(namespace: string, onChange: () => void): () => void {
    assertNamespace(namespace);
    return this.bells.watch(namespace, onChange);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.bells.close();
    this.snapshot.end();
    // Writes already queued still commit: close() must not turn an accepted write into a lost one.
    await this.commits.run(() => undefined).catch(() => undefined);
    if (this.store) closeStore(this.store.open);
    this.store = undefined;
  }

  private documents(): Documents {
    return this.opened().documents;
  }

  /**
   * The open store, after checking that its path still leads to it (once per turn of the event loop: a burst of
   * reads in one turn shares one stat). The store is opened on first use (and after
   * an outage that replaced it), so a store unusable at start is retried on the next call.
   */
  private opened(): OpenedStore {
    if (this.store && (this.pathCheckedThisTurn || stillAtPath(this.root, this.store.open))) {
      if (!this.pathCheckedThisTurn) {
        this.pathCheckedThisTurn = true;
        setImmediate(() => (this.pathCheckedThisTurn = false));
      }
      return this.store;
    }
    if (this.closed) throw new StorageUnavailableError('Local storage was closed');
    this.snapshot.end();
    if (this.store) closeStore(this.store.open);
    this.store = undefined;
    const open = openStore(this.root);
    try {
      importLegacyTree(this.root, open.db);
    } catch (error) {
      closeStore(open);
      throw error;
    }
    this.store = { open, documents: new Documents(open.db), revisions: new Revisions(open.db, open.id) };
    return this.store;
  }

  /** Runs a read now; a read that meets another process's lock (rare in WAL mode) retries on a timer. */
  private async read<T>(work: () => T): Promise<T> {
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        this.snapshot.enter(this.opened().open.db);
        return work();
      } catch (error) {
        if (!isBusy(error) || wait >= 20) throw mapUnusable(error);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
