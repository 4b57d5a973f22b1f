// A qspool server with a sqooler-layout provider `lab1` registered on it and qspool's own singlequdit spooler serving
// that provider, started as `qspool spooler --storage lab1` starts it; for the end-to-end tests of that spooler.
import { createLogger } from '../../config/logger.ts';
import { providerRuntime, registryFor, startSpoolers } from '../../scripts/runtime.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import { startHarness, type Harness } from '../native-api/harness.ts';
import { SECRET_KEY } from '../support/lab-provider.ts';

export interface SpoolingSystem {
  h: Harness;
  /** An API token of the user `ada`. */
  ada: string;
  stop(): Promise<void>;
}

export async function startSpoolingSystem(type: 'local' | 'dropbox', login: Record<string, unknown>, sign: 'all' | 'none'): Promise<SpoolingSystem> {
  const h = await startHarness({ QSPOOL_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'silent', QSPOOL_POLL_MS: 50, QSPOOL_SIGN: sign });
  const logger = createLogger('silent');
  const registry = registryFor({ config: h.config, logger, storage: h.storage });
  await registry.add({ name: 'lab1', type, login, layout: 'sqooler' });
  const spoolers: Spooler[] = startSpoolers(await providerRuntime({ config: h.config, logger, storage: h.storage }, registry, 'lab1'), ['singlequdit']);
  await Promise.all(spoolers.map((spooler) => spooler.start()));
  return {
    h,
    ada: await h.user('ada'),
    async stop() {
      await Promise.all(spoolers.map((spooler) => spooler.stop()));
      await registry.close();
      await h.stop();
    },
  };
}
