// The server's Prometheus metrics: one registry per server (tests run several in one process), the HTTP middleware
// and GET /metrics, which refreshes the storage-derived backend gauges before answering.
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
  backends: BackendMetrics;
}

export function serverMetrics(backends: BackendService): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qspool_' });
  const backendMetrics = new BackendMetrics(backends, registry);
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    await backendMetrics.refresh();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return { registry, middleware: httpMetrics(registry), router, backends: backendMetrics };
}
