// Online backup of the local store (`qspool storage backup`), while servers and spoolers keep writing.
// SQLite's `VACUUM INTO` copies the store as one read transaction sees it: every commit group wholly in or wholly out,
// compacted, in one self-contained file (no WAL beside it). In WAL mode a reader holds up no writer, so nobody waits
// for the copy. SQLite's online backup API was the alternative, but it starts over whenever another connection
// commits: a 22 MB store with one commit every 2 ms from another process took 1,184 restarts (3 s) where VACUUM INTO
// took 0.14 s, and a busier store may never be copied at all.
// The copy is made in a temporary file of mode 0600 (it holds password hashes and job data) beside the target, flushed,
// and only then put under the target's name, and the directory flushed: a crash leaves no half backup under that name.
// A half copy a killed backup left under a temporary name is removed by the next backup to that target
// (abandoned-copies.ts).
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, realpathSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import { flushToDisk } from '../private-files.ts';
import { COPY_TAG, removeAbandonedCopies } from './abandoned-copies.ts';
import { STORE_FILE } from './store-file.ts';
import { summarizeStore, type StoreSummary } from './store-summary.ts';

export interface BackupOutcome extends StoreSummary {
  /** The backup's absolute path. */
  file: string;
  bytes: number;
}

/** The store's database and the files SQLite keeps beside it, which no backup may overwrite. */
export const storeFiles = (root: string) => ['', '-wal', '-shm', '-journal'].map((suffix) => join(root, `${STORE_FILE}${suffix}`));

const sameFile = (a: Stats | undefined, b: Stats) => a !== undefined && a.ino === b.ino && a.dev === b.dev;

/** The target's absolute path, after refusing one that is the store itself or a file the target may not replace. */
function checkTarget(root: string, target: string, force: boolean): string {
  const file = resolve(target);
  if (!statSync(dirname(file), { throwIfNoEntry: false })?.isDirectory()) throw new NotFoundError(`${dirname(file)} is not a directory; make it first`, 'no_directory');
  const real = join(realpathSync(dirname(file)), basename(file));
  const existing = statSync(file, { throwIfNoEntry: false });
  const store = storeFiles(realpathSync(root));
  if (store.includes(real) || (existing && store.some((path) => sameFile(statSync(path, { throwIfNoEntry: false }), existing)))) {
    throw new ConflictError(`${file} is the store itself; write the backup elsewhere`, 'target_is_store');
  }
  if (existing?.isDirectory()) throw new ConflictError(`${file} is a directory; name the backup file`, 'target_exists');
  if (existing && !force) throw new ConflictError(`${file} exists; choose another name, or replace it with --force`, 'target_exists');
  return file;
}

const temporaryName = (file: string) => `${file}.${randomBytes(6).toString('hex')}.tmp`;
const isTemporaryOf = (file: string) => (name: string) => name.startsWith(`${basename(file)}.`) && name.endsWith('.tmp') && COPY_TAG.test(name.slice(basename(file).length + 1, -4));

/** Writes a consistent copy of the store in `root` to `target`; an existing target is replaced only with `force`. */
export function backupStore(root: string, target: string, { force = false } = {}): BackupOutcome {
  const source = join(root, STORE_FILE);
  if (!statSync(source, { throwIfNoEntry: false })?.isFile()) throw new NotFoundError(`No qspool store in ${root} (no ${STORE_FILE})`, 'no_store');
  const file = checkTarget(root, target, force);
  removeAbandonedCopies(dirname(file), isTemporaryOf(file));
  const temporary = temporaryName(file);
  // VACUUM INTO writes into an empty file as it finds it, so the copy has this mode from its first byte.
  closeSync(openSync(temporary, 'wx', 0o600));
  try {
    const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 5_000 });
    try {
      db.prepare('VACUUM INTO ?').run(temporary);
    } finally {
      db.close();
    }
    flushToDisk(temporary);
    const copy = new Database(temporary, { readonly: true, fileMustExist: true });
    let summary: StoreSummary;
    try {
      summary = summarizeStore(copy);
    } finally {
      copy.close();
    }
    if (force) {
      renameSync(temporary, file);
    } else {
      // A link, unlike a rename, fails rather than replace a file made meanwhile.
      try {
        linkSync(temporary, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConflictError(`${file} exists; choose another name, or replace it with --force`, 'target_exists');
        throw error;
      }
    }
    rmSync(temporary, { force: true });
    flushToDisk(dirname(file));
    return { file, bytes: statSync(file).size, ...summary };
  } finally {
    rmSync(temporary, { force: true });
  }
}
