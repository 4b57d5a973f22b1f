// `qspool serve` and `qspool spooler`: the server and the spoolers as separate processes, as a lab deploys them.
import { startServer } from '../../server/index.ts';
import { onShutdown, openRuntime, startSpoolers } from '../runtime.ts';

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
  const runtime = await openRuntime(options.storage ? { QSPOOL_DATA_DIR: options.storage } : {});
  const spoolers = startSpoolers(runtime, options.backend.split(','));
  await Promise.all(spoolers.map((spooler) => spooler.start()));
  onShutdown(runtime.logger, async () => {
    await Promise.all(spoolers.map((spooler) => spooler.stop()));
    await runtime.storage.close();
  });
}
