// qlued clients as the rows need them: submit a job over HTTP, then ask for its status back to back until it is DONE,
// timing what the client observes (row 3); or only submit (rows 6 and 8).
import { Agent, request } from 'node:http';
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

/** Connections kept open between submissions, as a notebook's requests session keeps them. */
const agent = new Agent({ keepAlive: true });

/**
 * Submits a job and returns its id. Through node:http rather than fetch: the rows that use this run several clients
 * in the bench process, on the cores the server uses, and fetch's own work per request (about twice node:http's)
 * would be measured as the server's. Real clients each run on their own machine.
 */
export function submitOnly(baseUrl: string, backend: string, job: unknown, token: string): Promise<string> {
  const body = postJobBody(job, token);
  return new Promise((resolve, reject) => {
    const sent = request(
      `${baseUrl}/api/v2/${backend}/post_job`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}: ${text}`));
          else resolve((JSON.parse(text) as StatusDict).job_id);
        });
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}
