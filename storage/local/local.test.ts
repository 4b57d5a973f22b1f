import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerConformance, HOSTILE_KEYS } from '../conformance/index.ts';
import { JobLifecycle } from '../lifecycle.ts';
import { ns } from '../records.ts';
import { LocalProvider } from './index.ts';

describe('local provider', function () {
  const roots: string[] = [];
  after(async () => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));
  const freshRoot = async () => {
    const root = await mkdtemp(join(tmpdir(), 'qspool-local-'));
    roots.push(root);
    return root;
  };

  providerConformance({ makeSpec: async () => ({ type: 'local', root: await freshRoot() }) });

  it('creates nothing outside its root for hostile keys', async () => {
    const parent = await freshRoot();
    const root = join(parent, 'store');
    const storage = new LocalProvider({ root });
    await storage.put('docs', 'fine', 1);
    for (const key of HOSTILE_KEYS) await storage.put('docs', key, 1).catch(() => undefined);
    expect(await readdir(parent)).to.deep.equal(['store']);
  });

  it('finishes a move whose process died after writing the destination, from the namespaces in its lock', async () => {
    const root = await freshRoot();
    const storage = new LocalProvider({ root, fsync: false });
    const key = '0123456789abcdef01234567';
    await storage.put('jobs/running/b', key, { v: 'running' });
    await storage.put('jobs/finished/b', key, { v: 'finished' });
    // What a holder killed between writing the destination and removing the source leaves: both copies and its lock.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await symlink(`${dead}\nmove\njobs/running/b\njobs/finished/b`, join(root, '.locks', `${key}.lock`));
    expect(`${dead}\nmove\njobs/running/b\njobs/finished/b`.length).to.be.below(60);
    await storage.put('jobs/finished/b', key, { v: 'after' });
    expect(await storage.get('jobs/running/b', key)).to.equal(undefined);
    expect((await storage.get('jobs/finished/b', key))?.value).to.deep.equal({ v: 'after' });
  });

  it('removes emptied shard directories when a listing meets them, so drained windows cost one read, once', async () => {
    const root = await freshRoot();
    const storage = new LocalProvider({ root, fsync: false });
    const jobs = new JobLifecycle(storage);
    const job = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
    const claim = (await jobs.claim('b', 's'))!;
    await jobs.complete(claim, {});
    expect(claim.record.id).to.equal(job.id);
    // Three shard levels: each listing removes the level it finds empty (the parents empty out one listing later).
    for (let listing = 0; listing < 3; listing += 1) expect(await storage.list(ns.queued('b'))).to.deep.equal([]);
    expect(await readdir(join(root, 'jobs', 'queued', 'b'))).to.deep.equal([]);
  });
});
