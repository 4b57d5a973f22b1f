// A client that talks to the qlued API v2 exactly as qiskit-cold-atom 0.2 does (reference/qlued-api.md §2):
// get_config twice, post_job with the job as Python-json.dumps text plus username and token, get_job_status,
// then get_job_result polled until status == "finished" (or "error"); and each answer read as qiskit reads it
// (./qiskit-parsers.ts), so an answer the real client would fail on fails here.
import { backendConfiguration, jobStatus, providerBackendType, resultFromDict } from './qiskit-parsers.ts';

type Instruction = [string, number[], number[]];
interface Experiment {
  instructions: Instruction[];
  shots: number;
  num_wires: number;
  wire_order: string;
  seed?: number;
}

/** Python's json.dumps: ", " and ": " separators, and every gate parameter written as a float (50.0). */
export function pythonJobText(job: Record<string, Experiment>): string {
  const float = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n));
  const instruction = ([name, wires, params]: Instruction) =>
    `[${JSON.stringify(name)}, [${wires.join(', ')}], [${params.map(float).join(', ')}]]`;
  const experiment = (e: Experiment) =>
    `{"instructions": [${e.instructions.map(instruction).join(', ')}], "shots": ${e.shots}, "num_wires": ${e.num_wires}, "wire_order": ${JSON.stringify(e.wire_order)}${e.seed === undefined ? '' : `, "seed": ${e.seed}`}}`;
  return `{${Object.entries(job).map(([name, e]) => `${JSON.stringify(name)}: ${experiment(e)}`).join(', ')}}`;
}

export interface QiskitLikeClient {
  run(job: Record<string, Experiment>): Promise<{ jobId: string; status: string; result: Record<string, unknown> }>;
  /** ColdAtomJob.status(): the JobStatus name the server's answer maps to. */
  status(jobId: string): Promise<string>;
  /** ColdAtomJob.error_message(): still the pre-2023 request, `json={"job_id": …}` in the query. */
  errorMessage(jobId: string): Promise<unknown>;
}

export function qiskitLikeClient(backendUrl: string, username: string, token: string, waitMs = 50, timeoutMs = 20_000): QiskitLikeClient {
  const auth = `username=${encodeURIComponent(username)}&token=${encodeURIComponent(token)}`;
  const getJson = async (url: string) => {
    const response = await fetch(url);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const status = async (jobId: string) => {
    const answer = await getJson(`${backendUrl}/get_job_status?job_id=${encodeURIComponent(jobId)}&${auth}`);
    return jobStatus(answer.status, answer.body, `get_job_status ${jobId}`);
  };
  return {
    status,
    async errorMessage(jobId) {
      const query = `json=${encodeURIComponent(JSON.stringify({ job_id: jobId }))}&${auth}`;
      return (await getJson(`${backendUrl}/get_job_status?${query}`)).body.error_message ?? null;
    },
    async run(job) {
      // ColdAtomProvider reads the type, then RemoteBackend asks again and builds its BackendConfiguration.
      providerBackendType((await getJson(`${backendUrl}/get_config?${auth}`)).body, backendUrl);
      backendConfiguration((await getJson(`${backendUrl}/get_config?${auth}`)).body, backendUrl);
      const posted = await fetch(`${backendUrl}/post_job`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ job: pythonJobText(job), username, token }),
      });
      if (posted.status >= 400) throw new Error(`post_job answered ${posted.status}: ${await posted.text()}`);
      const { job_id: jobId } = (await posted.json()) as { job_id?: string };
      if (!jobId) throw new Error('The response has no job_id.');
      const jobState = await status(jobId);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = (await getJson(`${backendUrl}/get_job_result?job_id=${jobId}&${auth}`)).body;
        // qiskit-cold-atom compares exactly: qlued's "ERROR" or "DONE" keeps it waiting.
        if (result.status === 'error') return { jobId, status: jobState, result };
        if (result.status === 'finished') {
          resultFromDict(result, `get_job_result ${jobId}`);
          return { jobId, status: jobState, result };
        }
        if (Date.now() > deadline) throw new Error(`job ${jobId} not finished after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    },
  };
}
