// The server's Prometheus metrics: one registry per server (tests run several in one process), the HTTP middleware
// and GET /metrics (the storage-derived backend metrics are refreshed as they are collected).
import Router from '@koa/router';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { BackendService } from '../services/backends.ts';
import { BackendMetrics } from './backends.ts';
import { httpMetrics } from './http.ts';

export interface ServerMetrics {
  registry: Registry;
  /** Goes around every request (outside error mapping) to count it. */
  middleware: ReturnType<typeof httpMetrics>;
  router: Router;
  /** The metrics read from storage, when this process reports them. */
  backends?: BackendMetrics;
}

export interface MetricsOptions {
  /** Whether this process reports the metrics read from storage (in a cluster, one worker does). */
  storageMetrics?: boolean;
  /** How GET /metrics gathers a cluster's metrics, given this process's registry (server/metrics/cluster.ts). */
  scrapeCluster?: (registry: Registry) => () => Promise<string>;
}

export function serverMetrics(backends: BackendService, options: MetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qspool_' });
  const backendMetrics = options.storageMetrics === false ? undefined : new BackendMetrics(backends, registry);
  const scrape = options.scrapeCluster?.(registry) ?? (() => registry.metrics());
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    const text = await scrape();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = registry.contentType;
    ctx.body = text;
  });
  return { registry, middleware: httpMetrics(registry), router, ...(backendMetrics ? { backends: backendMetrics } : {}) };
}
