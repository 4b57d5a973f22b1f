// The local store's one database file: opened, configured and health-checked here.
// SQLite in WAL mode is the store's journal: a commit appends its pages to `qspool.db-wal` and is visible to every
// process at once; durability comes from an fsync of that file (durability.ts), shared by every commit made before
// it, instead of one fsync per document. `synchronous = NORMAL` leaves those fsyncs to us and keeps SQLite's own for
// checkpoints (WAL synced before its pages are copied into the database, the database synced before the WAL is
// reused), so the database is never ahead of a durable WAL.
// Every access first checks that the path still leads to the file that is open: a store whose directory went away
// or was swapped (a lost mount) must fail loudly, not keep writing to an unlinked inode.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StorageUnavailableError } from '../../schemas/errors.ts';
import { Checkpointer, FALLBACK_CHECKPOINT_PAGES } from './checkpointer.ts';
import { storeId } from './revisions.ts';
import { makeDirectorySync } from '../directories.ts';

export const STORE_FILE = 'qspool.db';
const PAGE_CACHE_KIB = 32 * 1024;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS documents (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS revisions (area TEXT PRIMARY KEY, counter INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Creates the tables a store of this version has and an older one may lack. */
export function createTables(db: Database.Database): void {
  db.exec(SCHEMA);
}

/**
 * The columns of each table in SCHEMA. `documents` is the store; `meta` and `revisions` are created on open when
 * missing (a store from before revision counters has no `revisions`), so a store without them is one this version
 * reads too.
 */
const LAYOUT: Record<string, { columns: string[]; required: boolean }> = {
  documents: { columns: ['namespace', 'key', 'version', 'value'], required: true },
  meta: { columns: ['name', 'value'], required: false },
  revisions: { columns: ['area', 'counter'], required: false },
};

/**
 * What keeps a database from being a qspool store this version reads, or undefined when nothing does. A store has no
 * triggers or views: in a file brought in from elsewhere (a restore) they would be SQL of someone else's, run inside
 * every commit that touches their tables.
 */
export function layoutProblem(db: Database.Database): string | undefined {
  const foreign = db.prepare<[], { type: string; name: string }>("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') ORDER BY name LIMIT 1").get();
  if (foreign) return `it holds a ${foreign.type} (${foreign.name}), and no qspool store has one`;
  for (const [table, { columns, required }] of Object.entries(LAYOUT)) {
    const found = db.prepare<[string], string>('SELECT name FROM pragma_table_info(?) ORDER BY cid').pluck().all(table);
    if (found.length === 0 && !required) continue;
    if (found.length === 0) return `it has no ${table} table`;
    if (found.join(',') !== columns.join(',')) return `its ${table} table has the columns (${found.join(', ')}), not (${columns.join(', ')})`;
  }
  return undefined;
}

const UNUSABLE_ERRNO = new Set([
  'EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EMFILE', 'ENFILE', 'ENOTDIR', 'ELOOP', 'ESTALE', 'EBUSY',
  'ENXIO', 'ENODEV', 'ENOTCONN', 'ETIMEDOUT', 'ENOENT',
]);
// SQLite's primary result codes (extended codes such as SQLITE_IOERR_FSYNC start with these) that mean the store
// cannot be used right now, as opposed to a bug or a constraint.
const UNUSABLE_SQLITE = ['SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_PERM', 'SQLITE_LOCKED'];

/** The error callers should see: StorageUnavailableError for a store that cannot be used, anything else unchanged. */
export function mapUnusable(error: unknown): unknown {
  if (error instanceof StorageUnavailableError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error;
  const unusable = UNUSABLE_ERRNO.has(code) || UNUSABLE_SQLITE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
  if (!unusable) return error;
  return new StorageUnavailableError(`Local storage is unusable (${code}): ${(error as Error).message}`);
}

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

export interface OpenStore {
  db: Database.Database;
  /** A descriptor of the WAL file, for the group fsync. */
  walFd: number;
  /** The database file's inode, to notice the path being swapped. */
  ino: number;
  /** The store's random id (revisions.ts). */
  id: string;
  checkpointer: Checkpointer;
}

/** Creates the directory (0700) and the database file (0600) if missing; SQLite gives its WAL the file's mode. */
function prepareFiles(root: string): string {
  makeDirectorySync(root, 0o700);
  const path = join(root, STORE_FILE);
  closeSync(openSync(path, 'a', 0o600));
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return path;
}

export function openStore(root: string): OpenStore {
  const path = prepareFiles(root);
  // Setting up may wait briefly for processes opening the same new store; after that, no busy wait inside SQLite
  // (it would sleep on the event loop): writers retry asynchronously (group-commit.ts).
  const db = new Database(path, { timeout: 5_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    createTables(db);
    const id = storeId(db);
    db.pragma('busy_timeout = 0');
    db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    // SQLite's default page cache (2 MiB) holds little of a busy store: reads then went to the OS for pages, 6 µs a
    // lookup against 4 µs with this one (a connection's cache grows only as far as the store does).
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    // A commit group's savepoint journals the pages it changes (group-commit.ts); in a temporary file that cost a
    // write system call per page, in memory it costs a copy (a few hundred KiB per group at most).
    db.pragma('temp_store = MEMORY');
    const walFd = openSync(`${path}-wal`, 'r');
    return { db, walFd, ino: statSync(path).ino, id, checkpointer: new Checkpointer(path) };
  } catch (error) {
    db.close();
    throw error;
  }
}

export function closeStore(store: OpenStore): void {
  store.checkpointer.stop();
  store.db.close();
  closeSync(store.walFd);
}

/** True while the path still names the open file; throws StorageUnavailableError when it leads nowhere usable. */
export function stillAtPath(root: string, store: OpenStore): boolean {
  let ino: number;
  try {
    ino = statSync(join(root, STORE_FILE)).ino;
  } catch (error) {
    throw mapUnusable(error);
  }
  return ino === store.ino;
}
