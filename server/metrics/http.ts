// HTTP metrics: requests by method, route and status, with a latency histogram. The route label is the router's
// pattern (`/api/v1/jobs/:id`), never the raw path, so ids and typos cannot explode the number of series.
import type { Middleware } from 'koa';
import { Counter, Histogram, type Registry } from 'prom-client';

const LABELS = ['method', 'route', 'status'] as const;

/** What @koa/router leaves on the context once a route matched. */
function routeOf(ctx: object): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}

export function httpMetrics(registry: Registry): Middleware {
  const requests = new Counter({
    name: 'qspool_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: LABELS,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'qspool_http_request_duration_seconds',
    help: 'Time from receiving a request to its answer being ready, by method, route pattern and status',
    labelNames: LABELS,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // Runs outside error mapping, so ctx.status is the status the client receives.
      const labels = { method: ctx.method, route: routeOf(ctx), status: String(ctx.status) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
