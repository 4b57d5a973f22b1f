// Clients that keep two replicas busy through a rolling restart, as users' programs do: each holds one keep-alive
// connection and sends its next request as soon as the last is answered (v1 submissions with and without an
// Idempotency-Key, qlued v2 submissions, status polls). A refused connection is retried (the request was never sent,
// as a load balancer retries it); any other failure of a request, or a 5xx, is recorded as a problem.
import { Agent, request } from 'node:http';

export interface RestartLoad {
  /** Acknowledged (2xx) job ids, with the client that submitted each. */
  acknowledged: Map<string, string>;
  /** Requests that were sent and then failed (a reset, a hang-up) or answered 5xx, as `client: what`. */
  problems: string[];
  /** Answers received, and connections refused (retried), per replica. */
  answered: number[];
  refused: number[];
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

/** One request on `agent`; resolves `refused` when no connection could be made. */
function send(agent: Agent, url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer | 'refused'> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { agent, method, headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve('refused');
      else reject(Object.assign(error, { message: `${error.code ?? error.message}${req.reusedSocket ? ' on a reused connection' : ''}` }));
    });
    req.end(body);
  });
}

const JOB = { experiment_0: { instructions: [['load', [0], [5]], ['measure', [0], []]], shots: 3, num_wires: 1, wire_order: 'interleaved' } };

/** Starts the clients on every replica in `urls` (fixed for the run: a restarted replica comes back on its port). */
export function startRestartLoad(urls: string[], token: string): RestartLoad {
  const load: RestartLoad = { acknowledged: new Map(), problems: [], answered: urls.map(() => 0), refused: urls.map(() => 0), stop: async () => undefined };
  let stopped = false;
  let keys = 0;
  const auth = { Authorization: `Bearer ${token}` };
  const ids = () => [...load.acknowledged.keys()];

  const client = async (replica: number, name: string, next: () => { method: string; path: string; headers: Record<string, string>; body?: string; jobId?: (body: unknown) => string }) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const label = `${name} on replica ${replica}`;
    while (!stopped) {
      const call = next();
      try {
        let answer = await send(agent, urls[replica]!, call.method, call.path, call.headers, call.body);
        while (answer === 'refused' && !stopped) {
          load.refused[replica]! += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          answer = await send(agent, urls[replica]!, call.method, call.path, call.headers, call.body);
        }
        if (answer === 'refused') break;
        load.answered[replica]! += 1;
        if (answer.status >= 500) load.problems.push(`${label}: ${call.method} ${call.path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
        else if (answer.status >= 200 && answer.status < 300 && call.jobId) load.acknowledged.set(call.jobId(answer.body), label);
      } catch (error) {
        load.problems.push(`${label}: ${call.method} ${call.path} failed: ${(error as Error).message}`);
      }
    }
    agent.destroy();
  };

  const clients = urls.flatMap((_, replica) => [
    client(replica, 'v1 submitter', () => ({
      method: 'POST', path: '/api/v1/backends/singlequdit/jobs', headers: auth, body: JSON.stringify({ payload: JOB }), jobId: (body) => (body as { id: string }).id,
    })),
    client(replica, 'v1 submitter with keys', () => ({
      method: 'POST', path: '/api/v1/backends/singlequdit/jobs', headers: { ...auth, 'Idempotency-Key': `restart-${(keys += 1)}` }, body: JSON.stringify({ payload: JOB }),
      jobId: (body) => (body as { id: string }).id,
    })),
    client(replica, 'v2 submitter', () => ({
      method: 'POST', path: '/api/v2/singlequdit/post_job', headers: {}, body: JSON.stringify({ job: JSON.stringify(JOB), token }), jobId: (body) => (body as { job_id: string }).job_id,
    })),
    client(replica, 'poller', () => {
      const known = ids();
      return { method: 'GET', path: known.length === 0 ? '/api/v1/backends' : `/api/v1/jobs/${known[Math.floor(Math.random() * known.length)]}`, headers: auth };
    }),
  ]);
  load.stop = async () => {
    stopped = true;
    await Promise.all(clients);
  };
  return load;
}
