// `qspool serve` and `qspool spooler`: the server and the spoolers as separate processes, as a lab deploys them.
// `qspool serve --workers N` runs N server processes on one port (scripts/cluster.ts).
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { createLogger } from '../../config/logger.ts';
import { startServer } from '../../server/index.ts';
import { startSpoolerMetrics } from '../../server/metrics/spooler.ts';
import type { Spooler } from '../../spooler/spooler.ts';
import { onPrimaryShutdown, runPrimary, workerSlot } from '../cluster.ts';
import { backendNamesProblem, hurryAll, Lifetime, namedBackendsProblem, onShutdown, openRuntime, providerRuntime, registryFor, runtimeFor, startAll, startSpoolers, stopAll, type Runtime } from '../runtime.ts';
import { integerOption, UsageError } from './usage.ts';

/** `--storage` names a registered provider (lower-case letters and digits) or, with a `/` in it, a directory. */
const REGISTRY_NAME = /^[a-z0-9]{1,32}$/;

export async function runServe(options: { port?: string; dataDir?: string; workers?: string }): Promise<void> {
  const overrides = {
    ...(options.port === undefined ? {} : { PORT: integerOption('--port', options.port, 0, 65535) }),
    ...(options.dataDir ? { QSPOOL_DATA_DIR: options.dataDir } : {}),
    ...(options.workers === undefined ? {} : { QSPOOL_WORKERS: integerOption('--workers', options.workers, 1, 64) }),
  };
  const config = loadConfig(process.env, overrides);
  if (cluster.isPrimary && config.QSPOOL_WORKERS > 1) {
    await runPrimary(config.QSPOOL_WORKERS, createLogger(config.LOG_LEVEL));
    return;
  }
  const runtime = await runtimeFor(config);
  const slot = workerSlot();
  const logger = slot === undefined ? runtime.logger : runtime.logger.child({ worker: slot });
  const server = await startServer(runtime.storage, runtime.config, logger, slot === undefined ? {} : { workerSlot: slot });
  const stop = async () => {
    await server.close();
    await runtime.storage.close();
  };
  if (slot === undefined) onShutdown(logger, stop);
  else onPrimaryShutdown(logger, stop);
  logger.info({ url: server.url }, 'server listening');
}

export async function runSpooler(options: { backend: string; storage?: string }): Promise<void> {
  const problem = backendNamesProblem(options.backend.split(','));
  if (problem) throw new UsageError(`--backend: ${problem}`);
  const misnamed = namedBackendsProblem(loadConfig(process.env));
  if (misnamed) throw new ConfigError(`Invalid configuration: ${misnamed}`);
  const named = options.storage !== undefined && REGISTRY_NAME.test(options.storage);
  const runtime = await openRuntime(options.storage && !named ? { QSPOOL_DATA_DIR: options.storage, QSPOOL_STORE_FILE: '' } : {}, { sync: true });
  const lifetime = new Lifetime(runtime.logger);
  lifetime.add(() => runtime.storage.close());
  let spoolers: Spooler[] = [];
  onShutdown(runtime.logger, () => lifetime.stop(), () => hurryAll(spoolers));
  const registry = registryFor(runtime);
  lifetime.add(() => registry.close());
  const target = named ? await lifetime.start(() => providerRuntime(runtime, registry, options.storage!)) : runtime;
  spoolers = startSpoolers(target, options.backend.split(','));
  // Before the spoolers: a port in use fails the start before any of them has claimed a job.
  await serveSpoolerMetrics(lifetime, target, spoolers);
  await lifetime.start(() => startAll(spoolers), () => stopAll(spoolers));
}

/** The opt-in /metrics of a spooler process (QSPOOL_SPOOLER_METRICS_PORT), for labs that scrape their own machines. */
async function serveSpoolerMetrics(lifetime: Lifetime, runtime: Runtime, spoolers: Spooler[]): Promise<void> {
  const { config, logger, storage } = runtime;
  if (config.QSPOOL_SPOOLER_METRICS_PORT === undefined) return;
  const options = {
    port: config.QSPOOL_SPOOLER_METRICS_PORT,
    storage,
    providerName: config.QSPOOL_PROVIDER_NAME,
    heartbeatTimeoutMs: config.QSPOOL_HEARTBEAT_TIMEOUT_S * 1000,
    spoolers,
  };
  const endpoint = await lifetime.start(() => startSpoolerMetrics(options), (started) => started.close());
  logger.info({ url: endpoint.url }, 'spooler metrics listening');
}
