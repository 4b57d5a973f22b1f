// Builds the server's services on a storage provider and listens; used by `qspool serve`, `npm start` and tests.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/index.ts';
import type { Logger } from '../config/logger.ts';
import { builtinBackends } from '../spooler/backends/index.ts';
import type { StorageProvider } from '../storage/contract.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { createApp } from './app.ts';
import { qluedRouter } from './routes/qlued.ts';
import { BackendService } from './services/backends.ts';
import { JobService } from './services/jobs.ts';
import { UserService } from './services/users.ts';

export interface RunningServer {
  url: string;
  server: Server;
  users: UserService;
  close(): Promise<void>;
}

export function buildServices(storage: StorageProvider, config: Config) {
  const lifecycle = new JobLifecycle(storage, { leaseMs: config.QSPOOL_LEASE_MS, maxAttempts: config.QSPOOL_MAX_ATTEMPTS });
  return {
    lifecycle,
    backends: new BackendService(storage, config.QSPOOL_PROVIDER_NAME, config.QSPOOL_HEARTBEAT_TIMEOUT_S * 1000),
    jobs: new JobService(lifecycle, { definitions: builtinBackends }),
    users: new UserService(storage),
  };
}

export async function startServer(storage: StorageProvider, config: Config, logger: Logger): Promise<RunningServer> {
  const services = buildServices(storage, config);
  const limits = { maxBytes: config.QSPOOL_MAX_BODY_BYTES, maxDepth: config.QSPOOL_MAX_JSON_DEPTH };
  const deps = { ...services, limits, baseUrl: config.QSPOOL_BASE_URL };
  const app = createApp({ logger, routers: [qluedRouter(deps, 'v2'), qluedRouter(deps, 'v3')] });
  const server = app.listen(config.PORT, config.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return {
    url: `http://${host}:${port}`,
    server,
    users: services.users,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
