// Installing a backup as a data directory's store (`qspool storage restore`), checked first, with no process on it.
// The backup is copied into the data directory (mode 0600) and the copy checked: SQLite's integrity_check, then the
// layout (a qspool store this version reads). The copy gets a new store id, so that nothing read from the store it
// replaces can pass for a read of it (revisions.ts), and is put in WAL mode, as every store is. Only then is the
// existing store, if any, set aside under a dated name (with --force), and the copy linked into place. The copy a
// killed restore left behind is removed by the next restore (abandoned-copies.ts).
// A store is open while some process holds SQLite's lock on its database file: every connection in WAL mode holds a
// shared lock on it from open to close, and the kernel drops it when the process dies. A connection in exclusive
// locking mode that begins an exclusive transaction needs that lock exclusively, so it gets SQLITE_BUSY while any
// other process has the store open, however idle.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConflictError, InvalidBackupError, NotFoundError } from '../../schemas/errors.ts';
import { makeDirectorySync } from '../directories.ts';
import { flushToDisk } from '../private-files.ts';
import { COPY_TAG, removeAbandonedCopies } from './abandoned-copies.ts';
import { storeFiles } from './backup.ts';
import { renewStoreId } from './revisions.ts';
import { createTables, isBusy, layoutProblem, STORE_FILE } from './store-file.ts';
import { summarizeStore, type StoreSummary } from './store-summary.ts';

export interface RestoreOutcome extends StoreSummary {
  /** The installed store's path. */
  file: string;
  /** Where the store it replaced was set aside (its database, and any WAL or shared-memory file). */
  previous: string[];
}

const COPY_CHUNK_BYTES = 1024 * 1024;
const RESTORING = `${STORE_FILE}.restoring-`;
/** The copy a restore checks before installing it, and the journal or WAL files SQLite made beside it meanwhile. */
const isRestoringCopy = (name: string) => name.startsWith(RESTORING) && COPY_TAG.test(name.slice(RESTORING.length).replace(/-(journal|wal|shm)$/, ''));
const INTEGRITY_PROBLEMS_SHOWN = 5;

/** True while another process has the store at `path` open. */
export function storeInUse(path: string): boolean {
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (error) {
    if (isBusy(error)) return true;
    // No database (a damaged store): nothing can have it open as a store.
    if ((error as { code?: unknown }).code === 'SQLITE_NOTADB') return false;
    throw error;
  } finally {
    db.close();
  }
}

/** Copies `from` into a new file `to` of mode 0600 (a copy of the file's mode would follow the backup's). */
function copyPrivately(from: string, to: string): void {
  const source = openSync(from, 'r');
  try {
    const target = openSync(to, 'wx', 0o600);
    try {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
      for (let read = readSync(source, buffer); read > 0; read = readSync(source, buffer)) writeSync(target, buffer, 0, read);
    } finally {
      closeSync(target);
    }
  } finally {
    closeSync(source);
  }
}

/** Checks the copy of `backup` at `copy` and readies it to be the store; InvalidBackupError says what is wrong. */
function prepareCopy(backup: string, copy: string): StoreSummary {
  const db = new Database(copy, { fileMustExist: true });
  try {
    let problems: string[];
    try {
      problems = db.prepare<[], string>('PRAGMA integrity_check').pluck().all();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB') throw new InvalidBackupError(`${backup} is not a qspool backup: it is no SQLite database`);
      if (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')) throw new InvalidBackupError(`${backup} is damaged: SQLite cannot read it (${(error as Error).message})`);
      throw error;
    }
    if (problems.join() !== 'ok') {
      // The check's lines, without its headings (`*** in database main ***`).
      const found = problems.flatMap((problem) => problem.split('\n')).filter((line) => !line.startsWith('***'));
      throw new InvalidBackupError(`${backup} is damaged: SQLite's integrity check found ${found.slice(0, INTEGRITY_PROBLEMS_SHOWN).join('; ')}${found.length > INTEGRITY_PROBLEMS_SHOWN ? '; …' : ''}`);
    }
    const problem = layoutProblem(db);
    if (problem) throw new InvalidBackupError(`${backup} is not a qspool store this version reads: ${problem}`);
    createTables(db);
    renewStoreId(db);
    const summary = summarizeStore(db);
    db.pragma('journal_mode = WAL');
    return summary;
  } finally {
    // The last connection to close checkpoints the copy's WAL into it and removes the WAL.
    db.close();
  }
}

/** Refuses an open store, and an existing one unless `force`, which moves it aside; returns the paths it moved to. */
function setAside(root: string, force: boolean): string[] {
  const [store] = storeFiles(root);
  const present = storeFiles(root).filter((path) => existsSync(path));
  if (present.length === 0) return [];
  if (existsSync(store!) && storeInUse(store!)) {
    throw new ConflictError(`The store in ${root} is open in another process (a server, spooler or qspool command): stop every process on it first`, 'store_in_use');
  }
  // Checked again: the probe, the store's last connection, has just checkpointed its WAL into it and removed the WAL.
  const left = storeFiles(root).filter((path) => existsSync(path));
  if (!force) {
    throw new ConflictError(`${root} already holds a store (${left.map((path) => basename(path)).join(', ')}); --force sets it aside under a dated name`, 'store_exists');
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  const aside = `${store}.before-restore-${stamp}`;
  // The database first: a WAL left alone under the store's name would be taken for the new store's.
  return left.map((path) => {
    const moved = `${aside}${path.slice(store!.length)}`;
    renameSync(path, moved);
    return moved;
  });
}

/** Installs the backup at `backup` as the store in `root`; an existing store is set aside only with `force`. */
export function restoreStore(root: string, backup: string, { force = false } = {}): RestoreOutcome {
  const source = resolve(backup);
  if (!statSync(source, { throwIfNoEntry: false })?.isFile()) throw new NotFoundError(`${source} is not a file`, 'no_backup');
  makeDirectorySync(root, 0o700);
  removeAbandonedCopies(root, isRestoringCopy);
  const [store] = storeFiles(root);
  const copy = join(root, `${RESTORING}${randomBytes(6).toString('hex')}`);
  try {
    copyPrivately(source, copy);
    const summary = prepareCopy(source, copy);
    flushToDisk(copy);
    const previous = setAside(root, force);
    // A link fails rather than replace a store that a process starting meanwhile made.
    const raced = () => new ConflictError(`A process made a new store in ${root} during the restore: stop every process on it and run the restore again`, 'store_in_use');
    if (storeFiles(root).some((path) => existsSync(path))) throw raced();
    try {
      linkSync(copy, store!);
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === 'EEXIST' ? raced() : error;
    }
    rmSync(copy, { force: true });
    flushToDisk(root);
    return { file: store!, previous, ...summary };
  } finally {
    rmSync(copy, { force: true });
  }
}
