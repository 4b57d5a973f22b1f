// Provider logins are sealed with the server's key: QSPOOL_SECRET_KEY, or, unset, the key file the server generates
// into the data directory. `qspool storage add` (the CLI) and the server then agree whichever runs first.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { createLogger } from '../../config/logger.ts';
import { registryFor } from '../../scripts/runtime.ts';
import { keyFile, serverSecretKeys } from '../../server/auth/server-key.ts';
import { LocalProvider } from '../../storage/local/index.ts';

describe('the registry\'s key without QSPOOL_SECRET_KEY', () => {
  it('seals logins with the data directory\'s key file, which the server then uses too', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'qspool-registry-key-'));
    const labDir = await mkdtemp(join(tmpdir(), 'qspool-registry-lab-'));
    const config = loadConfig({}, { QSPOOL_DATA_DIR: dataDir, QSPOOL_SECRET_KEY: '' });
    const storage = new LocalProvider({ root: dataDir, fsync: false });
    const runtime = { config, logger: createLogger('silent'), storage };
    try {
      // The CLI first: no server ever ran on this directory.
      const cli = registryFor(runtime);
      await cli.add({ name: 'lab1', type: 'local', login: { base_path: labDir } });
      expect((await stat(keyFile(dataDir))).mode & 0o777).to.equal(0o600);
      const key = (await readFile(keyFile(dataDir), 'utf8')).trim();
      expect((await serverSecretKeys(config, runtime.logger)).current).to.equal(key);
      // Another process (the server) opens what the CLI sealed.
      const server = registryFor(runtime);
      expect((await server.show('lab1')).login).to.deep.include({ base_path: labDir });
      const lab = await server.open('lab1');
      await lab.put('configs', 'x', { ok: true });
      expect((await lab.get('configs', 'x'))!.value).to.deep.equal({ ok: true });
      await Promise.all([cli.close(), server.close()]);
    } finally {
      await storage.close();
      await Promise.all([rm(dataDir, { recursive: true, force: true }), rm(labDir, { recursive: true, force: true })]);
    }
  });
});
