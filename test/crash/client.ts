// Clients as the issue describes them: submit through the qlued v2 API with a user's API token, retry on connection
// errors and 503 (honouring Retry-After, capped so the run stays short), and count a job as acknowledged only when
// post_job answered 200 with a job_id. Every HTTP answer is tallied so the verifier can insist on "503, never 500".

export interface HttpTally {
  /** Answers by status code, plus `connection` for requests that got no answer (server killed or restarting). */
  counts: Map<string, number>;
  /** 503 answers that carried a Retry-After header. */
  retryAfter: number;
  /** Bodies of 5xx answers other than 503, for the report. */
  serverErrors: string[];
}

export interface Submission {
  backend: string;
  payload: Record<string, unknown>;
}

export interface Acknowledged {
  id: string;
  backend: string;
  at: number;
}

/** Where clients send requests: the server, and the name under which it serves each backend. */
export interface ApiTarget {
  readonly url: string;
  apiName(backend: string): string;
}

export function newTally(): HttpTally {
  return { counts: new Map(), retryAfter: 0, serverErrors: [] };
}

function count(tally: HttpTally, key: string): void {
  tally.counts.set(key, (tally.counts.get(key) ?? 0) + 1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After is in seconds; the harness waits at most this long so that an outage test does not crawl. */
const MAX_RETRY_WAIT_MS = 1000;

/** One HTTP exchange with the retry rules above; resolves with the final answer (never a 503 or a dropped connection). */
export async function requestWithRetry(url: string, init: RequestInit, tally: HttpTally, giveUpAfterMs = 120_000): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + giveUpAfterMs;
  for (let attempt = 0; ; attempt += 1) {
    if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${giveUpAfterMs} ms`);
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    } catch {
      count(tally, 'connection');
      await sleep(Math.min(50 * 2 ** attempt, 500));
      continue;
    }
    const text = await response.text().catch(() => '');
    count(tally, String(response.status));
    if (response.status === 503) {
      const seconds = Number(response.headers.get('retry-after'));
      if (Number.isFinite(seconds) && seconds > 0) tally.retryAfter += 1;
      await sleep(Math.min(MAX_RETRY_WAIT_MS, (seconds || 1) * 1000) * (0.5 + Math.random() / 2));
      continue;
    }
    if (response.status >= 500) tally.serverErrors.push(`${response.status} ${url}: ${text.slice(0, 300)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, body };
  }
}

/** Submits every job with `concurrency` clients; resolves with the acknowledged ones. */
export async function submitAll(
  target: ApiTarget,
  user: { name: string; token: string },
  jobs: Submission[],
  options: { concurrency: number; tally: HttpTally; paceMs?: number; onAcknowledged?: (ack: Acknowledged) => void },
): Promise<Acknowledged[]> {
  const acknowledged: Acknowledged[] = [];
  let next = 0;
  const client = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const body = JSON.stringify({ job: JSON.stringify(job.payload), username: user.name, token: user.token });
      const answer = await requestWithRetry(`${target.url}/api/v2/${target.apiName(job.backend)}/post_job`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }, options.tally);
      const id = (answer.body as { job_id?: unknown }).job_id;
      if (answer.status === 200 && typeof id === 'string') {
        const ack = { id, backend: job.backend, at: Date.now() };
        acknowledged.push(ack);
        options.onAcknowledged?.(ack);
      }
      if (options.paceMs) await sleep(options.paceMs * (0.5 + Math.random()));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return acknowledged;
}

/** The native API's cancel: 200 cancelled while queued, 202 flagged while running, 409 already finished. */
export async function cancelJob(url: string, token: string, id: string, tally: HttpTally): Promise<number> {
  const answer = await requestWithRetry(`${url}/api/v1/jobs/${id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } }, tally);
  return answer.status;
}

/** The qlued v2 status dict of a job, as a client polling it would see it. */
export async function jobStatus(target: ApiTarget, user: { name: string; token: string }, backend: string, id: string, tally: HttpTally): Promise<string> {
  const query = `job_id=${id}&username=${encodeURIComponent(user.name)}&token=${user.token}`;
  const answer = await requestWithRetry(`${target.url}/api/v2/${target.apiName(backend)}/get_job_status?${query}`, {}, tally);
  return String((answer.body as { status?: unknown }).status);
}
