import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateFileOnce } from './private-files.ts';

describe('createPrivateFileOnce', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qspool-private-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file readable by its owner only, with nothing else left in the directory', () => {
    createPrivateFileOnce(join(dir, 'key'), 'secret');
    expect(readFileSync(join(dir, 'key'), 'utf8')).to.equal('secret');
    expect(statSync(join(dir, 'key')).mode & 0o777).to.equal(0o600);
    expect(readdirSync(dir)).to.deep.equal(['key']);
  });

  it('keeps a file that is there already (the first of racing processes wins)', () => {
    writeFileSync(join(dir, 'key'), 'first', { mode: 0o600 });
    createPrivateFileOnce(join(dir, 'key'), 'second');
    expect(readFileSync(join(dir, 'key'), 'utf8')).to.equal('first');
    expect(readdirSync(dir)).to.deep.equal(['key']);
  });

  it('fails, leaving nothing behind, where the directory does not exist', () => {
    expect(() => createPrivateFileOnce(join(dir, 'missing', 'key'), 'secret')).to.throw(/ENOENT/);
    expect(readdirSync(dir)).to.deep.equal([]);
  });
});
