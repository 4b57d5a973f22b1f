// Opt-in Prometheus endpoint for a spooler process (`QSPOOL_SPOOLER_METRICS_PORT`). Spoolers never need it and
// never accept connections otherwise: it is for labs that scrape their own machines. It reports what the spooler
// process itself is (process metrics, its spoolers and whether each is running a job, from their heartbeats) and,
// from the same storage the spoolers use, the backend metrics the server reports (queue depth, finished jobs, wait
// and run times, heartbeat age), so a lab sees its queues without reaching the web server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { StorageProvider } from '../../storage/contract.ts';
import { type HeartbeatRecord, ns } from '../../storage/records.ts';
import { BackendService } from '../services/backends.ts';
import { singleSite } from '../services/providers.ts';
import { BackendMetrics } from './backends.ts';

/** What the endpoint needs to know of each spooler in the process. */
export interface SpoolerIdentity {
  id: string;
  backendName: string;
}

export interface SpoolerMetricsOptions {
  port: number;
  /** Default 127.0.0.1: a lab opens it wider on purpose. */
  host?: string;
  storage: StorageProvider;
  providerName: string;
  heartbeatTimeoutMs: number;
  spoolers: SpoolerIdentity[];
}

export interface SpoolerMetricsEndpoint {
  url: string;
  registry: Registry;
  close(): Promise<void>;
}

export async function startSpoolerMetrics(options: SpoolerMetricsOptions): Promise<SpoolerMetricsEndpoint> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qspool_spooler_' });
  const backends = new BackendService(singleSite(options.storage, options.providerName), options.heartbeatTimeoutMs);
  // Refreshed from storage as they are collected.
  await new BackendMetrics(backends, registry).start();
  const busy = new Gauge({
    name: 'qspool_spooler_busy',
    help: '1 while the spooler runs a job (from its last heartbeat)',
    labelNames: ['backend', 'spooler'],
    registers: [registry],
  });
  const age = new Gauge({
    name: 'qspool_spooler_heartbeat_age_seconds',
    help: 'Seconds since this spooler\'s last heartbeat (absent before its first)',
    labelNames: ['backend', 'spooler'],
    registers: [registry],
  });

  async function refresh(): Promise<void> {
    busy.reset();
    age.reset();
    const now = Date.now();
    await Promise.all(
      options.spoolers.map(async ({ id, backendName }) => {
        const beat = (await options.storage.get<HeartbeatRecord>(ns.heartbeats(backendName), id))?.value;
        if (!beat) return;
        const labels = { backend: backendName, spooler: id };
        busy.set(labels, beat.currentJob ? 1 : 0);
        age.set(labels, Math.max(0, (now - Date.parse(beat.at)) / 1000));
      }),
    );
  }

  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Only GET /metrics here\n');
      return;
    }
    refresh()
      .then(() => registry.metrics())
      .then(
        (text) => response.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text),
        (error: unknown) => response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`),
      );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    registry,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
