import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory, makeDirectorySync } from './directories.ts';

const makers = {
  sync: async (path: string, mode?: number) => makeDirectorySync(path, mode),
  async: makeDirectory,
};

for (const [name, make] of Object.entries(makers)) {
  describe(`makeDirectory (${name})`, () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'qspool-dirs-'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('makes every missing parent with the mode asked for, and leaves an existing directory alone', async () => {
      const deep = join(root, 'a', 'b', 'c');
      await make(deep, 0o700);
      for (const path of [join(root, 'a'), join(root, 'a', 'b'), deep]) expect(statSync(path).mode & 0o777).to.equal(0o700);
      await make(deep, 0o700);
      expect(statSync(deep).isDirectory()).to.equal(true);
    });

    it('fails where a file stands in the way, at the path or above it', async () => {
      writeFileSync(join(root, 'file'), '');
      for (const path of [join(root, 'file'), join(root, 'file', 'below')]) {
        const error = await make(path).then(() => undefined, (e: NodeJS.ErrnoException) => e);
        expect(error?.code, path).to.be.oneOf(['EEXIST', 'ENOTDIR']);
      }
    });

    // Node's own recursive mkdir spins forever here, so this test times out on it.
    it('fails at once where mkdir answers ENOENT though the parent exists (/proc)', async function () {
      if (!existsSync('/proc/self')) this.skip();
      const error = await make('/proc/qspool-no-such-directory/below').then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(error?.code).to.equal('ENOENT');
    });
  });
}
