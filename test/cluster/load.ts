// The load: each user's clients submit quick jobs through the native API, every client on a replica of its own
// (client k of all clients on replica k mod N), paced over the load window. A request cut off by a killed replica is
// sent again to the same address once the replica is back (requestWithRetry); only a 201 with an id acknowledges.
import { requestWithRetry, type ApiTarget, type HttpTally } from '../crash/client.ts';
import { quickJob } from '../crash/phase.ts';

export interface ClusterUser {
  name: string;
  token: string;
}

export interface ClusterAck {
  id: string;
  backend: string;
  user: string;
  /** The replica that acknowledged it. */
  replica: number;
}

export const BACKENDS = ['singlequdit', 'qubit'];

/** Submits `jobs` jobs (two singlequdit for one qubit) over `windowMs`; resolves with the acknowledged ones. */
export async function submitLoad(replicas: ApiTarget[], users: ClusterUser[], options: { jobs: number; clientsPerUser: number; windowMs: number; tally: HttpTally; problems: string[] }): Promise<ClusterAck[]> {
  const acks: ClusterAck[] = [];
  const clients = users.length * options.clientsPerUser;
  const perClient = Math.ceil(options.jobs / clients);
  const paceMs = options.windowMs / perClient;
  const client = async (index: number) => {
    const user = users[index % users.length]!;
    const replica = index % replicas.length;
    const target = replicas[replica]!;
    // Clients start spread over one pace interval, so submissions do not arrive in lockstep.
    await new Promise((resolve) => setTimeout(resolve, (paceMs * index) / clients));
    for (let n = 0; n < perClient && index + n * clients < options.jobs; n += 1) {
      const started = Date.now();
      const backend = (index + n) % 3 === 2 ? 'qubit' : 'singlequdit';
      const init = { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${user.token}` }, body: JSON.stringify({ payload: quickJob(backend) }) };
      const answer = await requestWithRetry(`${target.url}/api/v1/backends/${target.apiName(backend)}/jobs`, init, options.tally);
      const id = (answer.body as { id?: unknown }).id;
      if (answer.status === 201 && typeof id === 'string') acks.push({ id, backend, user: user.name, replica });
      else options.problems.push(`submit as ${user.name} to replica ${replica} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + paceMs - Date.now())));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  return acks;
}
