// A sqooler spooler's update_backends uploads its signed config first and its public key after it. A server that read
// the config in between found no key to check it with; the backend must be listed again as soon as the key is there,
// not only once the missing key has aged out of the view's key cache.
import { expect } from 'chai';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProvider } from '../../storage/factory.ts';
import { SqoolerLocalFiles } from '../../storage/sqooler/local.ts';
import { localPaths } from '../../storage/sqooler/paths.ts';
import { SqoolerView } from '../../storage/sqooler/view.ts';

const DONE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'done');

describe('a signed sqooler config read before its public key was published', () => {
  it('reads as the backend once the key is there', async () => {
    const work = await mkdtemp(join(tmpdir(), 'qspool-sqooler-late-key-'));
    const primary = await createProvider({ type: 'local', root: join(work, 'primary'), fsync: false });
    try {
      await cp(DONE, join(work, 'lab'), { recursive: true });
      const keys = join(work, 'lab', 'backends', 'public_keys');
      await rename(keys, `${keys}-later`);
      const view = new SqoolerView(new SqoolerLocalFiles(join(work, 'lab')), localPaths, { storage: primary, provider: 'lab1' });
      expect(await view.get('configs', 'singlequdit')).to.equal(undefined);
      await rename(`${keys}-later`, keys);
      expect(await view.get('configs', 'singlequdit')).to.have.nested.property('value.display_name', 'singlequdit');
    } finally {
      await primary.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
