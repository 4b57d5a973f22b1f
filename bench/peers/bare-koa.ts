// Peer (a), the ceiling of row 1: a bare Koa route (same router as qspool) that reads the posted job and answers
// the same status JSON as qspool's v2 post_job, storing nothing.
import Koa from 'koa';
import Router from '@koa/router';
import { newJobId } from '../../storage/keys.ts';
import { acceptedStatus, listen, rawBody } from './http.ts';
import { onControl, sendReady } from './protocol.ts';

const app = new Koa();
const router = new Router();
router.post('/api/v2/:backend/post_job', async (ctx) => {
  await rawBody(ctx.req);
  ctx.body = acceptedStatus(newJobId());
});
app.use(router.routes());

const { url, server } = await listen(app);
onControl(() => new Promise((resolve) => server.close(() => resolve())));
sendReady({ url });
