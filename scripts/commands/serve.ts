// `qspool serve` and `qspool spooler`: the server and the spoolers as separate processes, as a lab deploys them.
import { startServer } from '../../server/index.ts';
import { onShutdown, openRuntime, providerRuntime, registryFor, startSpoolers } from '../runtime.ts';

/** `--storage` names a registered provider (lower-case letters and digits) or, with a `/` in it, a directory. */
const REGISTRY_NAME = /^[a-z0-9]{1,32}$/;

export async function runServe(options: { port?: string; dataDir?: string }): Promise<void> {
  const runtime = await openRuntime({
    ...(options.port ? { PORT: Number(options.port) } : {}),
    ...(options.dataDir ? { QSPOOL_DATA_DIR: options.dataDir } : {}),
  });
  const server = await startServer(runtime.storage, runtime.config, runtime.logger);
  onShutdown(runtime.logger, async () => {
    await server.close();
    await runtime.storage.close();
  });
  runtime.logger.info({ url: server.url }, 'server listening');
}

export async function runSpooler(options: { backend: string; storage?: string }): Promise<void> {
  const named = options.storage !== undefined && REGISTRY_NAME.test(options.storage);
  const runtime = await openRuntime(options.storage && !named ? { QSPOOL_DATA_DIR: options.storage } : {});
  const registry = registryFor(runtime);
  const target = named ? await providerRuntime(runtime, registry, options.storage!) : runtime;
  const spoolers = startSpoolers(target, options.backend.split(','));
  await Promise.all(spoolers.map((spooler) => spooler.start()));
  onShutdown(runtime.logger, async () => {
    await Promise.all(spoolers.map((spooler) => spooler.stop()));
    await registry.close();
    await runtime.storage.close();
  });
}
