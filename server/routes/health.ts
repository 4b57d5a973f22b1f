// /healthz: the process answers (for restarts by a supervisor). /readyz: the storage answers a cheap call in time
// (for load balancers: a server whose storage is gone should get no traffic); 503 otherwise.
import Router from '@koa/router';
import type { StorageProvider } from '../../storage/contract.ts';
import { ns } from '../../storage/records.ts';

const READY_TIMEOUT_MS = 2000;
const TIMED_OUT = new Error(`storage did not answer within ${READY_TIMEOUT_MS} ms`);

export function healthRouter(storage: StorageProvider): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(TIMED_OUT), READY_TIMEOUT_MS);
    });
    try {
      // One key of the smallest namespace every deployment has: a round trip, not a scan.
      await Promise.race([storage.list(ns.configs, { limit: 1 }), timeout]);
      ctx.body = { status: 'ready', storage: storage.type };
    } catch (error) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      // Anyone may ask, and a provider's words name paths and hosts: those go to the log.
      const timedOut = error === TIMED_OUT;
      if (!timedOut) ctx.state.log.warn({ err: error }, 'readiness check: storage failed');
      ctx.body = { status: 'unavailable', storage: storage.type, error: timedOut ? TIMED_OUT.message : 'storage failed (the server log says why)' };
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
