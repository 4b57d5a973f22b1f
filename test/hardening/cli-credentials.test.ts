// The CLI's saved credentials: the token file is its owner's alone, and so is qspool's own config folder, even one
// that something created earlier with a looser mode. A folder chosen with QSPOOL_CONFIG keeps its mode.
import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCredentials } from '../../scripts/client/credentials.ts';

describe('CLI credentials file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qspool-credentials-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
  const credentials = { url: 'http://127.0.0.1:8000', token: 'secret' };

  it('tightens an existing qspool config folder to 0700 and writes the file 0600', async () => {
    const folder = join(dir, 'qspool');
    await mkdir(folder);
    await chmod(folder, 0o755);
    const path = await saveCredentials(credentials, { XDG_CONFIG_HOME: dir });
    expect(path).to.equal(join(folder, 'config.json'));
    expect(await modeOf(folder)).to.equal(0o700);
    expect(await modeOf(path)).to.equal(0o600);
  });

  it('leaves the mode of a folder named by QSPOOL_CONFIG alone', async () => {
    await chmod(dir, 0o755);
    const path = await saveCredentials(credentials, { QSPOOL_CONFIG: join(dir, 'qspool.json') });
    expect(await modeOf(dir)).to.equal(0o755);
    expect(await modeOf(path)).to.equal(0o600);
  });
});
