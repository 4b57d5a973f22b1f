import Database from 'better-sqlite3';
import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerConformance, HOSTILE_KEYS } from '../conformance/index.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { newJobId } from '../keys.ts';
import { ns } from '../records.ts';
import { LocalProvider } from './index.ts';
import { LEGACY_DIR } from './legacy-import.ts';
import { STORE_FILE } from './store-file.ts';

/** A document file as the earlier provider wrote it: `{version, value}`, job ids under three shard directories. */
async function writeLegacy(root: string, namespace: string, key: string, value: unknown): Promise<void> {
  const shards = /^[0-9a-f]{24}/.test(key) ? [key.slice(0, 8), key.slice(8, 10), key.slice(10, 12)] : [];
  const dir = join(root, ...namespace.split('/'), ...shards);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${key}.json`), JSON.stringify({ version: `legacy-${key}`, value }));
}

const jobRecord = (id: string, state: string, seq: number) => ({
  id, backend: 'b', owner: 'u', state, payload: {}, createdAt: new Date().toISOString(), timestamps: {}, attempts: 0, seq, detail: [],
});

describe('local provider', function () {
  const roots: string[] = [];
  after(async () => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));
  const freshRoot = async () => {
    const root = await mkdtemp(join(tmpdir(), 'qspool-local-'));
    roots.push(root);
    return root;
  };

  providerConformance({ makeSpec: async () => ({ type: 'local', root: await freshRoot() }) });

  it('removes a purged job with its status in one transaction when its indexes live on another store', async () => {
    // A registered local provider: its jobs here, their id and owner indexes on the server's own store.
    const storage = new LocalProvider({ root: await freshRoot() });
    const primary = new LocalProvider({ root: await freshRoot() });
    const jobs = new JobLifecycle(storage, { index: { storage: primary, provider: 'lab' } });
    const { id } = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
    // The process dies as it comes to remove the status: whatever was removed before must not leave it behind.
    const { delete: remove } = storage;
    storage.delete = (namespace, key, version) => (namespace === ns.status('b') ? Promise.reject(new Error('killed')) : remove.call(storage, namespace, key, version));
    const outcome = await jobs.purge('b', id).then(() => 'purged', (error: Error) => error.message);
    // Never a queued status naming no job, which lists and quota counts would take for a queued job for good.
    expect([outcome, await jobs.find('b', id), await jobs.getStatus('b', id)]).to.deep.equal(['purged', undefined, undefined]);
    expect(await primary.get(ns.jobIndex, id)).to.equal(undefined);
    await Promise.all([storage.close(), primary.close()]);
  });

  it('creates nothing outside its root for hostile keys', async () => {
    const parent = await freshRoot();
    const root = join(parent, 'store');
    const storage = new LocalProvider({ root });
    await storage.put('docs', 'fine', 1);
    for (const key of HOSTILE_KEYS) await storage.put('docs', key, 1).catch(() => undefined);
    await storage.close();
    expect(await readdir(parent)).to.deep.equal(['store']);
  });

  it('keeps its directory 0700 and its files 0600: documents hold password hashes and keys', async () => {
    const root = join(await freshRoot(), 'store');
    const storage = new LocalProvider({ root });
    await storage.put('users', 'alice', { hash: 'secret' });
    storage.watch('users', () => undefined);
    expect((await stat(root)).mode & 0o777).to.equal(0o700);
    for (const name of await readdir(root)) {
      const mode = (await stat(join(root, name))).mode & 0o777;
      expect(mode & 0o077, `${name} is ${mode.toString(8)}`).to.equal(0);
    }
    expect(await readdir(root)).to.include.members([STORE_FILE, `${STORE_FILE}-wal`]);
    await storage.close();
  });

  it('commits concurrent writes in groups: 200 puts, far fewer fsyncs, every one durable when it resolves', async () => {
    const storage = new LocalProvider({ root: await freshRoot() });
    await storage.put('warm', 'up', 0);
    const before = storage.stats;
    await Promise.all(Array.from({ length: 200 }, (_, i) => storage.put('docs', `k${i}`, { i })));
    const after = storage.stats;
    expect(after.groups - before.groups).to.be.at.most(10);
    expect(after.fsyncs - before.fsyncs).to.be.at.least(1).and.at.most(10);
    expect(await storage.list('docs', { limit: 500 })).to.have.length(200);
    await storage.close();
  });

  it('flushes writes nobody waits for a few milliseconds later, one flush for all of them', async () => {
    const storage = new LocalProvider({ root: await freshRoot() });
    await storage.put('warm', 'up', 0);
    const before = storage.stats;
    // A spooler's transitions: one group each, a millisecond or so apart, each answered once committed.
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) {
      await storage.transaction((tx) => tx.put('docs', `k${i}`, i), { durable: false });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const elapsed = performance.now() - started;
    expect(storage.stats.groups - before.groups).to.equal(20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const flushed = storage.stats.fsyncs - before.fsyncs;
    // At most one flush per 10 ms (and one after), rather than one per group.
    expect(flushed).to.be.at.least(1).and.at.most(Math.ceil(elapsed / 10) + 1);
    await storage.close();
  });

  it('lets a background flush that finds the store gone fail quietly: the process goes on', async () => {
    const parent = await freshRoot();
    const root = join(parent, 'store');
    const storage = new LocalProvider({ root });
    await storage.put('warm', 'up', 0);
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      await storage.transaction((tx) => tx.put('docs', 'a', 1), { durable: false });
      // The mount goes bad before the flush that follows the commit.
      await rename(root, join(parent, 'gone'));
      await writeFile(root, 'not a directory');
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).to.deep.equal([]);
    await storage.close();
  });

  it('checkpoints its journal from a worker thread, long before the committing connection would', async function () {
    this.timeout(30_000);
    const root = await freshRoot();
    const storage = new LocalProvider({ root, fsync: false });
    const page = 'x'.repeat(10_000);
    // 20 MB of commits, half of the committing connection's own threshold (~40 MB), with pauses for the worker.
    for (let batch = 0; batch < 20; batch += 1) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => storage.put('docs', `b${batch}-${i}`, page)));
      if (batch % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Only a checkpoint moves pages from the WAL into the database file.
    expect((await stat(join(root, STORE_FILE))).size).to.be.above(10_000_000);
    expect((await stat(join(root, `${STORE_FILE}-wal`))).size).to.be.below(15_000_000);
    await storage.close();
  });

  it('runs a transaction atomically: a throw undoes all of its writes, and concurrent writes outside it still commit', async () => {
    const storage = new LocalProvider({ root: await freshRoot(), fsync: false });
    const v1 = await storage.put('docs', 'a', 1);
    const failing = storage.transaction((tx) => {
      tx.put('docs', 'b', 2);
      tx.replace('docs', 'a', 3, v1);
      tx.put('docs', 'a', 4, { ifAbsent: true });
    });
    const alongside = storage.put('docs', 'c', 5);
    await failing.then(
      () => expect.fail('expected a conflict'),
      (error: Error) => expect(error.name).to.equal('ConflictError'),
    );
    await alongside;
    expect(await storage.get('docs', 'a')).to.deep.equal({ value: 1, version: v1 });
    expect(await storage.get('docs', 'b')).to.equal(undefined);
    expect((await storage.get('docs', 'c'))?.value).to.equal(5);
    await storage.close();
  });

  it('undoes only the failing write of a group: writes queued before and after it commit once each', async () => {
    const storage = new LocalProvider({ root: await freshRoot(), fsync: false });
    const increment = () => storage.transaction((tx) => tx.put('docs', 'count', (tx.get<number>('docs', 'count')?.value ?? 0) + 1));
    const first = increment();
    const failing = storage.transaction((tx) => {
      tx.put('docs', 'partial', 1);
      tx.put('docs', 'count', 100);
      tx.put('docs', 'taken', 1);
      tx.put('docs', 'taken', 2, { ifAbsent: true });
    });
    const last = increment();
    await Promise.all([first, last]);
    await failing.then(
      () => expect.fail('expected a conflict'),
      (error: Error) => expect(error.name).to.equal('ConflictError'),
    );
    expect((await storage.get('docs', 'count'))?.value).to.equal(2);
    expect(await storage.get('docs', 'partial')).to.equal(undefined);
    expect(await storage.get('docs', 'taken')).to.equal(undefined);
    expect(storage.stats.groups, 'one group').to.equal(1);
    await storage.close();
  });

  it("sees another process's write in its revision at once, and a store swapped in at its path as new", async () => {
    const root = join(await freshRoot(), 'store');
    const [reader, writer] = [new LocalProvider({ root }), new LocalProvider({ root })];
    await writer.put('tokens', 'a', 1);
    const before = await reader.revision(['tokens']);
    await writer.put('tokens', 'a', 2);
    await writer.put('jobs/queued/b', 'a', 1);
    expect(await reader.revision(['tokens'])).to.not.equal(before);
    // An area first asked about after the writer learnt which areas are counted is counted from then on too.
    const users = await reader.revision(['users']);
    await writer.put('users', 'a', 1);
    expect(await reader.revision(['users'])).to.not.equal(users);
    await Promise.all([reader.close(), writer.close()]);
    // Only areas someone asked about are counted: commits elsewhere leave the table (and its page) alone.
    const db = new Database(join(root, STORE_FILE), { readonly: true });
    const counters = db.prepare("SELECT area, counter FROM revisions WHERE area <> '' ORDER BY area").all();
    expect(counters).to.deep.equal([{ area: 'tokens', counter: 1 }, { area: 'users', counter: 1 }]);
    db.close();

    // The same writes into a fresh store: equal counters, but not the same store.
    const [other, swapped] = [join(await freshRoot(), 'store'), new LocalProvider({ root })];
    const fresh = new LocalProvider({ root: other });
    await fresh.put('tokens', 'a', 1);
    await fresh.put('tokens', 'a', 2);
    await fresh.close();
    const old = await swapped.revision(['tokens']);
    await rename(root, `${root}.old`);
    await rename(other, root);
    expect(await swapped.revision(['tokens'])).to.not.equal(old);
    await swapped.close();
  });

  it('reads the counters once per tick, and afresh after another process commits and a tick has passed', async () => {
    const root = join(await freshRoot(), 'store');
    const reader = new LocalProvider({ root });
    await reader.put('tokens', 'a', 1);
    await reader.revision(['tokens']);
    const other = new Database(join(root, STORE_FILE));
    const bump = other.prepare("UPDATE revisions SET counter = counter + 1 WHERE area = 'tokens'");
    // Both questions are asked, and the other connection commits between them, before the next tick.
    const first = reader.revision(['tokens']);
    bump.run();
    const second = reader.revision(['tokens']);
    expect(await second).to.equal(await first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await reader.revision(['tokens'])).to.not.equal(await first);
    // A commit of this process is seen by the next question.
    const before = await reader.revision(['tokens']);
    await reader.put('tokens', 'a', 2);
    expect(await reader.revision(['tokens'])).to.not.equal(before);
    other.close();
    await reader.close();
  });

  it('reads documents from one snapshot per tick, afresh at the next tick, and sees its own commits at once', async () => {
    const root = join(await freshRoot(), 'store');
    const reader = new LocalProvider({ root, fsync: false });
    await reader.put('jobs', 'a', 1);
    const other = new Database(join(root, STORE_FILE));
    const change = other.prepare("UPDATE documents SET value = '2' WHERE namespace = 'jobs' AND key = 'a'");
    // Another process commits between two reads of one tick: both see the state before it.
    const first = reader.get('jobs', 'a');
    change.run();
    const second = reader.get('jobs', 'a');
    expect((await first)?.value).to.equal(1);
    expect((await second)?.value).to.equal(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await reader.get('jobs', 'a'))?.value).to.equal(2);
    // A write asked for in the tick of a read commits (the write lock is not taken inside the read's transaction),
    // and the next read sees it, as does another connection.
    const read = reader.get('jobs', 'a');
    const written = reader.put('jobs', 'a', 3);
    expect((await read)?.value).to.equal(2);
    await written;
    expect((await reader.get('jobs', 'a'))?.value).to.equal(3);
    expect(other.prepare("SELECT value FROM documents WHERE namespace = 'jobs' AND key = 'a'").pluck().get()).to.equal('3');
    other.close();
    await reader.close();
  });

  it('sets aside a queued row that is no JSON at all, and claims the job behind it', async () => {
    const root = join(await freshRoot(), 'store');
    const store = new LocalProvider({ root, fsync: false });
    const jobs = new JobLifecycle(store);
    const { id } = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
    await store.close();
    const db = new Database(join(root, STORE_FILE));
    db.prepare('INSERT INTO documents (namespace, key, version, value) VALUES (?, ?, ?, ?)').run(ns.queued('b'), '000000000001000000000000', 'v', '{"torn');
    db.close();
    const reopened = new LocalProvider({ root, fsync: false });
    expect((await new JobLifecycle(reopened).claim('b', 's'))?.record.id).to.equal(id);
    expect(await reopened.list(ns.damaged('b'))).to.deep.equal(['000000000001000000000000']);
    await reopened.close();
  });

  it('imports a data directory of the earlier file-per-document layout once, keeping the later copy of a half-moved job', async () => {
    const root = await freshRoot();
    const queued = newJobId(Date.now() - 2000);
    const halfMoved = newJobId(Date.now() - 1000);
    await writeLegacy(root, 'users', 'alice', { name: 'alice' });
    await writeLegacy(root, ns.queued('b'), queued, jobRecord(queued, 'QUEUED', 1));
    await writeLegacy(root, ns.running('b'), halfMoved, jobRecord(halfMoved, 'RUNNING', 2));
    await writeLegacy(root, ns.finished('b'), halfMoved, jobRecord(halfMoved, 'DONE', 3));
    await mkdir(join(root, '.locks'));
    await writeFile(join(root, '.locks', `${halfMoved}.lock`), '1\nmove');

    const storage = new LocalProvider({ root });
    expect(await storage.get('users', 'alice')).to.deep.equal({ value: { name: 'alice' }, version: 'legacy-alice' });
    expect(await storage.list(ns.queued('b'))).to.deep.equal([queued]);
    expect(await storage.get(ns.running('b'), halfMoved)).to.equal(undefined);
    expect((await storage.get<{ state: string }>(ns.finished('b'), halfMoved))?.value.state).to.equal('DONE');
    expect((await readdir(root)).sort()).to.deep.equal([LEGACY_DIR, STORE_FILE, `${STORE_FILE}-shm`, `${STORE_FILE}-wal`]);
    const claim = await new JobLifecycle(storage).claim('b', 's');
    expect(claim?.record.id).to.equal(queued);
    await storage.close();

    // A leftover old directory (a crash between the import and moving the tree aside) is moved, not imported again.
    await writeLegacy(root, ns.queued('b'), queued, jobRecord(queued, 'QUEUED', 1));
    const reopened = new LocalProvider({ root });
    expect(await reopened.list(ns.queued('b'))).to.deep.equal([]);
    expect(await readdir(join(root, LEGACY_DIR))).to.have.length(3);
    await reopened.close();
  });
});
