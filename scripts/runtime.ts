// What every long-running command shares: configuration, logger, the storage it opens, and a clean stop on
// SIGINT/SIGTERM (a second signal exits at once).
import { join } from 'node:path';
import { backendList, loadConfig, type Config } from '../config/index.ts';
import { createLogger, type Logger } from '../config/logger.ts';
import { createBackend } from '../spooler/backends/index.ts';
import { Spooler } from '../spooler/spooler.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { createProvider } from '../storage/factory.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  storage: StorageProvider;
}

export async function openRuntime(overrides: Record<string, unknown> = {}): Promise<Runtime> {
  const config = loadConfig(process.env, overrides);
  const logger = createLogger(config.LOG_LEVEL);
  const storage = await createProvider({ type: 'local', root: config.QSPOOL_DATA_DIR, fsync: config.QSPOOL_FSYNC });
  return { config, logger, storage };
}

export function demoTokenFile(config: Config): string {
  return join(config.QSPOOL_DATA_DIR, 'demo-token');
}

export function startSpoolers(runtime: Runtime, names = backendList(runtime.config)): Spooler[] {
  const { config, logger, storage } = runtime;
  const lifecycle = new JobLifecycle(storage, { leaseMs: config.QSPOOL_LEASE_MS, maxAttempts: config.QSPOOL_MAX_ATTEMPTS });
  return names.map((name) => {
    const backend = createBackend(name, { qubitMode: process.env.QSPOOL_QUBIT_MODE === 'echo' ? 'echo' : 'simulation' });
    if (!backend) throw new Error(`Unknown backend ${name}; known: singlequdit, qubit`);
    return new Spooler({
      lifecycle,
      backend,
      providerName: config.QSPOOL_PROVIDER_NAME,
      logger,
      pollMs: config.QSPOOL_POLL_MS,
      maxInstructions: config.QSPOOL_MAX_INSTRUCTIONS,
      maxHilbertDimension: config.QSPOOL_MAX_HILBERT_DIMENSION,
    });
  });
}

/** Runs `stop` once on the first SIGINT or SIGTERM, then exits; a second signal exits immediately. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
