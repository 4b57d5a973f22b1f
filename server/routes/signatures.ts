// GET /api/v1/jobs/{id}/signature: whether a job's result carries a valid signature by its backend's published key.
// Same credentials as the native API (Bearer API token or access token); another user's job answers like an
// unknown id. qlued clients keep reading plain results; this is where anyone can check one.
import Router from '@koa/router';
import { NotFoundError } from '../../schemas/errors.ts';
import { verifyJobResult } from '../../spooler/signing/verify.ts';
import { isJobId } from '../../storage/keys.ts';
import type { BearerAuth } from '../auth/bearer.ts';
import type { JobService } from '../services/jobs.ts';

export interface SignatureDeps {
  auth: BearerAuth;
  jobs: JobService;
}

export function signaturesRouter(deps: SignatureDeps): Router {
  const router = new Router({ prefix: '/api/v1', strict: true });
  router.get('/jobs/:id/signature', async (ctx) => {
    const user = await deps.auth.required(ctx);
    const id = ctx.params.id!;
    const record = isJobId(id) ? await deps.jobs.byId(user, id) : undefined;
    if (!record) throw new NotFoundError('No such job');
    const report = await verifyJobResult(await deps.jobs.lifecycleOf(record), record);
    ctx.body = { job_id: record.id, backend: record.backend, status: record.state, ...report };
  });
  return router;
}
