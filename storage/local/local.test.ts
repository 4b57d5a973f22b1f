import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
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

  it('removes emptied shard directories so old, drained windows cost nothing to list', async () => {
    const root = await freshRoot();
    const storage = new LocalProvider({ root, fsync: false });
    const jobs = new JobLifecycle(storage);
    const job = await jobs.enqueue({ backend: 'b', owner: 'u', payload: {} });
    const claim = (await jobs.claim('b', 's'))!;
    await jobs.complete(claim, {});
    expect(await readdir(join(root, 'jobs', 'queued', 'b'))).to.deep.equal([]);
    expect(claim.record.id).to.equal(job.id);
    expect(await storage.list(ns.queued('b'))).to.deep.equal([]);
  });
});
