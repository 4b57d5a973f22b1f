// A backend's signing key lets whoever reads it sign results as the backend. Like the server's own key file, a signing
// key file (generated or named) or the directory of generated keys that group or others can read stops the spooler,
// with the chmod that fixes it; it never signs with a key others may hold.
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InsecurePermissionsError } from '../schemas/errors.ts';
import { defaultKeyFile, Signer } from '../spooler/signing/keys.ts';
import { spawnQspool, type QspoolProcess } from './support/qspool-process.ts';

describe('signing key permissions', function () {
  this.timeout(60_000);
  let dataDir: string;
  let qspool: QspoolProcess | undefined;
  const pem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const refusal = (load: () => unknown) => {
    try {
      load();
    } catch (error) {
      expect(error).to.be.instanceOf(InsecurePermissionsError);
      return (error as Error).message;
    }
    throw new Error('the key was loaded');
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'qspool-key-modes-'));
  });
  afterEach(() => {
    qspool?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a generated key file or its directory that others can read, and loads it once chmod has fixed it', () => {
    const file = defaultKeyFile(dataDir, 'fermions');
    const kid = Signer.load('fermions', undefined, dataDir).kid;
    chmodSync(file, 0o644);
    expect(refusal(() => Signer.load('fermions', undefined, dataDir))).to.equal(`${file} is readable by group or others (mode 0644); run: chmod 600 ${file}`);
    chmodSync(file, 0o600);
    chmodSync(dirname(file), 0o755);
    expect(refusal(() => Signer.load('fermions', undefined, dataDir))).to.include(`(mode 0755); run: chmod 700 ${dirname(file)}`);
    chmodSync(dirname(file), 0o700);
    expect(Signer.load('fermions', undefined, dataDir).kid).to.equal(kid);
  });

  it('refuses a named key file that group can read', () => {
    const named = join(dataDir, 'lab-key.pem');
    writeFileSync(named, pem(), { mode: 0o640 });
    chmodSync(named, 0o640);
    expect(refusal(() => Signer.load('rydberg', named, dataDir))).to.include(`(mode 0640); run: chmod 600 ${named}`);
    chmodSync(named, 0o600);
    expect(Signer.load('rydberg', named, dataDir).kid).to.match(/^rydberg-/);
  });

  it('stops `qspool spooler` with the chmod that fixes it', async () => {
    const file = defaultKeyFile(dataDir, 'singlequdit');
    mkdirSync(dirname(file), { mode: 0o700 });
    writeFileSync(file, pem(), { mode: 0o644 });
    chmodSync(file, 0o644);
    qspool = spawnQspool(['spooler', '--backend', 'singlequdit', '--storage', dataDir], { QSPOOL_FSYNC: 'false' });
    expect((await qspool.exited).code, qspool.output()).to.equal(1);
    expect(qspool.output()).to.include(`run: chmod 600 ${file}`);
  });
});
