// Peer (b) of row 1 (and the submit side of rows 3 and 6): a Koa route that takes qlued's v2 post_job body, parses
// the job and enqueues it into BullMQ, answering the same status JSON; plus a status route for polling clients.
import Koa from 'koa';
import Router from '@koa/router';
import { acceptedStatus, listen, rawBody } from './http.ts';
import { onControl, sendReady } from './protocol.ts';
import { openQueue, redisConnection } from './bullmq-queue.ts';

const STATUS: Record<string, string> = { completed: 'DONE', failed: 'ERROR', active: 'RUNNING', waiting: 'QUEUED' };

const connection = redisConnection();
const queue = openQueue(connection);
await queue.waitUntilReady();

const app = new Koa();
const router = new Router();
router.post('/api/v2/:backend/post_job', async (ctx) => {
  const body = JSON.parse(await rawBody(ctx.req)) as { job: string; token: string };
  const payload = JSON.parse(body.job) as Record<string, unknown>;
  const job = await queue.add('job', { backend: ctx.params.backend!, payload });
  ctx.body = acceptedStatus(String(job.id));
});
router.get('/api/v2/:backend/get_job_status', async (ctx) => {
  const id = String(ctx.query.job_id);
  const state = await queue.getJobState(id);
  ctx.body = { job_id: id, status: STATUS[state] ?? 'QUEUED', detail: state, error_message: 'None' };
});
app.use(router.routes());

const { url, server } = await listen(app);
onControl(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await queue.close();
  connection.disconnect();
});
sendReady({ url });
