// A data directory on a full disk (a real ENOSPC from a small tmpfs; skipped where it cannot be mounted): nothing
// half-written is left behind, and everything works again once there is room, without a restart or a hand repair.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultKeyFile, Signer } from '../../spooler/signing/keys.ts';
import { smallDisk, type SmallDisk } from '../support/small-disk.ts';

describe('a full disk', function () {
  this.timeout(60_000);
  let disk: SmallDisk | undefined;
  before(function () {
    const made = smallDisk(2048);
    if ('skip' in made) {
      console.log(made.skip);
      this.skip();
    }
    disk = made;
  });
  after(() => disk?.unmount());
  afterEach(() => disk?.free());

  it('leaves no part of a signing key behind when it cannot write one, and makes the key once there is room', () => {
    const dataDir = join(disk!.dir, 'signing');
    const keys = dirname(defaultKeyFile(dataDir, 'qubit'));
    const present = () => readdirSync(keys, { withFileTypes: true }).map((entry) => entry.name);
    disk!.fill();
    // A temporary file was left at each failed start, for an operator to find among the keys.
    for (let start = 0; start < 3; start += 1) expect(() => Signer.load('qubit', undefined, dataDir)).to.throw(/ENOSPC/);
    expect(present()).to.deep.equal([]);
    disk!.free();
    const { kid } = Signer.load('qubit', undefined, dataDir);
    expect(present()).to.deep.equal(['qubit.pem']);
    expect(Signer.load('qubit', undefined, dataDir).kid).to.equal(kid);
  });
});
