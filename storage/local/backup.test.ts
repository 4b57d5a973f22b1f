// The local store's backup and restore as files: modes, targets that must not be overwritten, stores that must not be
// replaced, and backups that must not be installed; every refusal leaves the data directory as it was.
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, InvalidBackupError, QspoolError } from '../../schemas/errors.ts';
import { ABANDONED_COPY_MS } from './abandoned-copies.ts';
import { backupStore } from './backup.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { LocalProvider } from './index.ts';
import { restoreStore, storeInUse } from './restore.ts';
import { STORE_FILE } from './store-file.ts';

const DRIVER = new URL('../../node_modules/better-sqlite3/lib/index.js', import.meta.url).pathname;

function refusal(action: () => unknown): QspoolError {
  try {
    action();
  } catch (error) {
    if (error instanceof QspoolError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('local store backup and restore (files)', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-backup-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** A store in `root` holding one document, closed again. */
  async function storeWith(root: string, value: unknown): Promise<void> {
    const storage = new LocalProvider({ root, fsync: false });
    await storage.put('notes', 'one', value);
    await storage.close();
  }
  async function readNote(root: string): Promise<unknown> {
    const storage = new LocalProvider({ root, fsync: false });
    try {
      return (await storage.get('notes', 'one'))?.value;
    } finally {
      await storage.close();
    }
  }
  const storeId = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare<[], string>("SELECT value FROM meta WHERE name = 'store-id'").pluck().get();
    } finally {
      db.close();
    }
  };
  const listing = async (path: string) => (await readdir(path)).sort();

  it('writes the backup with mode 0600 under a permissive umask, and nothing else beside it', async () => {
    await storeWith(join(dir, 'data'), { n: 1 });
    const umask = process.umask(0);
    try {
      backupStore(join(dir, 'data'), join(dir, 'backup.db'));
    } finally {
      process.umask(umask);
    }
    expect((await stat(join(dir, 'backup.db'))).mode & 0o777).to.equal(0o600);
    expect(await listing(dir)).to.deep.equal(['backup.db', 'data']);
  });

  it('removes the half copies killed backups left beside the target once unwritten for an hour, and nothing else', async () => {
    await storeWith(join(dir, 'data'), { n: 1 });
    const out = join(dir, 'out');
    await mkdir(out);
    const longAgo = new Date(Date.now() - ABANDONED_COPY_MS - 60_000);
    const names = { abandoned: 'nightly.db.0123456789ab.tmp', underWay: 'nightly.db.ba9876543210.tmp', otherTarget: 'weekly.db.0123456789ab.tmp', notOurs: 'nightly.db.notes.tmp' };
    for (const name of Object.values(names)) await writeFile(join(out, name), 'half a copy');
    for (const name of [names.abandoned, names.otherTarget, names.notOurs]) await utimes(join(out, name), longAgo, longAgo);
    backupStore(join(dir, 'data'), join(out, 'nightly.db'));
    expect(await listing(out)).to.deep.equal(['nightly.db', names.underWay, names.notOurs, names.otherTarget].sort());
  });

  it('removes the copy a killed restore left in the data directory once unwritten for an hour, with its journal', async () => {
    await storeWith(join(dir, 'data'), { n: 1 });
    backupStore(join(dir, 'data'), join(dir, 'backup.db'));
    const target = join(dir, 'target');
    await mkdir(target);
    const longAgo = new Date(Date.now() - ABANDONED_COPY_MS - 60_000);
    const left = [`${STORE_FILE}.restoring-0123456789ab`, `${STORE_FILE}.restoring-0123456789ab-journal`];
    const kept = [`${STORE_FILE}.restoring-ba9876543210`, `${STORE_FILE}.restoring-notes`];
    for (const name of [...left, ...kept]) await writeFile(join(target, name), 'half a copy');
    for (const name of [...left, kept[1]!]) await utimes(join(target, name), longAgo, longAgo);
    restoreStore(target, join(dir, 'backup.db'));
    expect(await listing(target)).to.deep.equal([STORE_FILE, ...kept].sort());
  });

  it('refuses an existing target unless forced, a missing directory, and never writes over the store or its WAL', async () => {
    const root = join(dir, 'data');
    await storeWith(root, { n: 1 });
    await writeFile(join(dir, 'backup.db'), 'keep me');
    const exists = refusal(() => backupStore(root, join(dir, 'backup.db')));
    expect(exists).to.be.instanceOf(ConflictError).and.include({ code: 'target_exists' });
    expect(await readFile(join(dir, 'backup.db'), 'utf8')).to.equal('keep me');
    backupStore(root, join(dir, 'backup.db'), { force: true });
    expect(await readFile(join(dir, 'backup.db'))).to.not.deep.equal(Buffer.from('keep me'));
    expect(refusal(() => backupStore(root, join(dir, 'missing', 'backup.db')))).to.include({ code: 'no_directory', message: `${join(dir, 'missing')} is not a directory; make it first` });
    for (const name of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-journal`]) {
      expect(refusal(() => backupStore(root, join(root, '..', 'data', name), { force: true }))).to.include({ code: 'target_is_store' });
    }
    expect(await readNote(root)).to.deep.equal({ n: 1 });
  });

  it('restores into a fresh data directory: the documents, a new store id, mode 0600, no leftovers', async () => {
    await storeWith(join(dir, 'old'), { n: 1 });
    backupStore(join(dir, 'old'), join(dir, 'backup.db'));
    const outcome = restoreStore(join(dir, 'new'), join(dir, 'backup.db'));
    expect(outcome).to.include({ file: join(dir, 'new', STORE_FILE) }).and.deep.include({ previous: [] });
    expect(await listing(join(dir, 'new'))).to.deep.equal([STORE_FILE]);
    expect((await stat(join(dir, 'new'))).mode & 0o777).to.equal(0o700);
    expect((await stat(outcome.file)).mode & 0o777).to.equal(0o600);
    expect(storeId(outcome.file)).to.match(/^[0-9a-f]{16}$/).and.not.equal(storeId(join(dir, 'old', STORE_FILE)));
    expect(await readNote(join(dir, 'new'))).to.deep.equal({ n: 1 });
  });

  it('refuses to replace an existing store unless forced, which sets it aside under a dated name', async () => {
    const root = join(dir, 'data');
    await storeWith(join(dir, 'old'), { n: 'backup' });
    backupStore(join(dir, 'old'), join(dir, 'backup.db'));
    await storeWith(root, { n: 'current' });
    const before = await listing(root);
    expect(refusal(() => restoreStore(root, join(dir, 'backup.db')))).to.be.instanceOf(ConflictError).and.include({ code: 'store_exists' });
    expect(await listing(root)).to.deep.equal(before);
    expect(await readNote(root)).to.deep.equal({ n: 'current' });

    const outcome = restoreStore(root, join(dir, 'backup.db'), { force: true });
    expect(outcome.previous[0]).to.match(new RegExp(`/${STORE_FILE}\\.before-restore-\\d{8}T\\d{6}\\.\\d{3}Z$`));
    expect(await readNote(root)).to.deep.equal({ n: 'backup' });
    const aside = new Database(outcome.previous[0]!, { readonly: true });
    try {
      expect(aside.prepare("SELECT value FROM documents WHERE namespace = 'notes'").pluck().get()).to.equal('{"n":"current"}');
    } finally {
      aside.close();
    }
  });

  it('tells a store another process holds open, however idle, from one no process has open', async () => {
    const root = join(dir, 'data');
    await storeWith(root, { n: 1 });
    const path = join(root, STORE_FILE);
    const holder = spawn(process.execPath, ['-e', `const db = new (require(${JSON.stringify(DRIVER)}))(${JSON.stringify(path)}); db.prepare('SELECT 1 FROM documents').get(); console.log('open'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      expect(storeInUse(path)).to.equal(true);
      backupStore(root, join(dir, 'backup.db'));
      const before = await listing(root);
      expect(refusal(() => restoreStore(root, join(dir, 'backup.db'), { force: true }))).to.include({ code: 'store_in_use' });
      expect(await listing(root)).to.deep.equal(before);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    expect(storeInUse(path)).to.equal(false);
  });

  it('refuses a file that is not SQLite, a damaged backup, a database of another layout and one with triggers or views, changing nothing', async () => {
    const root = join(dir, 'data');
    await storeWith(root, { n: 'current' });
    await storeWith(join(dir, 'old'), { n: 'x'.repeat(100_000) });
    backupStore(join(dir, 'old'), join(dir, 'damaged.db'));
    await truncate(join(dir, 'damaged.db'), 3 * 4096);
    // The documents tree's root page scribbled over: the file opens, but its tree is no tree.
    backupStore(join(dir, 'old'), join(dir, 'scribbled.db'));
    const copy = new Database(join(dir, 'scribbled.db'), { readonly: true });
    const [rootPage, pageSize] = [copy.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'documents'").pluck().get() as number, copy.pragma('page_size', { simple: true }) as number];
    copy.close();
    const scribbled = await open(join(dir, 'scribbled.db'), 'r+');
    await scribbled.write(Buffer.alloc(64, 0x5a), 0, 64, (rootPage - 1) * pageSize);
    await scribbled.close();
    // An index dropped from the schema but not from the file: it opens and reads, and its pages belong to nothing.
    backupStore(join(dir, 'old'), join(dir, 'orphaned.db'));
    const orphaned = new Database(join(dir, 'orphaned.db'));
    orphaned.exec('CREATE INDEX extra ON documents (value)');
    orphaned.unsafeMode(true);
    orphaned.pragma('writable_schema = ON');
    orphaned.exec("DELETE FROM sqlite_schema WHERE name = 'extra'");
    orphaned.close();
    await writeFile(join(dir, 'text.db'), 'not a database at all, but long enough to look like a header '.repeat(100));
    const other = new Database(join(dir, 'other.db'));
    other.exec('CREATE TABLE documents (id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE something (x)');
    other.close();
    // SQL of its own that would run inside the server's commits (here: wiping every later write, and the store id's).
    backupStore(join(dir, 'old'), join(dir, 'triggered.db'));
    const triggered = new Database(join(dir, 'triggered.db'));
    triggered.exec('CREATE TRIGGER wipe AFTER INSERT ON meta BEGIN DELETE FROM documents; END');
    triggered.close();
    backupStore(join(dir, 'old'), join(dir, 'viewed.db'));
    const viewed = new Database(join(dir, 'viewed.db'));
    viewed.exec('CREATE VIEW everything AS SELECT * FROM documents');
    viewed.close();
    const empty = new Database(join(dir, 'empty.db'));
    empty.exec('CREATE TABLE something (x)');
    empty.close();
    const before = await listing(root);
    const messages: Record<string, RegExp> = {
      'text.db': /text\.db is not a qspool backup: it is no SQLite database$/,
      'damaged.db': /damaged\.db is damaged: SQLite cannot read it \(database disk image is malformed\)$/,
      'scribbled.db': /scribbled\.db is damaged: /,
      'orphaned.db': /orphaned\.db is damaged: SQLite's integrity check found Page \d+: never used(; Page \d+: never used){0,4}(; …)?$/,
      'other.db': /other\.db is not a qspool store this version reads: its documents table has the columns \(id, body\), not \(namespace, key, version, value\)/,
      'empty.db': /empty\.db is not a qspool store this version reads: it has no documents table/,
      'triggered.db': /triggered\.db is not a qspool store this version reads: it holds a trigger \(wipe\), and no qspool store has one$/,
      'viewed.db': /viewed\.db is not a qspool store this version reads: it holds a view \(everything\), and no qspool store has one$/,
    };
    for (const [name, message] of Object.entries(messages)) {
      const error = refusal(() => restoreStore(root, join(dir, name), { force: true }));
      expect(error, name).to.be.instanceOf(InvalidBackupError);
      expect(error.message).to.match(message);
      expect(await listing(root), name).to.deep.equal(before);
    }
    expect(await readNote(root)).to.deep.equal({ n: 'current' });
  });

  it('brings a job RUNNING in the backup back to the queue once its lease runs out, with one more attempt', async () => {
    let now = Date.now();
    const options = { leaseMs: 1_000, now: () => now };
    const storage = new LocalProvider({ root: join(dir, 'old'), fsync: false });
    const jobs = new JobLifecycle(storage, options);
    const { id } = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
    const claimed = await jobs.claim('b', 'spooler-1');
    backupStore(join(dir, 'old'), join(dir, 'backup.db'));
    await storage.close();
    restoreStore(join(dir, 'new'), join(dir, 'backup.db'));

    const restored = new LocalProvider({ root: join(dir, 'new'), fsync: false });
    try {
      const later = new JobLifecycle(restored, options);
      expect((await later.find('b', id))?.value.state).to.equal('RUNNING');
      expect(await later.requeueExpired('b')).to.deep.equal([]);
      now += 1_001;
      expect(await later.requeueExpired('b')).to.deep.equal([id]);
      const again = await later.claim('b', 'spooler-2');
      expect({ id: again?.record.id, attempts: again?.record.attempts }).to.deep.equal({ id, attempts: claimed!.record.attempts + 1 });
    } finally {
      await restored.close();
    }
  });

  it('restores a store of an older layout (no meta or revisions table) and opens it', async () => {
    const older = new Database(join(dir, 'older.db'));
    older.exec("CREATE TABLE documents (namespace TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID; INSERT INTO documents VALUES ('notes', 'one', 'v1', '{\"n\":\"older\"}')");
    older.close();
    restoreStore(join(dir, 'data'), join(dir, 'older.db'));
    expect(await readNote(join(dir, 'data'))).to.deep.equal({ n: 'older' });
  });
});
