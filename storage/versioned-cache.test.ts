import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProvider } from './local/index.ts';
import { VersionedCache } from './versioned-cache.ts';

describe('VersionedCache', () => {
  let dir: string;
  let storage: LocalProvider;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-cache-'));
    storage = new LocalProvider({ root: dir, fsync: false });
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands out one parsed copy per version, sees every change at once and forgets deleted documents', async () => {
    const cache = new VersionedCache();
    await storage.put('configs', 'a', { schema: { n: 1 } });
    const first = await cache.get<{ schema: { n: number } }>(storage, 'configs', 'a');
    expect(await cache.get(storage, 'configs', 'a')).to.equal(first);
    await storage.put('configs', 'a', { schema: { n: 2 } });
    const second = await cache.get<{ schema: { n: number } }>(storage, 'configs', 'a');
    expect(second).to.not.equal(first);
    expect(second!.schema.n).to.equal(2);
    await storage.delete('configs', 'a');
    expect(await cache.get(storage, 'configs', 'a')).to.equal(undefined);
  });

  it('freezes what it shares, so no caller can change another caller\'s copy', async () => {
    const cache = new VersionedCache();
    await storage.put('configs', 'b', { schema: { n: 1 } });
    const shared = await cache.get<{ schema: { n: number } }>(storage, 'configs', 'b');
    expect(() => {
      shared!.schema.n = 5;
    }).to.throw(TypeError);
  });

  it('keeps the copies of two stores apart, and at most maxEntries per store', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'qspool-cache-'));
    const other = new LocalProvider({ root: otherDir, fsync: false });
    try {
      const cache = new VersionedCache(2);
      await storage.put('configs', 'x', 1);
      await other.put('configs', 'x', 2);
      expect(await cache.get(storage, 'configs', 'x')).to.equal(1);
      expect(await cache.get(other, 'configs', 'x')).to.equal(2);
      for (const key of ['y', 'z']) await storage.put('configs', key, key);
      for (const key of ['x', 'y', 'z']) expect(await cache.get(storage, 'configs', key)).to.equal(key === 'x' ? 1 : key);
    } finally {
      await other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
