// What the Koa peers share: reading a request body, listening on a free loopback port, and the answer qspool's
// post_job gives, so every peer returns the same bytes for the same request.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export async function rawBody(request: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function acceptedStatus(jobId: string) {
  return { job_id: jobId, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' };
}

export async function listen(app: Koa): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
