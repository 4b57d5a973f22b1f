// A lab provider registered on a test server that the server cannot open: its login is sealed with a key the server
// does not hold (as after a key mix-up), so every read of it fails as unavailable, without stubs. Its jobs are
// enqueued straight on its store, indexed on the server's storage as the server would index them; `reachable` puts
// back the entry the server can open.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { PROVIDERS_NS, ProviderRegistry } from '../../storage/registry/index.ts';
import type { Harness } from '../native-api/harness.ts';
import { SECRET_KEY } from './lab-provider.ts';

export interface UnreachableLab {
  /** The lab's own store, as its spoolers see it. */
  storage: LocalProvider;
  /** The job lifecycle on the lab's store, indexing on the server's. */
  lifecycle: JobLifecycle;
  /** Makes the lab readable by the server again. */
  reachable(): Promise<void>;
  close(): Promise<void>;
}

/** Registers lab `name` on `h` (started with QSPOOL_SECRET_KEY: SECRET_KEY) sealed with another key. */
export async function unreachableLab(h: Harness, name: string): Promise<UnreachableLab> {
  const dir = await mkdtemp(join(tmpdir(), `qspool-${name}-`));
  const storage = new LocalProvider({ root: dir, fsync: false });
  const login = { name, type: 'local', login: { base_path: dir, fsync: false } };
  const registry = (on: LocalProvider, key: string) => new ProviderRegistry(on, h.config.QSPOOL_PROVIDER_NAME, {}, key);
  // The readable entry is sealed on the lab's own store, never on the server's: the server opens registered providers
  // in the background and keeps what it opened.
  await registry(storage, SECRET_KEY).add(login);
  const readable = (await storage.get(PROVIDERS_NS, name))!.value;
  await storage.delete(PROVIDERS_NS, name);
  await registry(h.storage, 'another key, not the one this server holds').add(login);
  return {
    storage,
    lifecycle: new JobLifecycle(storage, { index: { storage: h.storage, provider: name } }),
    async reachable() {
      await h.storage.put(PROVIDERS_NS, name, readable);
    },
    async close() {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
