// The Koa application: request context, error mapping, the API routers, and JSON answers for unknown routes and
// wrong methods. Everything else lives in routes/ and services/.
import Koa, { type Middleware } from 'koa';
import type Router from '@koa/router';
import type { Logger } from '../config/logger.ts';
import { MethodNotAllowedError, RouteNotFoundError } from '../schemas/errors.ts';
import { errorMapper, type ErrorState } from './middleware/errors.ts';
import { trustedForwarding } from './middleware/forwarded.ts';
import { protocolChecks } from './middleware/protocol.ts';
import { requestContext } from './middleware/request-context.ts';

export interface AppOptions {
  logger: Logger;
  /** Runs around everything else, outside error mapping, so it sees the status the client gets (metrics). */
  observe?: Middleware<ErrorState>[];
  /** Runs for every request after error mapping and before the routers (rate limits). */
  middleware?: Middleware<ErrorState>[];
  routers: Router[];
  /** Reverse proxies in a row in front of the server, whose X-Forwarded-For entries name clients (QSPOOL_TRUST_PROXY). */
  proxyHops?: number;
}

/** For answers that are data, not pages: nothing may load from them or frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

// Routers match paths in any case, so the face must too.
const QLUED_PREFIX = /^\/api\/v[23](\/|$)/i;

const REPEATED_SLASHES = /\/{2,}/g;

export function createApp({ logger, observe = [], middleware = [], routers, proxyHops = 0 }: AppOptions): Koa<ErrorState> {
  const app = new Koa<ErrorState>();
  app.proxy = proxyHops > 0;
  // Each proxy appends the address it saw, so the client is the entry the outermost one appended: the Nth from the
  // right behind N proxies. Those before it are whatever the client sent, and taking the first let every request name
  // a fresh address and escape the per-address limits. With fewer entries than proxies (a request that reached an
  // inner proxy directly) Koa takes the first: still an entry one of the proxies appended, of whoever connected to it.
  app.maxIpsCount = Math.max(1, proxyHops);
  if (app.proxy) app.use(trustedForwarding(proxyHops));
  app.use(requestContext(logger));
  for (const step of observe) app.use(step);
  app.use(async (ctx, next) => {
    // Every answer, errors included: JSON (which quotes what callers sent, such as an unknown path) is never read
    // as another type, and nothing is shown inside another site's frame or tells it where the user came from. The
    // web interface's pages and the API docs replace this Content-Security-Policy with their own.
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
    // Answers are someone's jobs, results, tokens and users: none is kept in a browser's cache, where the next person
    // at a shared computer (or anything reading its disk) could find them after a log-out. Routes that may be kept
    // (the web interface's pages and assets, event streams) set their own.
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  app.use(async (ctx, next) => {
    // Repeated slashes in a path count as one, as behind nginx (`merge_slashes`, its default): qlued's published `url`
    // ends in `/`, and qiskit-cold-atom appends `/get_config` to the url it was given, so a user who saved that `url`
    // asked for `…_simulator//get_config`.
    if (ctx.path.includes('//')) ctx.path = ctx.path.replace(REPEATED_SLASHES, '/');
    ctx.state.face = QLUED_PREFIX.test(ctx.path) ? 'qlued' : 'native';
    await next();
  });
  app.use(errorMapper());
  app.use(protocolChecks());
  for (const step of middleware) app.use(step);
  for (const router of routers) app.use(router.routes());
  app.use(async (ctx) => {
    const allowed = new Set<string>();
    for (const router of routers) {
      const matched = router.match(ctx.path, ctx.method);
      for (const layer of matched.path) for (const method of layer.methods) if (method !== 'HEAD') allowed.add(method);
    }
    if (allowed.size > 0) throw new MethodNotAllowedError([...allowed]);
    throw new RouteNotFoundError(ctx.path);
  });
  // Errors outside a request (socket trouble) are logged, never thrown at the process.
  app.on('error', (error: Error) => logger.debug({ err: error }, 'connection error'));
  return app;
}
