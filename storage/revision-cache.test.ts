import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageProvider } from './contract.ts';
import { StorageUnavailableError } from '../schemas/errors.ts';
import { LocalProvider } from './local/index.ts';
import { RevisionCache } from './revision-cache.ts';

describe('revision cache', () => {
  let root: string;
  let storage: LocalProvider;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qspool-revcache-'));
    storage = new LocalProvider({ root, fsync: false });
  });
  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  /** A cache over `users` whose computations are counted, per key. */
  const counted = (over: StorageProvider, maxEntries?: number) => {
    const computed = new Map<string, number>();
    const cache = new RevisionCache<{ n: number }>(over, ['users'], maxEntries);
    const get = (key: string, found = true) =>
      cache.get(key, async () => {
        computed.set(key, (computed.get(key) ?? 0) + 1);
        return found ? { n: computed.get(key)! } : undefined;
      });
    return { get, computed };
  };

  it('computes a value once per revision of its areas, and keeps none that was not found', async () => {
    const { get, computed } = counted(storage);
    expect(await get('a')).to.deep.equal({ n: 1 });
    expect(await get('a')).to.deep.equal({ n: 1 });
    expect(Object.isFrozen(await get('a'))).to.equal(true);
    await storage.put('elsewhere', 'x', 1);
    expect(await get('a')).to.deep.equal({ n: 1 });
    await storage.put('users', 'x', 1);
    expect(await get('a')).to.deep.equal({ n: 2 });
    await get('missing', false);
    await get('missing', false);
    expect(computed.get('missing')).to.equal(2);
  });

  it('holds at most its bound of entries, dropping the least recently computed', async () => {
    const { get, computed } = counted(storage, 2);
    for (const key of ['a', 'b', 'c', 'a']) await get(key);
    expect([computed.get('a'), computed.get('b'), computed.get('c')]).to.deep.equal([2, 1, 1]);
    await get('c');
    expect(computed.get('c')).to.equal(1);
    await get('b');
    expect(computed.get('b')).to.equal(2);
  });

  it('computes every time on a provider without revisions, or one that cannot count right now', async () => {
    const plain: StorageProvider = Object.assign(Object.create(storage) as StorageProvider, { revision: undefined });
    const full: StorageProvider = Object.assign(Object.create(storage) as StorageProvider, {
      revision: () => Promise.reject(new StorageUnavailableError('disk full')),
    });
    for (const over of [plain, full]) {
      const { get, computed } = counted(over);
      expect(await get('a')).to.deep.equal({ n: 1 });
      expect(await get('a')).to.deep.equal({ n: 2 });
      expect(computed.get('a')).to.equal(2);
    }
  });
});
