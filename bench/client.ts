// A qlued client as the latency row needs it: submit a job over HTTP, then ask for its status back to back until
// it is DONE, timing what the client observes.
import { postJobBody } from './context.ts';

interface StatusDict {
  job_id: string;
  status: string;
}

async function json(response: Response): Promise<StatusDict> {
  const body = (await response.json()) as StatusDict;
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Milliseconds from sending post_job to the first get_job_status that answers DONE. */
export async function submitAndWait(baseUrl: string, backend: string, job: unknown, token: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  const accepted = await json(
    await fetch(`${baseUrl}/api/v2/${backend}/post_job`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: postJobBody(job, token),
    }),
  );
  const statusUrl = `${baseUrl}/api/v2/${backend}/get_job_status?job_id=${accepted.job_id}&token=${token}`;
  for (;;) {
    const { status } = await json(await fetch(statusUrl));
    if (status === 'DONE') return performance.now() - started;
    if (status === 'ERROR' || status === 'CANCELLED') throw new Error(`job ${accepted.job_id} ended ${status}`);
    if (performance.now() - started > timeoutMs) throw new Error(`job ${accepted.job_id} not done after ${timeoutMs} ms`);
  }
}

/** Submits a job and returns its id. */
export async function submitOnly(baseUrl: string, backend: string, job: unknown, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v2/${backend}/post_job`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: postJobBody(job, token),
  });
  return (await json(response)).job_id;
}
