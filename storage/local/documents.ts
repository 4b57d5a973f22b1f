// The document operations of the contract as synchronous statements on the store's table. Writes must run inside a
// transaction the caller holds (group-commit.ts); the checks and the write of one operation then cannot interleave
// with another writer, in this process or any other, which is what makes create-only, compare-and-swap and the
// exclusive move exact.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { ListOptions, MoveOptions, StoredDocument, Transaction } from '../contract.ts';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import { assertKey, assertNamespace } from '../keys.ts';

/** Versions: a random prefix per process (per thread) and a counter, unique across processes like random bytes. */
const versionPrefix = randomBytes(8).toString('hex');
let versionCount = 0;
function nextVersion(): string {
  versionCount += 1;
  return `${versionPrefix}${versionCount.toString(16)}`;
}

function address(namespace: string, key: string): void {
  assertNamespace(namespace);
  assertKey(key);
}

interface Row {
  version: string;
  value: string;
}

export const MAX_LIST_LIMIT = 10_000;

export class Documents implements Transaction {
  /** Namespaces written since the caller last took them (to ring their watchers after the commit; revisions). */
  readonly touched = new Set<string>();
  /** Namespaces documents left (moved out, deleted) since the caller last took them: they changed too (revisions). */
  readonly emptied = new Set<string>();
  private readonly selectOne: Database.Statement<[string, string], Row>;
  private readonly selectIfChanged: Database.Statement<[string, string, string], { version: string; value: string | null }>;
  private readonly selectKeys: Database.Statement<[string, string, number], { key: string }>;
  private readonly selectLastKey: Database.Statement<[string], { key: string }>;
  private readonly insert: Database.Statement<[string, string, string, string]>;
  private readonly upsert: Database.Statement<[string, string, string, string]>;
  private readonly swap: Database.Statement<[string, string, string, string, string]>;
  private readonly remove: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.selectOne = db.prepare('SELECT version, value FROM documents WHERE namespace = ? AND key = ?');
    // The value is copied out of the database only when the caller's copy is out of date.
    this.selectIfChanged = db.prepare('SELECT version, IIF(version = ?, NULL, value) AS value FROM documents WHERE namespace = ? AND key = ?');
    this.selectKeys = db.prepare('SELECT key FROM documents WHERE namespace = ? AND key > ? ORDER BY key LIMIT ?');
    this.selectLastKey = db.prepare('SELECT key FROM documents WHERE namespace = ? ORDER BY key DESC LIMIT 1');
    this.insert = db.prepare('INSERT INTO documents (namespace, key, version, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.upsert = db.prepare(
      'INSERT INTO documents (namespace, key, version, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET version = excluded.version, value = excluded.value',
    );
    this.swap = db.prepare('UPDATE documents SET version = ?, value = ? WHERE namespace = ? AND key = ? AND version = ?');
    this.remove = db.prepare('DELETE FROM documents WHERE namespace = ? AND key = ?');
  }

  get<T = unknown>(namespace: string, key: string): StoredDocument<T> | undefined {
    address(namespace, key);
    const row = this.selectOne.get(namespace, key);
    return row && { value: JSON.parse(row.value) as T, version: row.version };
  }

  getIfChanged<T = unknown>(namespace: string, key: string, knownVersion: string): StoredDocument<T> | undefined | 'unchanged' {
    address(namespace, key);
    const row = this.selectIfChanged.get(knownVersion, namespace, key);
    if (!row) return undefined;
    return row.value === null ? 'unchanged' : { value: JSON.parse(row.value) as T, version: row.version };
  }

  list(namespace: string, options: ListOptions = {}): string[] {
    assertNamespace(namespace);
    if (options.after !== undefined) assertKey(options.after);
    const limit = Math.max(1, Math.min(options.limit ?? 1000, MAX_LIST_LIMIT));
    return this.selectKeys.all(namespace, options.after ?? '', limit).map((row) => row.key);
  }

  lastKey(namespace: string): string | undefined {
    assertNamespace(namespace);
    return this.selectLastKey.get(namespace)?.key;
  }

  put(namespace: string, key: string, value: unknown, options: { ifAbsent?: boolean } = {}): string {
    address(namespace, key);
    const version = nextVersion();
    const statement = options.ifAbsent ? this.insert : this.upsert;
    if (statement.run(namespace, key, version, serialise(value)).changes === 0) {
      throw new ConflictError(`${namespace}/${key} already exists`, 'already_exists');
    }
    this.touched.add(namespace);
    return version;
  }

  replace(namespace: string, key: string, value: unknown, expectedVersion: string): string {
    address(namespace, key);
    const version = nextVersion();
    if (this.swap.run(version, serialise(value), namespace, key, expectedVersion).changes === 0) {
      if (!this.selectOne.get(namespace, key)) throw new NotFoundError(`${namespace}/${key} does not exist`);
      throw new ConflictError(`${namespace}/${key} was changed concurrently`);
    }
    this.touched.add(namespace);
    return version;
  }

  move(from: string, to: string, key: string, options: MoveOptions = {}): string {
    address(from, key);
    address(to, key);
    const current = this.selectOne.get(from, key);
    if (!current) throw new NotFoundError(`${from}/${key} does not exist`);
    if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
      throw new ConflictError(`${from}/${key} was changed concurrently`);
    }
    const version = nextVersion();
    const value = 'value' in options ? serialise(options.value) : current.value;
    if (this.insert.run(to, key, version, value).changes === 0) throw new ConflictError(`${to}/${key} already exists`, 'already_exists');
    this.remove.run(from, key);
    this.touched.add(to);
    this.emptied.add(from);
    return version;
  }

  delete(namespace: string, key: string, expectedVersion?: string): boolean {
    address(namespace, key);
    if (expectedVersion !== undefined) {
      const current = this.selectOne.get(namespace, key);
      if (!current) return false;
      if (current.version !== expectedVersion) throw new ConflictError(`${namespace}/${key} was changed concurrently`);
    }
    if (this.remove.run(namespace, key).changes === 0) return false;
    this.emptied.add(namespace);
    return true;
  }
}

/** JSON text of a value; `undefined` (which JSON cannot hold) is stored as null, as a JSON file would read back. */
function serialise(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}
