// The burst phase's clients: one job submitted through the native API (v1, with an Idempotency-Key) or qlued's v2 or
// v3 post_job, each in the shape and with the credentials its own clients use (v1 and v3: a Bearer token; v2: the
// job as JSON text with username and token in the body), and a user's job list as `GET /api/v1/jobs` pages it.
import { requestWithRetry, type ApiTarget, type HttpTally } from './client.ts';

export const APIS = ['v1', 'v2', 'v3'] as const;
export type Api = (typeof APIS)[number];

export interface ApiUser {
  name: string;
  token: string;
}

export interface Outcome {
  status: number;
  /** The job id, when the answer acknowledged a job (v1 201 or 200 replay; v2/v3 200 with a job_id). */
  id?: string;
  /** v1 answered 200 with the job an earlier attempt of the same key created. */
  replayed: boolean;
  /**
   * v1 answered 409 idempotency_in_progress: the key was reserved by a request the killed server never finished.
   * The server takes such a reservation over only after 30 s, so the caller retries later, without holding a client.
   */
  inProgress: boolean;
  body: unknown;
}

const json = { 'Content-Type': 'application/json' };
const bearer = (user: ApiUser) => ({ Authorization: `Bearer ${user.token}` });

/** Sends one job until it gets a final answer (requestWithRetry rides out refused connections and 503s). */
export async function submitOnce(target: ApiTarget, api: Api, user: ApiUser, backend: string, payload: Record<string, unknown>, key: string, tally: HttpTally): Promise<Outcome> {
  const name = target.apiName(backend);
  if (api === 'v1') {
    // Every retry, here and in requestWithRetry, sends the very same body and key: a replay, never a new request.
    const init = { method: 'POST', headers: { ...json, ...bearer(user), 'Idempotency-Key': key }, body: JSON.stringify({ payload }) };
    const answer = await requestWithRetry(`${target.url}/api/v1/backends/${name}/jobs`, init, tally);
    const body = answer.body as { id?: unknown; error?: { code?: unknown } };
    const acknowledged = (answer.status === 201 || answer.status === 200) && typeof body.id === 'string';
    return {
      status: answer.status,
      ...(acknowledged ? { id: body.id as string } : {}),
      replayed: acknowledged && answer.status === 200,
      inProgress: answer.status === 409 && body.error?.code === 'idempotency_in_progress',
      body: answer.body,
    };
  }
  const init =
    api === 'v2'
      ? { method: 'POST', headers: json, body: JSON.stringify({ job: JSON.stringify(payload), username: user.name, token: user.token }) }
      : { method: 'POST', headers: { ...json, ...bearer(user) }, body: JSON.stringify({ payload }) };
  const answer = await requestWithRetry(`${target.url}/api/${api}/${name}/post_job`, init, tally);
  const id = (answer.body as { job_id?: unknown }).job_id;
  return { status: answer.status, ...(answer.status === 200 && typeof id === 'string' ? { id } : {}), replayed: false, inProgress: false, body: answer.body };
}

/** Every job of the user's `GET /api/v1/jobs` list (following next_cursor to the end): id → status. */
export async function ownerList(target: ApiTarget, user: ApiUser, tally: HttpTally): Promise<Map<string, string>> {
  const listed = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? 'limit=200' : `limit=200&cursor=${encodeURIComponent(cursor)}`;
    const answer = await requestWithRetry(`${target.url}/api/v1/jobs?${query}`, { headers: bearer(user) }, tally);
    if (answer.status !== 200) throw new Error(`GET /api/v1/jobs as ${user.name} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    const page = answer.body as { jobs: { id: string; status: string }[]; next_cursor: string | null };
    for (const job of page.jobs) listed.set(job.id, job.status);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return listed;
}
