// A client following its own /api/v1/events stream through a burst the way a flaky link does: it drops the
// connection every few events and reconnects with Last-Event-ID, collecting every event it was sent.
import { readSse } from '../../scripts/client/sse.ts';
import type { JobState } from '../../storage/records.ts';

export interface FollowedEvent {
  jobId: string;
  seq: number;
  state: JobState;
}

export interface EventFollower {
  events: FollowedEvent[];
  /** How many connections were made. */
  connections(): number;
  /** Stops following once the current connection is dropped; resolves when it is. */
  stop(): Promise<void>;
}

/** Resolves once the first connection is open (and subscribed: the server subscribes before it answers). */
export async function followEvents(url: string, token: string, dropEvery: () => number): Promise<EventFollower> {
  const events: FollowedEvent[] = [];
  let lastId: string | undefined;
  let stopped = false;
  let connections = 0;
  let failure: unknown;
  let current: AbortController | undefined;
  const connect = async () => {
    current = new AbortController();
    connections += 1;
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
    if (lastId !== undefined) headers['Last-Event-ID'] = lastId;
    const response = await fetch(`${url}/api/v1/events`, { headers, signal: current.signal });
    if (response.status !== 200 || !response.body) throw new Error(`event stream answered ${response.status}: ${await response.text()}`);
    return { response, abort: current };
  };
  const read = async (response: Response, abort: AbortController) => {
    let left = dropEvery();
    try {
      for await (const message of readSse(response.body!, lastId, (id) => (lastId = id))) {
        const event = JSON.parse(message.data) as { job_id: string; seq: number; status: JobState };
        events.push({ jobId: event.job_id, seq: event.seq, state: event.status });
        left -= 1;
        if (left <= 0 || stopped) break;
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
    abort.abort();
  };
  let first: Awaited<ReturnType<typeof connect>> | undefined = await connect();
  const loop = (async () => {
    try {
      while (!stopped) {
        const { response, abort } = first ?? (await connect());
        first = undefined;
        await read(response, abort);
      }
    } catch (error) {
      // Stopping aborts a connection being made, too.
      if (!stopped) failure = error;
    }
  })();
  return {
    events,
    connections: () => connections,
    async stop() {
      stopped = true;
      current?.abort();
      await loop;
      if (failure !== undefined) throw failure;
    },
  };
}
